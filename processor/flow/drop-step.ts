/** `drop`: the event is not indexed (counted per pipeline). Use with `if:`. */
import { z } from 'zod';
import type { PipelineStep, StepDefinition } from '../pipeline/step.ts';

const schema = z.strictObject({}).describe('Stops the pipeline and does not index the event.');

const DROP = { drop: true } as const;

export const dropStep: StepDefinition<typeof schema> = {
  description: 'Does not index the event (counted); usually with `if:`.',
  schema,
  create(): PipelineStep {
    return { type: 'drop', run: () => DROP };
  },
};
