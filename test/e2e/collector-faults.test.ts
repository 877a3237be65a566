/**
 * The collector's promise under faults, driven through the CLI against the
 * real Kafka: SIGKILL at random moments loses nothing and produces no
 * fragment; a Kafka outage with a collector restart in the middle loses
 * nothing for files and TCP syslog, and UDP losses are counted.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../core/event/raw-record.ts';
import { ROOT, runVigil, spawnVigil, waitFor } from '../helpers/cli.ts';
import {
  analyse,
  checkpointedBytes,
  cleanupFaultSetups,
  LINE,
  line,
  setup,
  stop,
  write,
} from '../helpers/collector-faults.ts';
import { readTopic, TopicRecords, topicMessageCount } from '../helpers/kafka-topic.ts';
import { listenPort } from '../helpers/services.ts';

afterAll(cleanupFaultSetups);

describe('collector under faults', { timeout: 300_000 }, () => {
  it('delivers 100,000 lines to Kafka although it is killed with SIGKILL five times, with no fragments', async () => {
    const s = setup('sigkill');
    expect((await runVigil(['setup', '-c', s.configFile, '--only', 'kafka'])).code).toBe(0);
    const LINES = 100_000;
    const writing = write(s.logFile, 0, LINES, 1000, 60);
    let collector = spawnVigil(['collector', '-c', s.configFile]);
    for (let kill = 0; kill < 5; kill++) {
      await new Promise((r) => setTimeout(r, 900 + Math.random() * 600));
      collector.child.kill('SIGKILL');
      await collector.exited;
      collector = spawnVigil(['collector', '-c', s.configFile]);
    }
    await writing;
    // Everything is delivered when the checkpoint reaches the end of the file.
    const size = statSync(s.logFile).size;
    // The last collector may still be starting when the previous ones already shipped everything.
    await waitFor(
      'the last collector to start',
      () => collector.output().includes('Collector started.'),
      60_000,
    );
    await waitFor(
      'the checkpoint to reach the end of the file',
      () => checkpointedBytes(s) === size,
      120_000,
    );
    expect(await stop(collector), collector.output()).toBe(0);

    const total = await topicMessageCount(s.topic);
    const { missing, duplicates, fragments } = analyse(await readTopic(s.topic, total), LINES);
    console.log(
      `SIGKILL x5 over ${LINES} lines: ${duplicates} duplicates, ${missing.length} missing, ${fragments.length} fragments.`,
    );
    expect(missing).toEqual([]);
    expect(fragments).toEqual([]);
    // Re-sent lines can only come from what was in flight at each kill: the batch being
    // produced and at most one acknowledged while its checkpoint was being written.
    expect(duplicates).toBeLessThanOrEqual(5 * 2 * 2000);
  });

  it('loses no file or TCP syslog line while Kafka is down for 60 s and the collector restarts in the middle', async () => {
    const s = setup(
      'outage',
      `  syslog:
    - { protocol: tcp, address: "127.0.0.1:0", dataset: e2e.tcp }
`,
    );
    // Fixed ports so senders can reconnect after the restart.
    const tcpPort = listenPort();
    const config = (await import('node:fs'))
      .readFileSync(s.configFile, 'utf8')
      .replace('127.0.0.1:0', `127.0.0.1:${tcpPort}`)
      .replace('http: { enabled: false }', `http: { address: "127.0.0.1:${tcpPort + 1}" }`);
    writeFileSync(s.configFile, config);
    expect((await runVigil(['setup', '-c', s.configFile, '--only', 'kafka'])).code).toBe(0);

    const follower = new TopicRecords(s.topic);
    await follower.start();
    let collector = spawnVigil(['collector', '-c', s.configFile]);
    await write(s.logFile, 0, 1000, 500, 50);
    await waitFor('the first lines', () => follower.count >= 1000, 30_000);
    // A consumer does not live through the broker's outage; read afresh afterwards.
    await follower.stop();

    const stack = (args: string[]) =>
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'stack.ts'), ...args], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    stack(['down', '--only', 'kafka']);
    const outageStart = Date.now();
    try {
      const sendTcp = async (from: number, count: number) => {
        await new Promise<void>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: tcpPort }, () => {
            for (let i = from; i < from + count; i++)
              socket.write(`<14>1 2026-11-24T22:00:00Z host app - - - ${line(i)}\n`);
            socket.end(resolve);
          });
          socket.on('error', reject);
        });
      };
      await write(s.logFile, 1000, 2000, 250, 200);
      await sendTcp(100_000, 2000);
      // Restart the collector in the middle of the outage.
      expect(await stop(collector), collector.output()).toBe(0);
      collector = spawnVigil(['collector', '-c', s.configFile]);
      await waitFor(
        'the TCP listener after the restart',
        () => collector.output().includes('Syslog listener started.'),
        30_000,
      );
      await write(s.logFile, 3000, 2000, 250, 200);
      await sendTcp(102_000, 2000);
      const rest = 60_000 - (Date.now() - outageStart);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    } finally {
      stack(['up', '--only', 'kafka']);
    }
    const size = statSync(s.logFile).size;
    await waitFor(
      'the file checkpoint to reach the end of the file',
      () => checkpointedBytes(s) === size,
      120_000,
    );
    let records: RawRecord[] = [];
    await waitFor(
      'every file and TCP line in Kafka',
      async () => {
        records = await readTopic(s.topic, await topicMessageCount(s.topic));
        return records.length >= 5000 + 4000;
      },
      120_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stop(collector), collector.output()).toBe(0);

    records = await readTopic(s.topic, await topicMessageCount(s.topic));
    const fileRecords = records.filter((r) => r.stream.kind === 'file');
    const tcpRecords = records
      .filter((r) => r.stream.kind === 'syslog')
      .map((r) => ({ ...r, line: r.syslog?.message ?? '' }));
    const file = analyse(fileRecords, 5000);
    expect(file.missing).toEqual([]);
    expect(file.fragments).toEqual([]);
    const tcpNumbers = new Set(tcpRecords.map((r) => Number(LINE.exec(r.line)?.[1])));
    const tcpMissing = Array.from({ length: 4000 }, (_, i) => 100_000 + i).filter((n) => !tcpNumbers.has(n));
    expect(tcpMissing).toEqual([]);
    console.log(
      `Kafka outage with a restart: ${file.duplicates} file duplicates, ${tcpRecords.length - tcpNumbers.size} TCP duplicates, 0 missing.`,
    );
  });

  it('counts UDP datagrams it cannot buffer while Kafka is slow or down, never silently', async () => {
    const s = setup(
      'udp',
      `  syslog:
    - { protocol: udp, address: "127.0.0.1:0", dataset: e2e.udp }
  batch_max_records: 100
`,
    );
    const udpPort = listenPort();
    const httpPort = listenPort();
    const config = (await import('node:fs'))
      .readFileSync(s.configFile, 'utf8')
      .replace('127.0.0.1:0', `127.0.0.1:${udpPort}`)
      .replace('http: { enabled: false }', `http: { address: "127.0.0.1:${httpPort}" }`);
    writeFileSync(s.configFile, config);
    expect((await runVigil(['setup', '-c', s.configFile, '--only', 'kafka'])).code).toBe(0);
    const stack = (args: string[]) =>
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'stack.ts'), ...args], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    const collector = spawnVigil(['collector', '-c', s.configFile]);
    await waitFor('the UDP listener', () => collector.output().includes('Syslog listener started.'), 30_000);
    const socket = createSocket('udp4');
    const SENT = 3000;
    stack(['down', '--only', 'kafka']);
    try {
      for (let i = 0; i < SENT; i++) {
        socket.send(`<14>1 2026-11-24T22:00:00Z host app - - - ${line(i)}`, udpPort, '127.0.0.1');
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      socket.close();
      stack(['up', '--only', 'kafka']);
    }
    await new Promise((r) => setTimeout(r, 5000));
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const received = Number(
      /vigil_collector_syslog_messages_total\{[^}]*protocol="udp"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    const dropped = [...metrics.matchAll(/vigil_collector_syslog_dropped_total\{[^}]*\} (\d+)/g)].reduce(
      (s2, m) => s2 + Number(m[1]),
      0,
    );
    await waitFor(
      'buffered UDP records in Kafka',
      async () => (await readTopic(s.topic, await topicMessageCount(s.topic))).length >= received - dropped,
      60_000,
    );
    expect(await stop(collector), collector.output()).toBe(0);
    const inKafka = (await readTopic(s.topic, await topicMessageCount(s.topic))).length;
    console.log(
      `UDP during outage: sent ${SENT}, received ${received}, dropped (counted) ${dropped}, in Kafka ${inKafka}.`,
    );
    expect(dropped).toBeGreaterThan(0);
    expect(inKafka).toBe(received - dropped);
    expect(received).toBeLessThanOrEqual(SENT);
  });
});
