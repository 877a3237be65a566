/**
 * Target index of an event: <prefix>-<dataset>-<yyyy.mm.dd>, from the event's
 * dataset and its @timestamp in UTC. The same event always lands in the same
 * index, so `op_type: create` with its deterministic `_id` deduplicates replays.
 */

const INVALID = /[^a-z0-9._-]+/g;

export function sanitizeDataset(dataset: string): string {
  const clean = dataset
    .toLowerCase()
    .replace(INVALID, '-')
    .replace(/^[-_.]+/, '');
  return clean === '' ? 'generic' : clean;
}

export function indexFor(prefix: string, dataset: string, timestamp: string | Date): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : timestamp;
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date;
  const day = valid.toISOString().slice(0, 10).replaceAll('-', '.');
  return `${prefix}-${sanitizeDataset(dataset)}-${day}`;
}
