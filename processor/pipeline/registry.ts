/**
 * Pipeline step keywords → their definitions. A new step is one module
 * exporting a `StepDefinition` plus one line here.
 */
import { dropStep } from '../flow/drop-step.ts';
import { routeStep } from '../flow/route-step.ts';
import { grokStep } from '../parsers/grok/grok-step.ts';
import type { StepDefinition } from './step.ts';

export const STEPS: Readonly<Record<string, StepDefinition>> = {
  grok: grokStep as unknown as StepDefinition,
  route: routeStep as unknown as StepDefinition,
  drop: dropStep as unknown as StepDefinition,
};
