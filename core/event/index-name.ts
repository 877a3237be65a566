/**
 * Target index of an event: <prefix>-<dataset>-<yyyy.mm.dd>, from the event's
 * dataset and its @timestamp in UTC. The same event always lands in the same
 * index, so `op_type: create` with its deterministic `_id` deduplicates replays.
 */

const INVALID = /[^a-z0-9._-]+/g;

const sanitized = new Map<string, string>();
/** An ISO 8601 time in UTC, whose first 10 characters are its UTC day. */
const UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z$/;

export function sanitizeDataset(dataset: string): string {
  const clean = dataset
    .toLowerCase()
    .replace(INVALID, '-')
    .replace(/^[-_.]+/, '');
  return clean === '' ? 'generic' : clean;
}

export function indexFor(prefix: string, dataset: string, timestamp: string | Date): string {
  let clean = sanitized.get(dataset);
  if (clean === undefined) {
    clean = sanitizeDataset(dataset);
    if (sanitized.size > 10_000) sanitized.clear();
    sanitized.set(dataset, clean);
  }
  // Most events carry a UTC ISO time (as pipelines write it): its day is its first 10 characters.
  // Days after the 28th go through Date, which rolls a day that does not exist
  // (2026-02-30) into the next month; so do hours like 24:00.
  if (typeof timestamp === 'string' && UTC_ISO.test(timestamp)) {
    const month = Number(timestamp.slice(5, 7));
    const day = Number(timestamp.slice(8, 10));
    const hour = Number(timestamp.slice(11, 13));
    if (month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour < 24) {
      return `${prefix}-${clean}-${timestamp.slice(0, 4)}.${timestamp.slice(5, 7)}.${timestamp.slice(8, 10)}`;
    }
  }
  const date = typeof timestamp === 'string' ? new Date(timestamp) : timestamp;
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date;
  return `${prefix}-${clean}-${valid.toISOString().slice(0, 10).replaceAll('-', '.')}`;
}
