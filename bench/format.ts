/** Number formats shared by the Markdown reports. */

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: 1,234,567. */
export function count(n: number): string {
  return Number.isFinite(n) ? whole.format(n) : '–';
}

/** Bytes as whole MiB. */
export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? String(Math.round(bytes / 2 ** 20)) : '–';
}

export function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}
