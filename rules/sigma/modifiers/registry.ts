/**
 * Every value modifier of the Sigma 2.1 specification, by the keyword a rule
 * writes after `|`. Adding one: a class in its family file, a line here.
 */
import { GteModifier, GtModifier, LteModifier, LtModifier } from './compare.ts';
import {
  Base64Modifier,
  Base64OffsetModifier,
  Utf16beModifier,
  Utf16leModifier,
  Utf16Modifier,
  WideModifier,
} from './encoding.ts';
import { AllModifier, ExistsModifier, NeqModifier } from './generic.ts';
import type { SigmaModifier } from './modifier.ts';
import { CidrModifier } from './network.ts';
import { ExpandModifier, FieldrefModifier } from './reference.ts';
import {
  RegexDotAllModifier,
  RegexIgnoreCaseModifier,
  RegexModifier,
  RegexMultilineModifier,
} from './regex.ts';
import {
  CasedModifier,
  ContainsModifier,
  EndswithModifier,
  StartswithModifier,
  WindashModifier,
} from './string.ts';
import {
  DayModifier,
  HourModifier,
  MinuteModifier,
  MonthModifier,
  WeekModifier,
  YearModifier,
} from './time.ts';

export const MODIFIERS = {
  // generic
  all: () => new AllModifier(),
  exists: () => new ExistsModifier(),
  neq: () => new NeqModifier(),
  // string
  contains: () => new ContainsModifier(),
  startswith: () => new StartswithModifier(),
  endswith: () => new EndswithModifier(),
  cased: () => new CasedModifier(),
  windash: () => new WindashModifier(),
  // regex
  re: () => new RegexModifier(),
  i: () => new RegexIgnoreCaseModifier(),
  m: () => new RegexMultilineModifier(),
  s: () => new RegexDotAllModifier(),
  // encoding
  base64: () => new Base64Modifier(),
  base64offset: () => new Base64OffsetModifier(),
  utf16le: () => new Utf16leModifier(),
  wide: () => new WideModifier(),
  utf16be: () => new Utf16beModifier(),
  utf16: () => new Utf16Modifier(),
  // compare
  lt: () => new LtModifier(),
  lte: () => new LteModifier(),
  gt: () => new GtModifier(),
  gte: () => new GteModifier(),
  // time
  minute: () => new MinuteModifier(),
  hour: () => new HourModifier(),
  day: () => new DayModifier(),
  week: () => new WeekModifier(),
  month: () => new MonthModifier(),
  year: () => new YearModifier(),
  // network
  cidr: () => new CidrModifier(),
  // reference
  expand: () => new ExpandModifier(),
  fieldref: () => new FieldrefModifier(),
} as const satisfies Record<string, () => SigmaModifier>;

export type ModifierName = keyof typeof MODIFIERS;

export function isModifierName(name: string): name is ModifierName {
  return Object.hasOwn(MODIFIERS, name);
}
