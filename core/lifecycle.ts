/**
 * Component lifecycle. A command builds its components, and `runComponents`
 * starts them in order, reports readiness, and on SIGTERM or SIGINT stops
 * them in reverse order so that in-flight work is settled (acknowledged
 * batches checkpointed, consumed offsets committed) before the process ends.
 * A second signal while stopping exits at once.
 */
import { isVigilError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ReadinessCheck } from './telemetry/http-server.ts';

export interface Component extends ReadinessCheck {
  readonly name: string;
  start(): Promise<void>;
  /** Settles in-flight work and releases resources; must be safe to call twice. */
  stop(): Promise<void>;
  ready(): boolean;
  /** Resolves if the component stops by itself (e.g. a fatal error), rejects with the reason. */
  readonly done?: Promise<void>;
}

export interface RunOptions {
  logger: Logger;
  /** Signals that trigger a graceful stop. */
  signals?: NodeJS.Signals[];
  /** Longest time a graceful stop may take before the process gives up. */
  stopTimeoutMs?: number;
  /** Stop gracefully when this settles (e.g. a bounded run has done its work). */
  until?: Promise<unknown>;
}

export class ComponentGroup {
  readonly #components: Component[] = [];
  readonly #logger: Logger;
  #started: Component[] = [];
  #stopping: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(component: Component): this {
    this.#components.push(component);
    return this;
  }

  get components(): readonly Component[] {
    return this.#components;
  }

  async start(): Promise<void> {
    for (const component of this.#components) {
      this.#logger.debug({ component: component.name }, 'Starting component.');
      await component.start();
      this.#started.push(component);
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const component of [...this.#started].reverse()) {
        try {
          await component.stop();
        } catch (error) {
          this.#logger.error({ component: component.name, err: error }, 'Component did not stop cleanly.');
        }
      }
      this.#started = [];
    })();
    return this.#stopping;
  }
}

/**
 * Starts the group and keeps it running until a signal arrives or a component
 * ends by itself. Resolves with the exit code the process should end with.
 */
export async function runComponents(group: ComponentGroup, options: RunOptions): Promise<number> {
  const { logger } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  let exitCode = 0;
  let resolveStop: (reason: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  let signalCount = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalCount += 1;
    if (signalCount > 1) {
      logger.warn({ signal }, 'Second signal received; exiting without waiting.');
      process.exit(130);
    }
    logger.info({ signal }, 'Signal received; stopping gracefully.');
    resolveStop(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    await group.start();
    logger.info({ components: group.components.map((c) => c.name) }, 'Vigil is running.');
    const ended = group.components
      .filter((c) => c.done !== undefined)
      .map((c) =>
        (c.done as Promise<void>).then(
          () => `${c.name} finished`,
          (error: unknown) => {
            exitCode = 1;
            logger.error({ component: c.name, err: error }, 'Component failed; stopping.');
            return `${c.name} failed`;
          },
        ),
      );
    const until = options.until ? [options.until.then(() => 'work done')] : [];
    await Promise.race([stopRequested, ...ended, ...until]);
  } catch (error) {
    exitCode = isVigilError(error) ? error.exitCode : 1;
    logger.error({ err: error }, 'Startup failed; stopping.');
  }
  const timer = setTimeout(() => {
    logger.error({ stopTimeoutMs }, 'Graceful stop took too long; exiting.');
    process.exit(1);
  }, stopTimeoutMs);
  timer.unref();
  await group.stop();
  clearTimeout(timer);
  for (const signal of signals) process.off(signal, onSignal);
  logger.info('Vigil stopped.');
  return exitCode;
}
