/**
 * The `grok` pipeline step: several expressions, first match wins (or all,
 * with `break_on_match: false`); captured fields are merged into the event,
 * and the fields listed under the matching expression's `set` are set. When
 * nothing matches the step fails with `no pattern matched`, which the
 * pipeline turns into the `vigil.parse_failure` tag.
 */
import { z } from 'zod';
import { type FieldPath, fieldGetter, fieldPath, mergeFields, setField } from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../pipeline/step.ts';
import { compileGrok } from './matcher.ts';

const setValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);

const patternEntry = z.union([
  z.string().min(1),
  z.strictObject({
    pattern: z.string().min(1).describe('The grok expression.'),
    set: z
      .record(z.string(), setValue)
      .optional()
      .describe('Fields set when this expression is the one that matches, e.g. `event.outcome: success`.'),
  }),
]);

const schema = z.strictObject({
  field: z.string().default('message').describe('Field holding the text to parse; default `message`.'),
  patterns: z
    .array(patternEntry)
    .min(1)
    .describe('Grok expressions, tried in order; an entry is an expression or `{ pattern, set }`.'),
  pattern_definitions: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra patterns for this step only, NAME → regex; default none.'),
  break_on_match: z
    .boolean()
    .default(true)
    .describe('Stop at the first expression that matches; default true.'),
  anchor: z
    .enum(['none', 'start'])
    .default('none')
    .describe('`start` anchors every expression at the start of the text (much faster); default `none`.'),
  max_length: z
    .number()
    .int()
    .positive()
    .max(DEFAULT_LIMITS.maxFieldBytes)
    .default(65_536)
    .describe(
      'Longest text (in characters) the step parses; longer text fails with `too long` instead of costing up to a second of matching; default 65536.',
    ),
  ignore_failure: z
    .boolean()
    .default(false)
    .describe('When nothing matches, go on without the parse-failure tag; default false.'),
});

const NO_MATCH = { failure: 'no pattern matched' } as const;
const TOO_LONG = { failure: 'too long' } as const;

interface Assignment {
  path: FieldPath;
  value: unknown;
}

export const grokStep: StepDefinition<typeof schema> = {
  description: 'Parses a field with grok expressions into ECS fields.',
  schema,
  create(config, context): PipelineStep {
    const library =
      Object.keys(config.pattern_definitions).length > 0
        ? context.patterns.clone().addDefinitions(config.pattern_definitions)
        : context.patterns;
    const expressions = config.patterns.map((p) => (typeof p === 'string' ? p : p.pattern));
    const matcher = compileGrok(expressions, {
      library,
      anchor: config.anchor,
      breakOnMatch: config.break_on_match,
      metrics: context.metrics,
      logger: context.logger,
      name: `${context.pipeline}#${context.index}`,
    });
    const sets: Array<Assignment[] | undefined> = config.patterns.map((p) =>
      typeof p === 'string' || !p.set
        ? undefined
        : Object.entries(p.set).map(([field, value]) => ({ path: fieldPath(field), value })),
    );
    const getSource = fieldGetter(fieldPath(config.field));
    const failure = config.ignore_failure ? undefined : NO_MATCH;
    const maxLength = config.max_length;
    return {
      type: 'grok',
      matcher,
      run(event): StepResult {
        const text = getSource(event);
        if (typeof text !== 'string') return failure;
        if (text.length > maxLength) return TOO_LONG;
        const match = matcher.match(text);
        if (match === undefined) return failure;
        mergeFields(event, match.fields);
        for (const index of match.patternIndices) {
          const assignments = sets[index];
          if (assignments === undefined) continue;
          for (const { path, value } of assignments) {
            setField(event, path, Array.isArray(value) ? value.slice() : value);
          }
        }
        return undefined;
      },
    } as PipelineStep;
  },
};
