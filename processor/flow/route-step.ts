/**
 * `route`: hands the event to another pipeline, whose steps run next (the
 * rest of this pipeline does not). Usually with `if:`, e.g. to pass syslog
 * lines from a file to the pipeline of their program. The target must exist
 * (checked when the pipelines load); routes may not loop.
 */
import { z } from 'zod';
import type { PipelineStep, StepDefinition } from '../pipeline/step.ts';

const schema = z.strictObject({
  pipeline: z.string().min(1).describe('Id of the pipeline that continues with the event.'),
});

export const routeStep: StepDefinition<typeof schema> = {
  description: 'Continues with the steps of another pipeline; usually with `if:`.',
  schema,
  create(config): PipelineStep {
    const result = { route: config.pipeline };
    return { type: 'route', run: () => result };
  },
};
