/**
 * What a pipeline step is. A step is built once from its YAML configuration
 * (validated by its zod schema, so a mistake is a load-time error with the
 * key path) and then runs on every event of its pipeline.
 *
 * A step never throws for an event: it changes the event in place and says
 * how the pipeline goes on. A step that could not do its job for this event
 * (a date that does not parse, JSON that is not JSON) returns a failure; the
 * pipeline tags the event (`vigil.<step>_failure`), counts it and goes on with
 * the next step, so the event is still indexed with what is known.
 */
import type { z } from 'zod';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../event-builder.ts';
import type { PatternLibrary } from '../parsers/grok/pattern-library.ts';

export type StepResult =
  /** Go on with the next step. */
  | undefined
  /** Stop here and do not index the event (counted). */
  | { drop: true }
  /** Stop here and continue with the steps of another pipeline. */
  | { route: string }
  /** This step could not handle the event; a short reason (no event data), e.g. `no pattern matched`. */
  | { failure: string };

export interface PipelineStep {
  /** The step's keyword in YAML, e.g. `grok`. */
  readonly type: string;
  run(event: EcsEvent): StepResult;
}

/** What a step may use while it is built. */
export interface StepBuildContext {
  /** The pipeline's id, for metric labels and messages. */
  pipeline: string;
  /** Position of the step in its pipeline (0-based), for metric labels and messages. */
  index: number;
  /** Grok patterns: Vigil's built-in ones plus the user's pattern folders. */
  patterns: PatternLibrary;
  logger: Logger;
  metrics: Metrics;
}

/** One entry of the step registry: the YAML keyword's schema and the factory. */
export interface StepDefinition<S extends z.ZodType = z.ZodType> {
  /** One sentence for the documentation. */
  description: string;
  schema: S;
  create(config: z.output<S>, context: StepBuildContext): PipelineStep;
}

/** Limits every step honours for one event (hostile input). */
export interface EventLimits {
  /** Longest string a parser works on; longer ones are not parsed (failure `too long`). */
  maxFieldBytes: number;
  /** Deepest nesting a JSON parser accepts. */
  maxDepth: number;
  /** Most fields one parser may add to an event. */
  maxFields: number;
}

export const DEFAULT_LIMITS: EventLimits = { maxFieldBytes: 1_048_576, maxDepth: 64, maxFields: 1000 };
