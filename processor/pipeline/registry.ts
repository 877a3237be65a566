/**
 * Pipeline step keywords → their definitions. A new step is one module
 * exporting a `StepDefinition` plus one line here.
 */
import { dropStep } from '../flow/drop-step.ts';
import { routeStep } from '../flow/route-step.ts';
import { cefStep } from '../parsers/cef/cef-step.ts';
import { csvStep } from '../parsers/csv/csv-step.ts';
import { grokStep } from '../parsers/grok/grok-step.ts';
import { jsonStep } from '../parsers/json/json-step.ts';
import { kvStep } from '../parsers/kv/kv-step.ts';
import { dateStep } from '../transforms/date/date-step.ts';
import { mutateStep } from '../transforms/mutate/mutate-step.ts';
import { userAgentStep } from '../transforms/user-agent/user-agent-step.ts';
import type { StepDefinition } from './step.ts';

export const STEPS: Readonly<Record<string, StepDefinition>> = {
  grok: grokStep as unknown as StepDefinition,
  json: jsonStep as unknown as StepDefinition,
  kv: kvStep as unknown as StepDefinition,
  csv: csvStep as unknown as StepDefinition,
  date: dateStep as unknown as StepDefinition,
  mutate: mutateStep as unknown as StepDefinition,
  cef: cefStep as unknown as StepDefinition,
  user_agent: userAgentStep as unknown as StepDefinition,
  route: routeStep as unknown as StepDefinition,
  drop: dropStep as unknown as StepDefinition,
};
