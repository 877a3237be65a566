/**
 * The processor's pipelines, hot-reloaded: the user's pipeline and pattern
 * files are checked every `reload_interval_ms`; when one changed, the whole
 * set is built again and swapped in at once. A file that does not load keeps
 * the previous set running and is reported (log and metric) until it is
 * fixed. At startup a broken file is an error: the processor does not start.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.ts';
import { type LoadPipelinesOptions, loadPipelines } from './loader.ts';
import type { PipelineSet } from './pipeline-set.ts';

export interface PipelinesOptions extends LoadPipelinesOptions {
  /** How often the user's files are checked for changes; 0 turns reloading off. */
  reloadIntervalMs: number;
}

export class Pipelines {
  readonly #options: PipelinesOptions;
  readonly #logger: Logger;
  readonly #reloads;
  #current: PipelineSet;
  #signature: string;
  #timer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;

  constructor(options: PipelinesOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'pipelines' });
    this.#reloads = options.metrics.counter(
      'vigil_processor_pipeline_reloads_total',
      'Reloads of the pipeline files, by outcome (`ok`, or `failed`: the previous pipelines stay).',
      ['outcome'],
    );
    this.#signature = this.#filesSignature();
    this.#current = loadPipelines(options);
  }

  /** The pipelines in force. Read it per batch: a reload swaps it. */
  get current(): PipelineSet {
    return this.#current;
  }

  /** Starts watching the user's files (nothing to watch: nothing happens). */
  start(): void {
    const watched = (this.#options.userPaths?.length ?? 0) > 0 || this.#options.patternsDir !== undefined;
    if (!watched || this.#options.reloadIntervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.#options.reloadIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reloads if a watched file changed; returns whether a new set is in force. */
  check(): boolean {
    const signature = this.#filesSignature();
    if (signature === this.#signature) return false;
    this.#signature = signature;
    return this.reload();
  }

  /** Builds the pipelines again; keeps the previous ones when that fails. */
  reload(): boolean {
    try {
      const next = loadPipelines(this.#options);
      this.#current = next;
      this.#lastError = undefined;
      this.#reloads.inc({ outcome: 'ok' });
      this.#logger.info({ pipelines: next.pipelines.length }, 'Pipelines reloaded.');
      return true;
    } catch (error) {
      const message = (error as Error).message;
      this.#reloads.inc({ outcome: 'failed' });
      if (message !== this.#lastError) {
        this.#logger.error(
          { err: error },
          'The changed pipelines do not load; the previous pipelines stay in force until the files are fixed.',
        );
      }
      this.#lastError = message;
      return false;
    }
  }

  #filesSignature(): string {
    const parts: string[] = [];
    const visit = (path: string): void => {
      try {
        const stat = statSync(path);
        if (stat.isDirectory()) {
          for (const name of readdirSync(path).sort()) {
            if (!name.startsWith('.')) visit(join(path, name));
          }
        } else parts.push(`${path}:${stat.mtimeMs}:${stat.size}`);
      } catch {
        parts.push(`${path}:missing`);
      }
    };
    for (const path of this.#options.userPaths ?? []) visit(path);
    if (this.#options.patternsDir !== undefined) visit(this.#options.patternsDir);
    return parts.join('\n');
  }
}
