/**
 * `node bench/detection.ts`: Sigma detection throughput per core, and how
 * it grows with the number of rules.
 *
 * Rules: Vigil's rule pack and the SigmaHQ rules of ../shared/data/sigma,
 * through Vigil's ECS pipeline, plus synthetic variants of them (the same
 * detections with other realistic literals: tool names, paths, user agents)
 * up to each rule count. Events: the 10,000 real Apache lines of
 * ../shared/data/apache/access.log as ECS web events, and as many synthetic
 * sshd, sudo, cron, useradd, firewall and process events, shuffled.
 *
 * Measures events per CPU second of this single-threaded process
 * (process.cpuUsage), median over rounds, for each rule count, and the cost
 * ratio of the largest to the smallest set. Prints Markdown (or JSON with
 * --json); progress goes to standard error. Benchmarks measure and record;
 * they never fail on a number.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildRuleSet, loadPipelines, RULE_PACK_DIR, readRuleFile, ruleFiles } from '../rules/sigma/load.ts';
import type { RuleProblem } from '../rules/sigma/model/problem.ts';
import type { Detection, DetectionItem, SigmaDocument, SigmaRule } from '../rules/sigma/model/rule.ts';
import type { SigmaValue } from '../rules/sigma/model/values.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './measure.ts';

const SIGMAHQ = fileURLToPath(new URL('../../shared/data/sigma/rules', import.meta.url));
const APACHE = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));

const USAGE = `Usage: node bench/detection.ts [options]

Options:
  --rules <list>    Rule counts to measure, comma-separated (default 500,1000,2000).
  --events <count>  Events per round (default 100000).
  --rounds <count>  Measured rounds per rule count (default 5).
  --json            Print JSON instead of Markdown.
  -h, --help        Show this help.
`;

/** Realistic literals the variants use in place of the originals'. */
const TOKENS = [
  'mimikatz',
  'rclone',
  'chisel',
  'ngrok',
  'socat',
  'plink',
  'procdump',
  'psexec',
  'certutil',
  'bitsadmin',
  'msbuild',
  'regsvr32',
  'rundll32',
  'mshta',
  'wmic',
  'xmrig',
  'kinsing',
  'tsunami',
  'gsocket',
  'pspy',
  'linpeas',
  'lazagne',
  'sliver',
  'merlin',
  'havoc',
  'brute_ratel',
  'cobaltstrike',
  'metasploit',
  'empire',
  'nishang',
  'sharphound',
  'bloodhound',
  'kerbrute',
  'rubeus',
  'crackmapexec',
  'impacket',
  'evil-winrm',
  'hydra',
  'medusa',
  'ncrack',
  'zmap',
  'wfuzz',
  'arachni',
  'w3af',
  'skipfish',
  'openvas',
  'burpsuite',
  '/tmp/.x',
  '/dev/shm/.k',
  '/var/tmp/.cache',
  '.bash_history',
  'authorized_keys',
  'id_ed25519',
  '.kube/config',
  'wp-admin/setup',
  'phpmyadmin',
  'adminer.php',
  'cgi-bin/luci',
  'actuator/env',
  'solr/admin',
  'jmx-console',
  'struts2',
  'confluence',
  'vcenter',
  'citrix',
  'fortios',
  'pulse',
  'moveit',
  'exchange',
  'owa/auth',
];

function mutateValue(value: SigmaValue, token: string): SigmaValue {
  if (value.type === 'expansion') return { ...value, values: value.values.map((v) => mutateValue(v, token)) };
  if (value.type !== 'string') return value;
  return {
    ...value,
    raw: undefined,
    parts: value.parts.map((p) => (typeof p === 'string' && p.length >= 3 ? `${p}${token}` : p)),
  };
}

function mutateDetection(detection: Detection, token: string): Detection {
  if (detection.kind === 'any')
    return { ...detection, alternatives: detection.alternatives.map((d) => mutateDetection(d, token)) };
  return {
    ...detection,
    items: detection.items.map(
      (item): DetectionItem => ({ ...item, values: item.values.map((v) => mutateValue(v, token)) }),
    ),
  };
}

function variant(rule: SigmaRule, n: number): SigmaRule {
  const token = `${TOKENS[n % TOKENS.length]}${Math.floor(n / TOKENS.length) || ''}`;
  const detections = new Map([...rule.detections].map(([name, d]) => [name, mutateDetection(d, token)]));
  return { ...rule, id: `${rule.id ?? rule.title}-v${n}`, name: undefined, detections };
}

function loadBase(): SigmaRule[] {
  const problems: RuleProblem[] = [];
  const { chain } = loadPipelines({});
  const docs: SigmaDocument[] = [];
  for (const file of ruleFiles([RULE_PACK_DIR, SIGMAHQ], problems)) {
    docs.push(...readRuleFile(file, { placeholders: chain.placeholders }).documents);
  }
  return docs.filter((d): d is SigmaRule => d.kind === 'rule');
}

function rulesOf(base: readonly SigmaRule[], count: number): SigmaRule[] {
  const out = base.slice(0, count);
  for (let n = 0; out.length < count; n++) out.push(variant(base[n % base.length] as SigmaRule, n));
  return out;
}

/** A seeded generator, so every run sees the same events. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const APACHE_LINE = /^(\S+) \S+ (\S+) \[[^\]]+\] "(\S+) (\S+)[^"]*" (\d{3}) (\S+) "([^"]*)" "([^"]*)"/;

function events(count: number): Record<string, unknown>[] {
  const rnd = random(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const ip = () =>
    `${pick([203, 198, 192, 10, 172])}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`;
  const web: Record<string, unknown>[] = [];
  for (const line of readFileSync(APACHE, 'utf8').split('\n')) {
    const m = APACHE_LINE.exec(line);
    if (!m) continue;
    const [, client, user, method, url, status, , referrer, agent] = m as unknown as string[];
    const [path, query] = (url as string).split('?');
    web.push({
      '@timestamp': '2015-05-17T10:05:03.000Z',
      message: line,
      source: { ip: client, address: client },
      ...(user !== '-' ? { user: { name: user } } : {}),
      http: {
        request: { method, ...(referrer !== '-' ? { referrer } : {}) },
        response: { status_code: Number(status) },
      },
      url: { original: url, path, ...(query ? { query } : {}) },
      user_agent: { original: agent },
      event: {
        kind: 'event',
        module: 'apache',
        dataset: 'apache.access',
        category: ['web'],
        type: ['access'],
      },
    });
  }
  const users = ['root', 'alice', 'bob', 'deploy', 'www-data', 'postgres', 'admin', 'ubuntu'];
  const commands = [
    '/usr/bin/systemctl restart nginx',
    '/usr/bin/apt update',
    '/bin/bash',
    '/usr/bin/cat /var/log/syslog',
    '/usr/bin/docker ps',
  ];
  const host = () => ({ name: pick(['web1', 'web-02', 'db-01', 'bastion']) });
  const makers: Array<() => Record<string, unknown>> = [
    () => {
      const user = pick(users);
      const src = ip();
      const ok = rnd() < 0.3;
      const msg = ok
        ? `Accepted publickey for ${user} from ${src} port 50122 ssh2`
        : `Failed password for ${rnd() < 0.5 ? 'invalid user ' : ''}${user} from ${src} port 41022 ssh2`;
      return {
        message: msg,
        host: host(),
        process: { name: 'sshd', pid: 4242 },
        user: { name: user },
        source: { ip: src, port: 41022 },
        event: {
          kind: 'event',
          module: 'sshd',
          dataset: 'linux.auth',
          action: 'ssh_login',
          category: ['authentication'],
          type: ['info'],
          outcome: ok ? 'success' : 'failure',
        },
      };
    },
    () => {
      const user = pick(users);
      const command = pick(commands);
      return {
        message: `${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=${command}`,
        host: host(),
        process: { name: 'sudo' },
        user: { name: user, effective: { name: 'root' } },
        sudo: { tty: 'pts/0', command },
        event: {
          kind: 'event',
          module: 'sudo',
          dataset: 'linux.auth',
          action: 'sudo_command',
          category: ['process'],
          type: ['start'],
          outcome: 'success',
        },
      };
    },
    () => ({
      message: '(root) CMD (cd / && run-parts --report /etc/cron.hourly)',
      host: host(),
      process: { name: 'CRON', pid: 7702 },
      user: { name: 'root' },
      cron: { command: 'cd / && run-parts --report /etc/cron.hourly' },
      event: {
        kind: 'event',
        module: 'cron',
        dataset: 'linux.syslog',
        action: 'cron_command',
        category: ['process'],
        type: ['start'],
      },
    }),
    () => {
      const src = ip();
      const port = pick([22, 80, 443, 3389, 445, 8080, 161]);
      const block = rnd() < 0.7;
      return {
        message: `[UFW ${block ? 'BLOCK' : 'ALLOW'}] IN=eth0 OUT= SRC=${src} DST=10.0.1.11 PROTO=TCP SPT=53001 DPT=${port}`,
        host: host(),
        source: { ip: src, port: 53001 },
        destination: { ip: '10.0.1.11', port },
        network: { transport: 'tcp' },
        event: {
          kind: 'event',
          module: 'ufw',
          dataset: 'linux.kern',
          action: block ? 'ufw_block' : 'ufw_allow',
          category: ['network'],
          type: ['connection', block ? 'denied' : 'allowed'],
        },
      };
    },
    () => {
      const exe = pick([
        '/usr/bin/ls',
        '/usr/bin/python3',
        '/usr/bin/curl',
        '/usr/bin/find',
        '/bin/bash',
        '/usr/bin/tar',
      ]);
      const args = pick([
        '-la /var/www',
        '-c "import os"',
        '-s https://example.org/',
        '/ -name "*.conf"',
        '-c "echo ok"',
        'czf /backup/www.tgz /var/www',
      ]);
      return {
        message: `type=EXECVE msg=audit(1700000000.000:1234): argc=2 a0="${exe}"`,
        host: host(),
        process: {
          executable: exe,
          name: exe.split('/').pop(),
          command_line: `${exe} ${args}`,
          pid: 1234,
          parent: { executable: '/bin/bash' },
        },
        user: { name: pick(users) },
        auditd: { log: { record_type: 'EXECVE' } },
        event: {
          kind: 'event',
          module: 'auditd',
          dataset: 'linux.audit',
          action: 'execve',
          category: ['process'],
          type: ['start'],
        },
      };
    },
  ];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      i % 2 === 0
        ? (web[(i / 2) % web.length] as Record<string, unknown>)
        : (pick(makers) as () => Record<string, unknown>)(),
    );
  }
  return out;
}

interface Result {
  rules: number;
  eventsPerCpuSecond: number;
  min: number;
  max: number;
  cpuNsPerEvent: number;
  hitsPerRound: number;
  indexed: number;
  alwaysEvaluated: number;
  buildMs: number;
}

function main(): number {
  let values: { rules?: string; events?: string; rounds?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        rules: { type: 'string' },
        events: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const counts = (values.rules ?? '500,1000,2000').split(',').map(Number);
  const eventCount = Number(values.events ?? 100_000);
  const rounds = Number(values.rounds ?? 5);
  const machine = describeMachine(process.cwd());
  process.stderr.write('Loading the rule pack and the SigmaHQ rules…\n');
  const base = loadBase();
  const input = events(eventCount);
  const { chain } = loadPipelines({});
  const results: Result[] = [];
  for (const count of counts) {
    const started = performance.now();
    const problems: RuleProblem[] = [];
    const ruleSet = buildRuleSet(rulesOf(base, count), chain, problems, []);
    const buildMs = performance.now() - started;
    if (problems.length > 0) process.stderr.write(`${problems.length} problems building ${count} rules\n`);
    let hits = 0;
    for (const event of input.slice(0, 20_000)) hits += ruleSet.match(event).length; // warm-up
    const rates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      hits = 0;
      const before = process.cpuUsage();
      for (let i = 0; i < input.length; i++)
        hits += ruleSet.match(input[i] as Record<string, unknown>).length;
      const cpu = process.cpuUsage(before);
      rates.push(input.length / ((cpu.user + cpu.system) / 1e6));
    }
    const rate = median(rates);
    const stats = ruleSet.stats();
    results.push({
      rules: ruleSet.size,
      eventsPerCpuSecond: Math.round(rate),
      min: Math.round(Math.min(...rates)),
      max: Math.round(Math.max(...rates)),
      cpuNsPerEvent: Math.round(1e9 / rate),
      hitsPerRound: hits,
      indexed: stats.indexed,
      alwaysEvaluated: stats.alwaysEvaluated,
      buildMs: Math.round(buildMs),
    });
    process.stderr.write(`${ruleSet.size} rules: ${Math.round(rate)} events/CPU-s\n`);
  }
  const first = results[0] as Result;
  const last = results[results.length - 1] as Result;
  const costRatio = last.cpuNsPerEvent / first.cpuNsPerEvent;
  const command = `node bench/detection.ts ${process.argv.slice(2).join(' ')}`.trim();
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ command, machine, events: eventCount, rounds, results, costRatio }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    '## Sigma detection',
    '',
    `\`${command}\` — ${machine.date}`,
    '',
    machineLine(machine),
    '',
    `${eventCount.toLocaleString('en')} events per round (half real Apache access lines, half synthetic Linux auth, sudo, cron, firewall and process events), ${rounds} rounds, median events per CPU second (range).`,
    '',
    '| Rules | Events/CPU-s | Range | CPU ns/event | Hits/round | Indexed / always evaluated | Build ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.rules} | ${r.eventsPerCpuSecond.toLocaleString('en')} | ${r.min.toLocaleString('en')}–${r.max.toLocaleString('en')} | ${r.cpuNsPerEvent} | ${r.hitsPerRound.toLocaleString('en')} | ${r.indexed} / ${r.alwaysEvaluated} | ${r.buildMs} |`,
    ),
    '',
    `Cost per event with ${last.rules} rules is ${costRatio.toFixed(2)}× the cost with ${first.rules}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = main();
