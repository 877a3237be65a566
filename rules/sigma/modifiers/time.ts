/**
 * Time modifiers: minute, hour, day, week, month, year. The field holds a
 * date (ISO 8601 text, or epoch milliseconds); this part of it, in UTC, is
 * compared with the value, for equality or with a following lt/lte/gt/gte.
 * As the specification says, no time zone or format conversion happens.
 */
import type { SigmaValue, TimePart } from '../model/values.ts';
import { numberOf } from './compare.ts';
import type { ItemState } from './modifier.ts';
import { ModifierError, SigmaModifier } from './modifier.ts';

const RANGES: Record<TimePart, [number, number]> = {
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 31],
  week: [1, 53],
  month: [1, 12],
  year: [0, 9999],
};

abstract class TimePartModifier extends SigmaModifier {
  abstract readonly part: TimePart;
  override applyItem(state: ItemState): void {
    if (state.timePart !== undefined) {
      throw new ModifierError(
        `${this.name} cannot follow ${state.timePart}: an item compares one part of a date`,
      );
    }
    state.timePart = this.part;
  }
  override transform(value: SigmaValue): SigmaValue {
    if (value.type === 'compare') return value;
    const n = numberOf(value);
    const [min, max] = RANGES[this.part];
    if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new ModifierError(`${this.name} compares with a whole number from ${min} to ${max}`);
    }
    return { type: 'number', value: n };
  }
}

export class MinuteModifier extends TimePartModifier {
  readonly name = 'minute';
  readonly part = 'minute';
}
export class HourModifier extends TimePartModifier {
  readonly name = 'hour';
  readonly part = 'hour';
}
export class DayModifier extends TimePartModifier {
  readonly name = 'day';
  readonly part = 'day';
}
export class WeekModifier extends TimePartModifier {
  readonly name = 'week';
  readonly part = 'week';
}
export class MonthModifier extends TimePartModifier {
  readonly name = 'month';
  readonly part = 'month';
}
export class YearModifier extends TimePartModifier {
  readonly name = 'year';
  readonly part = 'year';
}

/** The part of a date, in UTC; undefined when the value is not a date. */
export function timePartOf(value: unknown, part: TimePart): number | undefined {
  let date: Date;
  if (typeof value === 'number') date = new Date(value);
  else if (typeof value === 'string' && value.length >= 4) date = new Date(value);
  else return undefined;
  const time = date.getTime();
  if (Number.isNaN(time)) return undefined;
  switch (part) {
    case 'minute':
      return date.getUTCMinutes();
    case 'hour':
      return date.getUTCHours();
    case 'day':
      return date.getUTCDate();
    case 'month':
      return date.getUTCMonth() + 1;
    case 'year':
      return date.getUTCFullYear();
    case 'week': {
      // ISO 8601 week: the week with the year's first Thursday is week 1.
      const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
      const weekday = d.getUTCDay() || 7;
      d.setUTCDate(d.getUTCDate() + 4 - weekday);
      const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
      return Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
    }
  }
}
