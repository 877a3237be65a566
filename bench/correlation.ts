/**
 * `node --expose-gc bench/correlation.ts`: the correlation engine on signals —
 * throughput per core and memory per 100,000 active groups.
 *
 * Throughput: signals of four rules (event_count, value_count, temporal,
 * temporal_ordered) over a rolling population of groups, event times
 * advancing 1 ms per signal with a little disorder (within the allowed
 * lateness), measured in signals per CPU second of this single-threaded
 * process (process.cpuUsage), median over rounds. Memory: the heap used
 * after a full garbage collection, before and after 100,000 groups of an
 * event_count rule each hold a few events. Prints Markdown (or JSON with
 * --json); progress goes to standard error. Benchmarks measure and record;
 * they never fail on a number.
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { CorrelationEngine } from '../rules/correlation/engine.ts';
import { buildCorrelationSet, parseCorrelationText } from '../rules/correlation/load.ts';
import type { Signal } from '../rules/correlation/signal.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './measure.ts';

const USAGE = `Usage: node --expose-gc bench/correlation.ts [options]

Options:
  --signals <count>  Signals per throughput round (default 1000000).
  --groups <count>   Distinct groups the signals spread over (default 50000).
  --rounds <count>   Measured rounds (default 5).
  --events <count>   Events each group holds in the memory measure (default 4).
  --json             Print JSON instead of Markdown.
  -h, --help         Show this help.
`;

const RULES = `
title: A
name: a
logsource: { product: bench }
detection: { sel: { x: a }, condition: sel }
---
title: B
name: b
logsource: { product: bench }
detection: { sel: { x: b }, condition: sel }
---
title: Many A
name: many
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 5m, condition: { gte: 50 } }
---
title: Spray
name: spray
correlation: { type: value_count, rules: [a], group-by: [ip], timespan: 5m, condition: { field: user, gte: 40 } }
---
title: A and B
name: both
correlation: { type: temporal, rules: [a, b], group-by: [user], timespan: 1m }
---
title: A then B
name: seq
correlation: { type: temporal_ordered, rules: [a, b], group-by: [host], timespan: 1m }
`;

function setOf(text: string) {
  const parsed = parseCorrelationText('bench.yml', text);
  const problems = [...parsed.problems];
  const set = buildCorrelationSet(parsed.correlations, parsed.identities, problems);
  if (problems.length > 0) throw new Error(`Benchmark rules have problems: ${JSON.stringify(problems)}`);
  return set;
}

const T0 = Date.parse('2025-03-01T00:00:00Z');

/** Signals for the throughput rounds, made before measuring. */
function throughputSignals(count: number, groups: number): Signal[] {
  const kinds = ['many', 'spray', 'both', 'seq'] as const;
  const out: Signal[] = [];
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % 4] as (typeof kinds)[number];
    const g = Math.floor(random() * groups);
    const time = new Date(T0 + i - Math.floor(random() * 500)).toISOString();
    const rule = kind === 'both' || kind === 'seq' ? (random() < 0.5 ? 'a' : 'b') : 'a';
    const group: Record<string, string> =
      kind === 'spray'
        ? { ip: `10.${g >> 16}.${(g >> 8) & 255}.${g & 255}` }
        : kind === 'seq'
          ? { host: `host-${g}` }
          : { user: `user-${g}` };
    out.push({
      correlation: kind,
      rule,
      time,
      event_id: `e${i}`,
      group,
      ...(kind === 'spray' ? { value: `user-${Math.floor(random() * 60)}` } : {}),
    });
  }
  return out;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function throughputRound(signals: readonly Signal[]): {
  perCpuSecond: number;
  alerts: number;
  groups: number;
} {
  const engine = new CorrelationEngine(setOf(RULES), { allowedLatenessMs: 1000, maxGroupsPerRule: 100_000 });
  let alerts = 0;
  const began = cpuSeconds();
  for (let i = 0; i < signals.length; i++) alerts += engine.process(signals[i] as Signal, i).length;
  const spent = cpuSeconds() - began;
  return { perCpuSecond: signals.length / spent, alerts, groups: engine.activeGroups() };
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('Run with node --expose-gc to measure memory.');
  collect();
  collect();
}

function memoryPer100k(eventsPerGroup: number): { bytesPerGroup: number; heapMiB: number; groups: number } {
  const groups = 100_000;
  const set = setOf(`${RULES}
---
title: Held
name: held
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 1h, condition: { gte: 1000 } }
`);
  gc();
  const before = process.memoryUsage().heapUsed;
  const engine = new CorrelationEngine(set, { allowedLatenessMs: 1000, maxGroupsPerRule: groups });
  // Signals are made one at a time: what stays on the heap is what the engine keeps.
  let seq = 0;
  for (let e = 0; e < eventsPerGroup; e++) {
    const time = new Date(T0 + e * 1000).toISOString();
    for (let g = 0; g < groups; g++) {
      engine.process(
        { correlation: 'held', rule: 'a', time, event_id: `e-${g}-${e}`, group: { user: `user-${g}` } },
        seq++,
      );
    }
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  if (engine.activeGroups() !== groups)
    throw new Error(`Expected ${groups} groups, got ${engine.activeGroups()}.`);
  return { bytesPerGroup: (after - before) / groups, heapMiB: (after - before) / 2 ** 20, groups };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      signals: { type: 'string', default: '1000000' },
      groups: { type: 'string', default: '50000' },
      rounds: { type: 'string', default: '5' },
      events: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const machine = describeMachine(tmpdir());
  const count = Number(values.signals);
  const signals = throughputSignals(count, Number(values.groups));
  process.stderr.write(`Warming up on ${count} signals…\n`);
  throughputRound(signals);
  const rounds: ReturnType<typeof throughputRound>[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    rounds.push(throughputRound(signals));
    process.stderr.write(
      `Round ${r + 1}: ${Math.round(rounds[r]?.perCpuSecond ?? 0)} signals per CPU second.\n`,
    );
  }
  signals.length = 0;
  const memory = memoryPer100k(Number(values.events));
  const result = {
    machine,
    signals: count,
    groups: Number(values.groups),
    perCpuSecond: median(rounds.map((r) => r.perCpuSecond)),
    alertsPerRound: rounds[0]?.alerts ?? 0,
    groupsHeldAtEnd: rounds[0]?.groups ?? 0,
    memory,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `## Correlation engine\n\n${machineLine(machine)}\n\n` +
      '| Measure | Result |\n| --- | --- |\n' +
      `| Throughput (4 rules: event_count, value_count, temporal, temporal_ordered; ${count.toLocaleString('en')} signals over ${result.groups.toLocaleString('en')} groups per rule) | ${Math.round(result.perCpuSecond).toLocaleString('en')} signals per CPU second (median of ${rounds.length}) |\n` +
      `| Alerts per round | ${result.alertsPerRound.toLocaleString('en')} |\n` +
      `| Heap for 100,000 active groups (${values.events} events each) | ${memory.heapMiB.toFixed(1)} MiB (${Math.round(memory.bytesPerGroup)} bytes per group) |\n`,
  );
}

await main();
