/**
 * Target index of an event: <prefix>-<dataset>-<yyyy.mm.dd>, from the event's
 * dataset and its @timestamp in UTC. The same event always lands in the same
 * index, so `op_type: create` with its deterministic `_id` deduplicates replays.
 */

const INVALID = /[^a-z0-9._-]+/g;

const sanitizedDatasets = new Map<string, string>();

export function sanitizeDataset(dataset: string): string {
  const clean = dataset
    .toLowerCase()
    .replace(INVALID, '-')
    .replace(/^[-_.]+/, '');
  return clean === '' ? 'generic' : clean;
}

/** The last index name made from a UTC ISO time, and what it was made from (the time's first 10 characters). */
let last: { prefix: string; dataset: string; day: string; index: string } | undefined;

export function indexFor(prefix: string, dataset: string, timestamp: string | Date): string {
  // Most events carry a UTC ISO time (as pipelines write it): its day is its first 10 characters.
  // Days after the 28th go through Date, which rolls a day that does not exist
  // (2026-02-30) into the next month; so do hours like 24:00.
  if (typeof timestamp === 'string' && isUtcIso(timestamp)) {
    const month = twoDigits(timestamp, 5);
    const day = twoDigits(timestamp, 8);
    const hour = twoDigits(timestamp, 11);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour < 24) {
      // Consecutive events mostly share their day and dataset.
      if (
        last !== undefined &&
        last.prefix === prefix &&
        last.dataset === dataset &&
        timestamp.startsWith(last.day)
      ) {
        return last.index;
      }
      const index = `${prefix}-${sanitized(dataset)}-${timestamp.slice(0, 4)}.${timestamp.slice(5, 7)}.${timestamp.slice(8, 10)}`;
      last = { prefix, dataset, day: timestamp.slice(0, 10), index };
      return index;
    }
  }
  const date = typeof timestamp === 'string' ? new Date(timestamp) : timestamp;
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date;
  return `${prefix}-${sanitized(dataset)}-${valid.toISOString().slice(0, 10).replaceAll('-', '.')}`;
}

function sanitized(dataset: string): string {
  let clean = sanitizedDatasets.get(dataset);
  if (clean === undefined) {
    clean = sanitizeDataset(dataset);
    if (sanitizedDatasets.size > 10_000) sanitizedDatasets.clear();
    sanitizedDatasets.set(dataset, clean);
  }
  return clean;
}

function isDigit(text: string, i: number): boolean {
  return (text.charCodeAt(i) - 0x30) >>> 0 < 10;
}

function twoDigits(text: string, i: number): number {
  return (text.charCodeAt(i) - 0x30) * 10 + (text.charCodeAt(i + 1) - 0x30);
}

/** What UTC_ISO matches, checked character by character. */
function isUtcIso(text: string): boolean {
  const length = text.length;
  if (length < 17 || text.charCodeAt(length - 1) !== 0x5a) return false;
  if (
    !isDigit(text, 0) ||
    !isDigit(text, 1) ||
    !isDigit(text, 2) ||
    !isDigit(text, 3) ||
    text.charCodeAt(4) !== 0x2d ||
    !isDigit(text, 5) ||
    !isDigit(text, 6) ||
    text.charCodeAt(7) !== 0x2d ||
    !isDigit(text, 8) ||
    !isDigit(text, 9) ||
    text.charCodeAt(10) !== 0x54 ||
    !isDigit(text, 11) ||
    !isDigit(text, 12) ||
    text.charCodeAt(13) !== 0x3a ||
    !isDigit(text, 14) ||
    !isDigit(text, 15)
  ) {
    return false;
  }
  if (length === 17) return true;
  // `:ss` and, optionally, `.` and at least one digit.
  if (length < 20 || text.charCodeAt(16) !== 0x3a || !isDigit(text, 17) || !isDigit(text, 18)) return false;
  if (length === 20) return true;
  if (length === 21 || text.charCodeAt(19) !== 0x2e) return false;
  for (let i = 20; i < length - 1; i++) if (!isDigit(text, i)) return false;
  return true;
}
