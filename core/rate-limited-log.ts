/**
 * Logs a recurring problem once per interval per key (e.g. per listener and
 * reason) and says how many were suppressed in between, so a flood of bad
 * input cannot flood the log. Counting stays exact: that is the metrics' job.
 */
import type { Logger } from './log.ts';

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, intervalMs = 60_000) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const seen = this.#last.get(key);
    if (seen && now - seen.at < this.#intervalMs) {
      seen.suppressed += 1;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    this.#logger.warn(suppressed > 0 ? { ...fields, suppressed_since_last: suppressed } : fields, message);
  }
}
