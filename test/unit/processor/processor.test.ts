import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../core/config/schema.ts';
import { eventId, type RawRecord, recordIdentity } from '../../../core/event/raw-record.ts';
import { silentLogger } from '../../../core/log.ts';
import { Metrics } from '../../../core/telemetry/metrics.ts';
import type { BatchHandler } from '../../../core/transport/record-transport.ts';
import type {
  Detection,
  Detector,
  MessageSink,
  OutboundMessage,
} from '../../../processor/detection/detector.ts';
import type { EcsEvent } from '../../../processor/event-builder.ts';
import { Processor, type RecordInput } from '../../../processor/processor.ts';
import type {
  DeadLetter,
  DeadLetterSink,
  EventSink,
  IndexRequest,
  Rejection,
} from '../../../processor/sinks/event-sink.ts';

function record(offset: number, overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    collector: { id: 'web-1', version: '0.1.0' },
    host: { name: 'web-1' },
    stream: { id: 'file:803:1a2b', kind: 'file' },
    offset,
    line: `line at ${offset}`,
    dataset: 'linux.auth',
    observed_at: '2026-11-24T23:30:00.000-05:00',
    file: { path: '/var/log/auth.log' },
    ...overrides,
  };
}

/** Everything the fakes saw, in order. */
type Journal = string[];

class FakeInput implements RecordInput {
  readonly name = 'fake-input';
  handler: BatchHandler | undefined;
  onInvalid: ((entries: DeadLetter[]) => Promise<void>) | undefined;
  readonly #journal: Journal;

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  async start(handler: BatchHandler, onInvalid: (entries: DeadLetter[]) => Promise<void>): Promise<void> {
    this.#journal.push('start input');
    this.handler = handler;
    this.onInvalid = onInvalid;
  }

  ready(): boolean {
    return this.handler !== undefined;
  }

  async stop(): Promise<void> {
    this.#journal.push('stop input');
  }
}

/**
 * Keeps every request it is given. `reject` decides which requests are
 * refused and why; `gate`, when set, holds each write until it resolves.
 */
class FakeSink implements EventSink {
  readonly name = 'fake-sink';
  readonly writes: IndexRequest[][] = [];
  readonly signals: AbortSignal[] = [];
  reject: (request: IndexRequest) => string | undefined = () => undefined;
  gate: Promise<void> | undefined;
  readonly #journal: Journal;

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  async start(): Promise<void> {
    this.#journal.push('start sink');
  }

  async write(requests: readonly IndexRequest[], signal: AbortSignal): Promise<Rejection[]> {
    this.writes.push([...requests]);
    this.signals.push(signal);
    if (this.gate) await this.gate;
    const rejections: Rejection[] = [];
    for (const request of requests) {
      const reason = this.reject(request);
      if (reason !== undefined) rejections.push({ request, reason });
    }
    return rejections;
  }

  ready(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.#journal.push('stop sink');
  }
}

class FakeDlq implements DeadLetterSink {
  readonly name = 'fake-dlq';
  readonly entries: DeadLetter[] = [];
  gate: Promise<void> | undefined;
  readonly #journal: Journal;

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  async start(): Promise<void> {
    this.#journal.push('start dlq');
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (this.gate) await this.gate;
    this.entries.push(...entries);
  }

  async stop(): Promise<void> {
    this.#journal.push('stop dlq');
  }
}

/** Keeps what it is given; `fail` makes the next write reject. */
class FakeMessageSink implements MessageSink {
  readonly name: string;
  readonly messages: OutboundMessage[] = [];
  fail: Error | undefined;
  readonly #journal: Journal;

  constructor(name: string, journal: Journal) {
    this.name = name;
    this.#journal = journal;
  }

  async start(): Promise<void> {
    this.#journal.push(`start ${this.name}`);
  }

  async write(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.fail) throw this.fail;
    this.#journal.push(`write ${this.name}`);
    this.messages.push(...messages);
  }

  async stop(): Promise<void> {
    this.#journal.push(`stop ${this.name}`);
  }
}

/** Matches rule "r-login" on events whose message contains "login". */
class FakeDetector implements Detector {
  readonly name = 'fake-detector';
  detect(event: EcsEvent, eventId: string, index: string): Detection | undefined {
    if (!event.message.includes('login')) return undefined;
    return {
      ruleIds: ['r-login'],
      alerts: [{ key: `a-${eventId}`, value: { id: `a-${eventId}`, event_ids: [eventId], index } }],
      signals: [{ key: 'c-1|u1', value: { event_id: eventId } }],
    };
  }
}

function processorWith(config: Record<string, unknown> = {}, options: { detect?: boolean } = {}) {
  const journal: Journal = [];
  const input = new FakeInput(journal);
  const sink = new FakeSink(journal);
  const dlq = new FakeDlq(journal);
  const alerts = new FakeMessageSink('alerts', journal);
  const signals = new FakeMessageSink('signals', journal);
  const metrics = new Metrics({ defaultMetrics: false });
  const processor = new Processor({
    config: configSchema.parse(config),
    input,
    sink,
    dlq,
    logger: silentLogger(),
    metrics,
    ...(options.detect ? { detector: new FakeDetector(), alerts, signals } : {}),
  });
  return { processor, input, sink, dlq, alerts, signals, metrics, journal };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

async function settles(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  return settled;
}

describe('Processor', () => {
  it('starts the sink, then the dead-letter queue, then the input', async () => {
    const { processor, journal } = processorWith();
    await processor.start();
    expect(journal).toEqual(['start sink', 'start dlq', 'start input']);
  });

  it('is ready once started and not before', async () => {
    const { processor } = processorWith();
    expect(processor.ready()).toBe(false);
    await processor.start();
    expect(processor.ready()).toBe(true);
  });

  it('hands its batch handler to the input', async () => {
    const { processor, input } = processorWith();
    await processor.start();
    expect(input.handler).toBe(processor.handle);
  });

  it('gives each event the deterministic id of its record', async () => {
    const { processor, sink } = processorWith();
    await processor.handle([record(0), record(42)]);
    expect(sink.writes[0]?.map((r) => r.id)).toEqual([eventId(record(0)), eventId(record(42))]);
  });

  it('gives a record the same id every time it is processed', async () => {
    const { processor, sink } = processorWith();
    await processor.handle([record(7)]);
    await processor.handle([record(7, { observed_at: '2026-11-25T01:00:00Z' })]);
    expect(sink.writes[1]?.[0]?.id).toBe(sink.writes[0]?.[0]?.id);
  });

  it('names the index from the dataset and the UTC day of @timestamp', async () => {
    const { processor, sink } = processorWith();
    await processor.handle([record(0)]);
    expect(sink.writes[0]?.[0]?.index).toBe('vigil-linux.auth-2026.11.25');
  });

  it('uses the index prefix of the OpenSearch configuration', async () => {
    const { processor, sink } = processorWith({ opensearch: { url: 'http://x:9200', index_prefix: 'siem' } });
    await processor.handle([record(0)]);
    expect(sink.writes[0]?.[0]?.index).toBe('siem-linux.auth-2026.11.25');
  });

  it('builds the event from the record', async () => {
    const { processor, sink } = processorWith();
    await processor.handle([record(0)]);
    expect(sink.writes[0]?.[0]?.event).toMatchObject({
      message: 'line at 0',
      event: { dataset: 'linux.auth', original: 'line at 0' },
      vigil: { record: { id: 'web-1/file:803:1a2b/0' } },
    });
  });

  it('stamps event.ingested with the processing time', async () => {
    const { processor, sink } = processorWith();
    const before = Date.now();
    await processor.handle([record(0)]);
    const ingested = Date.parse(sink.writes[0]?.[0]?.event.event.ingested ?? '');
    expect(ingested).toBeGreaterThanOrEqual(before);
    expect(ingested).toBeLessThanOrEqual(Date.now());
  });

  it('leaves event.original out when keep_original is off', async () => {
    const { processor, sink } = processorWith({ processor: { keep_original: false } });
    await processor.handle([record(0)]);
    expect(sink.writes[0]?.[0]?.event.event).not.toHaveProperty('original');
  });

  it('sends rejected events to the dead-letter queue with the reason and the record id', async () => {
    const { processor, sink, dlq } = processorWith();
    sink.reject = (r) =>
      r.event.vigil.record.offset === 42 ? 'mapper_parsing_exception: bad field' : undefined;
    await processor.handle([record(0), record(42)]);
    expect(dlq.entries).toEqual([
      {
        record_id: recordIdentity(record(42)),
        reason: 'mapper_parsing_exception: bad field',
        stage: 'index',
        payload: sink.writes[0]?.[1]?.event,
        failed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
  });

  it('writes nothing to the dead-letter queue when every event is written', async () => {
    const { processor, dlq } = processorWith();
    await processor.handle([record(0), record(1)]);
    expect(dlq.entries).toEqual([]);
  });

  it('counts dead letters by stage', async () => {
    const { processor, sink, metrics } = processorWith();
    sink.reject = () => 'bad';
    await processor.handle([record(0), record(1)]);
    expect(await metrics.text()).toContain('vigil_processor_dead_letters_total{stage="index"} 2');
  });

  it('counts the records it processed', async () => {
    const { processor, metrics } = processorWith();
    await processor.handle([record(0), record(1), record(2)]);
    expect(await metrics.text()).toContain('vigil_processor_records_total 3');
  });

  it('resolves handle only after the sink resolved', async () => {
    const { processor, sink } = processorWith();
    const gate = deferred();
    sink.gate = gate.promise;
    const handling = processor.handle([record(0)]);
    expect(await settles(handling)).toBe(false);
    gate.resolve();
    expect(await settles(handling)).toBe(true);
  });

  it('resolves handle only after the dead letters are written', async () => {
    const { processor, sink, dlq } = processorWith();
    sink.reject = () => 'bad';
    const gate = deferred();
    dlq.gate = gate.promise;
    const handling = processor.handle([record(0)]);
    expect(await settles(handling)).toBe(false);
    gate.resolve();
    await handling;
    expect(dlq.entries).toHaveLength(1);
  });

  it('rejects handle when the sink fails', async () => {
    const { processor, sink } = processorWith();
    sink.write = async () => {
      throw new Error('Indexing was aborted because the processor is stopping.');
    };
    await expect(processor.handle([record(0)])).rejects.toThrow('aborted');
  });

  it('sends what the input cannot decode to the dead-letter queue', async () => {
    const { processor, input, dlq } = processorWith();
    await processor.start();
    const entry: DeadLetter = {
      reason: 'value is not JSON',
      stage: 'decode',
      payload: '{oops',
      failed_at: '2026-11-24T10:00:00.000Z',
    };
    await input.onInvalid?.([entry]);
    expect(dlq.entries).toEqual([entry]);
  });

  it('gives the sink a signal that is aborted when the processor stops', async () => {
    const { processor, sink } = processorWith();
    await processor.start();
    await processor.handle([record(0)]);
    expect(sink.signals[0]?.aborted).toBe(false);
    await processor.stop();
    expect(sink.signals[0]?.aborted).toBe(true);
  });

  it('stops the input, then the dead-letter queue, then the sink', async () => {
    const { processor, journal } = processorWith();
    await processor.start();
    journal.length = 0;
    await processor.stop();
    expect(journal).toEqual(['stop input', 'stop dlq', 'stop sink']);
  });

  it('is not ready after it stopped', async () => {
    const { processor } = processorWith();
    await processor.start();
    await processor.stop();
    expect(processor.ready()).toBe(false);
  });

  describe('event times out of range', () => {
    const observed = '2026-11-24T10:00:00.000Z';
    const syslogRecord = (timestamp: string): RawRecord =>
      record(1, {
        stream: { id: 'syslog:udp:514', kind: 'syslog' },
        observed_at: observed,
        dataset: 'generic',
        syslog: { format: 'rfc5424', timestamp, message: 'hello' },
      });

    // retention_days defaults to 30: older events are out of range.
    const withOpenSearch = { opensearch: { url: 'http://127.0.0.1:9200' } };

    async function indexed(timestamp: string, config: Record<string, unknown> = withOpenSearch) {
      const { processor, input, sink, metrics } = processorWith(config);
      await processor.start();
      await input.handler?.([syslogRecord(timestamp)]);
      await processor.stop();
      return { request: sink.writes[0]?.[0] as IndexRequest, metrics: await metrics.text() };
    }

    it('keeps an event time within the bounds', async () => {
      const { request, metrics } = await indexed('2026-11-24T09:59:00.000Z');
      expect(request.event['@timestamp']).toBe('2026-11-24T09:59:00.000Z');
      expect(request.index).toBe('vigil-generic-2026.11.24');
      expect(request.event.tags).toBeUndefined();
      expect(metrics).not.toContain('vigil_processor_events_out_of_range_total{');
    });

    it.each([
      ['too old for the retention', '2025-01-01T00:00:00.000Z', 'past'],
      ['more than a day in the future', '2026-11-26T10:00:00.000Z', 'future'],
      ['not a date', 'yesterday at noon', 'invalid'],
    ])(
      'indexes an event whose time is %s at the time it was read, tagged and counted',
      async (_what, timestamp, direction) => {
        const { request, metrics } = await indexed(timestamp);
        expect(request.event['@timestamp']).toBe(observed);
        expect(request.index).toBe('vigil-generic-2026.11.24');
        expect(request.event.vigil.original_timestamp).toBe(timestamp);
        expect(request.event.tags).toEqual(['vigil_timestamp_out_of_range']);
        expect(metrics).toContain(`vigil_processor_events_out_of_range_total{direction="${direction}"} 1`);
      },
    );

    it('measures the bounds from the time the record was read, so a replay picks the same index', async () => {
      // Read two years ago and dated a minute earlier: in range, whenever it is processed.
      const old = processorWith(withOpenSearch);
      await old.processor.start();
      await old.input.handler?.([
        { ...syslogRecord('2024-11-24T09:59:00.000Z'), observed_at: '2024-11-24T10:00:00.000Z' },
      ]);
      await old.processor.stop();
      const replayed = old.sink.writes[0]?.[0] as IndexRequest;
      expect(replayed.event['@timestamp']).toBe('2024-11-24T09:59:00.000Z');
      expect(replayed.index).toBe('vigil-generic-2024.11.24');
    });

    it('takes the age bound from opensearch.max_event_age_days', async () => {
      const config = { opensearch: { url: 'http://127.0.0.1:9200', max_event_age_days: 1 } };
      const { request } = await indexed('2026-11-22T10:00:00.000Z', config);
      expect(request.event['@timestamp']).toBe(observed);
    });
  });

  describe('detection', () => {
    it('records the rules an event matched in vigil.rule_hits', async () => {
      const { processor, input, sink } = processorWith({}, { detect: true });
      await processor.start();
      await input.handler?.([record(1, { line: 'user login ok' }), record(2, { line: 'logout' })]);
      await processor.stop();
      const [first, second] = sink.writes[0] as IndexRequest[];
      expect(first?.event.vigil.rule_hits).toEqual(['r-login']);
      expect(second?.event.vigil.rule_hits).toBeUndefined();
    });

    it('publishes alerts pointing at the indexed event, and signals, before the batch is settled', async () => {
      const { processor, input, alerts, signals, journal, metrics } = processorWith({}, { detect: true });
      await processor.start();
      await input.handler?.([record(1, { line: 'user login ok' })]);
      const id = eventId(record(1));
      expect(alerts.messages).toEqual([
        { key: `a-${id}`, value: { id: `a-${id}`, event_ids: [id], index: 'vigil-linux.auth-2026.11.25' } },
      ]);
      expect(signals.messages).toEqual([{ key: 'c-1|u1', value: { event_id: id } }]);
      expect(journal.filter((j) => j.startsWith('write'))).toEqual(['write alerts', 'write signals']);
      const text = await metrics.text();
      expect(text).toContain('vigil_processor_rule_hits_total 1');
      expect(text).toContain('vigil_processor_published_total{topic="alerts"} 1');
      await processor.stop();
    });

    it('does not settle a batch whose alerts could not be published, so it is processed again', async () => {
      const { processor, input, alerts } = processorWith({}, { detect: true });
      await processor.start();
      alerts.fail = new Error('broker unavailable');
      await expect(input.handler?.([record(1, { line: 'user login ok' })])).rejects.toThrow(
        'broker unavailable',
      );
      await processor.stop();
    });

    it('publishes nothing for a batch without matches', async () => {
      const { processor, input, journal } = processorWith({}, { detect: true });
      await processor.start();
      await input.handler?.([record(1, { line: 'logout' })]);
      await processor.stop();
      expect(journal.filter((j) => j.startsWith('write'))).toEqual([]);
    });
  });
});
