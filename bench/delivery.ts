/**
 * What reached Kafka, record by record: the Kafka benchmarks read the raw
 * topic back after each Vigil run (`KafkaAdmin.readRecords`, which decodes
 * bundles and single records with `decodeMessage`) and check that every
 * input line or syslog message is there exactly once, with its text.
 *
 * File input: a record is identified by its byte offset in the file, which
 * must be the start of an input line, and its `line` must be that line.
 * Syslog input: a record is identified by the sequence number the sender put
 * in its structured data (`[bench@32473 seq="17"]`), and its `line` (the
 * whole message as received) must end with the body sent with that number.
 */
import type { RawRecord } from '../core/event/raw-record.ts';
import type { KafkaAdmin, TopicContents } from './collector-kafka.ts';
import { count } from './format.ts';

export interface DeliveryCheck extends TopicContents {
  /** Input lines (messages) the run had to deliver, or could have (UDP: sent). */
  expected: number;
  /** Of those, found exactly once with the right text. */
  exact: number;
  /** Of those, not found. */
  missing: number;
  /** Records of an input line already found (extra copies). */
  duplicates: number;
  /** Records that belong to no input line: unknown offset or number, or the wrong text. */
  foreign: number;
}

/** One byte of bookkeeping per expected item: 0 unseen, 1 seen; copies beyond the first are counted apart. */
class Tally {
  readonly #seen: Uint8Array;
  duplicates = 0;
  foreign = 0;

  constructor(size: number) {
    this.#seen = new Uint8Array(size);
  }

  /** Marks item `i` (undefined: no such item) as found. */
  see(i: number | undefined): void {
    if (i === undefined || i < 0 || i >= this.#seen.length) {
      this.foreign += 1;
      return;
    }
    if (this.#seen[i] === 0) this.#seen[i] = 1;
    else this.duplicates += 1;
  }

  exact(): number {
    let n = 0;
    for (const s of this.#seen) n += s;
    return n;
  }
}

function result(contents: TopicContents, expected: number, tally: Tally): DeliveryCheck {
  const exact = tally.exact();
  return {
    ...contents,
    expected,
    exact,
    missing: expected - exact,
    duplicates: tally.duplicates,
    foreign: tally.foreign,
  };
}

/** The lines of a benchmark input file (`writeRepeatedLines`): `lines` lines cycling through `source`. */
export class InputLines {
  readonly source: readonly string[];
  readonly lines: number;
  /** Byte offset of each line's first byte. */
  readonly #offsets: Float64Array;

  constructor(source: readonly string[], lines: number) {
    this.source = source;
    this.lines = lines;
    this.#offsets = new Float64Array(lines);
    const sizes = source.map((line) => Buffer.byteLength(line) + 1);
    let offset = 0;
    for (let i = 0; i < lines; i++) {
      this.#offsets[i] = offset;
      offset += sizes[i % sizes.length] as number;
    }
  }

  /** The index of the line starting at `offset`, or undefined. */
  indexAt(offset: number): number | undefined {
    let lo = 0;
    let hi = this.lines - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#offsets[mid] as number;
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  text(index: number): string {
    return this.source[index % this.source.length] as string;
  }
}

/** Reads `topic` back and checks it holds each line of the input file exactly once. */
export async function checkFileDelivery(
  admin: KafkaAdmin,
  topic: string,
  input: InputLines,
): Promise<DeliveryCheck> {
  const tally = new Tally(input.lines);
  const contents = await admin.readRecords(topic, (record: RawRecord) => {
    const i = input.indexAt(record.offset);
    tally.see(i !== undefined && record.line === input.text(i) ? i : undefined);
  });
  return result(contents, input.lines, tally);
}

const SEQ = /\[bench@32473 seq="(\d+)"\]/;

/**
 * Reads `topic` back and checks it holds each syslog message of sequence
 * number 0 … `sent` − 1 at most once (TCP: exactly once; UDP may lose some).
 */
export async function checkSyslogDelivery(
  admin: KafkaAdmin,
  topic: string,
  sent: number,
  bodies: readonly string[],
): Promise<DeliveryCheck> {
  const tally = new Tally(sent);
  const contents = await admin.readRecords(topic, (record: RawRecord) => {
    const match = SEQ.exec(record.line);
    const seq = match ? Number(match[1]) : undefined;
    const ok = seq !== undefined && record.line.endsWith(bodies[seq % bodies.length] as string);
    tally.see(ok ? seq : undefined);
  });
  return result(contents, sent, tally);
}

/** True when the topic held every expected item exactly once and nothing else. */
export function deliveredExactlyOnce(check: DeliveryCheck): boolean {
  return check.missing === 0 && deliveredAtMostOnce(check);
}

/** True when nothing was duplicated, foreign or undecodable (missing items allowed). */
export function deliveredAtMostOnce(check: DeliveryCheck): boolean {
  return check.duplicates === 0 && check.foreign === 0 && check.invalid === 0;
}

/** "499,990 of 500,000 exactly once, 10 missing, 3 duplicates" — only the parts that are not 0. */
export function deliverySummary(check: DeliveryCheck): string {
  const parts = [`${count(check.exact)} of ${count(check.expected)} exactly once`];
  if (check.missing > 0) parts.push(`${count(check.missing)} missing`);
  if (check.duplicates > 0) parts.push(`${count(check.duplicates)} duplicates`);
  if (check.foreign > 0) parts.push(`${count(check.foreign)} records of no input line`);
  if (check.invalid > 0) parts.push(`${count(check.invalid)} undecodable messages (${check.firstInvalid})`);
  return parts.join(', ');
}
