/**
 * The collector's promise under faults, driven through the CLI against the
 * real Kafka: SIGKILL at random moments loses nothing and produces no
 * fragment; a Kafka outage with a collector restart in the middle loses
 * nothing for files and TCP syslog, and UDP losses are counted.
 */
import { execFileSync } from 'node:child_process';
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

afterAll(cleanupFaultSetups);

describe('collector under faults', { timeout: 300_000 }, () => {
  it('loses no file or TCP syslog line while Kafka is down for 60 s and the collector restarts in the middle; UDP drops are counted', async () => {
    const s = setup(
      'outage',
      `  syslog:
    - { protocol: tcp, address: "127.0.0.1:0", dataset: e2e.tcp }
`,
    );
    // Fixed ports so senders can reconnect after the restart.
    const tcpPort = 30000 + Math.floor(Math.random() * 10000);
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
        if (records.length < 5000 + 4000) {
          const kinds = records.reduce<Record<string, number>>((acc, r) => {
            acc[r.stream.kind] = (acc[r.stream.kind] ?? 0) + 1;
            return acc;
          }, {});
          const tcp = records
            .filter((r) => r.stream.kind === 'syslog')
            .map((r) => Number(LINE.exec(r.syslog?.message ?? '')?.[1]));
          const first = tcp.filter((n) => n < 102_000).length;
          const metrics = await fetch(`http://127.0.0.1:${tcpPort + 1}/metrics`)
            .then((r) => r.text())
            .catch(() => '');
          const interesting = metrics
            .split('\n')
            .filter((l) =>
              /^vigil_collector_(spool|syslog_messages|produced|buffered|records_shipped|ship_failures)/.test(
                l,
              ),
            );
          console.log(
            `Waiting: ${JSON.stringify(kinds)}, TCP first ${first}, second ${tcp.length - first}; ${interesting.join('; ')}`,
          );
          await new Promise((r) => setTimeout(r, 5000));
        }
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
      `Kafka outage: file duplicates ${file.duplicates}, TCP records ${tcpRecords.length} for 4000 sent.`,
    );
  });
});
