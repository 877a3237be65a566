/** Shared fixtures of the pipeline step tests: a build context, a step built from options, an event. */
import { silentLogger } from '../../core/log.ts';
import { Metrics } from '../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../../processor/event-builder.ts';
import { PatternLibrary } from '../../processor/parsers/grok/pattern-library.ts';
import type { PipelineStep, StepBuildContext, StepDefinition } from '../../processor/pipeline/step.ts';

export function stepContext(): StepBuildContext {
  return {
    pipeline: 'test',
    index: 0,
    patterns: new PatternLibrary(),
    logger: silentLogger(),
    metrics: new Metrics({ defaultMetrics: false }),
  };
}

/** The step `definition` makes of `options`, validated by its schema as the loader does. */
export function buildStep(
  // biome-ignore lint/suspicious/noExplicitAny: any step's schema
  definition: StepDefinition<any>,
  options: Record<string, unknown>,
  context: StepBuildContext = stepContext(),
): PipelineStep {
  return definition.create(definition.schema.parse(options), context);
}

/** A minimal event with the fields every event has, plus `fields`. */
export function stepEvent(
  fields: Record<string, unknown> = {},
  timestamp = '2024-01-01T00:00:00.000Z',
): EcsEvent {
  return {
    '@timestamp': timestamp,
    message: '',
    event: { dataset: 'test' },
    vigil: { record: { id: 'r1', offset: 0, stream: 's1' } },
    ...fields,
  } as EcsEvent;
}
