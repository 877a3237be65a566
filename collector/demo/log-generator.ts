/**
 * Built-in generator of realistic log lines for the demo (like Vector's
 * `demo_logs` source), so the repository never ships third-party log files.
 *
 * Output is deterministic for a given seed and clock: the same options give
 * the same lines. Timestamps are taken from `now()` and written in UTC.
 * Public addresses come from the documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), internal ones from RFC 1918.
 *
 * Some events span several lines (an SSH login and its PAM session, a
 * brute-force burst, a scanner run); their later lines are returned by the
 * following calls for the same kind, so each kind's stream stays coherent.
 */
import { VigilError } from '../../core/errors.ts';

export const LOG_KINDS = ['linux.auth', 'linux.syslog', 'apache.access', 'apache.error'] as const;

export type LogKind = (typeof LOG_KINDS)[number];

/** Relative weights of each kind when `next()` is called without a kind. */
export const DEFAULT_LOG_MIX: Readonly<Record<LogKind, number>> = Object.freeze({
  'linux.auth': 30,
  'linux.syslog': 20,
  'apache.access': 40,
  'apache.error': 10,
});

export interface LogGeneratorOptions {
  /** Seed of the pseudo-random generator (used as a 32-bit integer); the same seed and clock give the same lines. Default 1. */
  seed?: number;
  /** Clock for the timestamps in the lines. Default `() => new Date()`. */
  now?: () => Date;
  /** Host names written in syslog headers. Default `web-01`, `web-02`, `db-01`, `bastion-01`. */
  hosts?: string[];
  /** Relative weight of each kind when no kind is asked for; missing kinds get 0. Default `DEFAULT_LOG_MIX`. */
  mix?: Partial<Record<LogKind, number>>;
}

export interface GeneratedLogLine {
  kind: LogKind;
  /** The ECS `event.dataset` the line belongs to. */
  dataset: string;
  /** One log line, without its trailing newline. */
  line: string;
}

const DEFAULT_HOSTS = ['web-01', 'web-02', 'db-01', 'bastion-01'];
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A line still to be written; rendered with the clock at the time it is returned. */
type Render = (at: Date) => string;

// ---------------------------------------------------------------------------
// Pseudo-random numbers

/** mulberry32: a small, fast 32-bit generator; plenty for test data. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.#next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }

  /** One value, chosen with probability proportional to its weight; zero-weight values never. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of entries) total += weight;
    let roll = this.#next() * total;
    let last: T | undefined;
    for (const [value, weight] of entries) {
      if (weight <= 0) continue;
      roll -= weight;
      last = value;
      if (roll < 0) return value;
    }
    return last!; // reached only through rounding
  }

  hex(digits: number): string {
    let out = '';
    for (let i = 0; i < digits; i++) out += '0123456789abcdef'[this.int(0, 15)];
    return out;
  }

  bytes(count: number): Buffer {
    const out = Buffer.alloc(count);
    for (let i = 0; i < count; i++) out[i] = this.int(0, 255);
    return out;
  }
}

// ---------------------------------------------------------------------------
// Timestamps (all UTC)

const pad2 = (value: number): string => String(value).padStart(2, '0');

function clock(at: Date): string {
  return `${pad2(at.getUTCHours())}:${pad2(at.getUTCMinutes())}:${pad2(at.getUTCSeconds())}`;
}

/** RFC 3164: `Nov 24 22:31:05`, day padded with a space (`Nov  4`). */
function formatRfc3164Time(at: Date): string {
  return `${MONTHS[at.getUTCMonth()]} ${String(at.getUTCDate()).padStart(2, ' ')} ${clock(at)}`;
}

/** Apache `%t` without brackets: `24/Nov/2026:22:31:05 +0000`. */
function formatApacheAccessTime(at: Date): string {
  return `${pad2(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${clock(at)} +0000`;
}

/** Apache 2.4 error log, without brackets: `Tue Nov 24 22:31:05.123456 2026`. */
function formatApacheErrorTime(at: Date, microseconds: number): string {
  const fraction = String(at.getUTCMilliseconds() * 1000 + microseconds).padStart(6, '0');
  return (
    `${WEEKDAYS[at.getUTCDay()]} ${MONTHS[at.getUTCMonth()]} ${pad2(at.getUTCDate())} ` +
    `${clock(at)}.${fraction} ${at.getUTCFullYear()}`
  );
}

// ---------------------------------------------------------------------------
// Vocabulary

interface Account {
  name: string;
  uid: number;
  keyType: 'RSA' | 'ED25519';
  fingerprint: string;
}

const ACCOUNT_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'deploy', 'ansible'];
/** Names tried by SSH scanners that do not exist on the hosts. */
const INVALID_USERS = [
  'admin',
  'test',
  'oracle',
  'postgres',
  'user',
  'guest',
  'ftpuser',
  'pi',
  'support',
  'git',
  'administrator',
  'ubnt',
  'minecraft',
  'hadoop',
];
const NEW_ACCOUNTS = ['jenkins', 'svc-backup', 'frank', 'grace', 'nagios', 'svc-reports'];

const SUDO_COMMANDS = [
  '/usr/bin/systemctl restart nginx',
  '/usr/bin/systemctl reload apache2',
  '/usr/bin/apt-get update',
  '/usr/bin/apt-get -y upgrade',
  '/usr/bin/journalctl -u sshd --since today',
  '/usr/bin/tail -n 200 /var/log/apache2/error.log',
  '/usr/sbin/ufw status verbose',
  '/usr/bin/docker ps',
  '/bin/bash',
  '/usr/bin/vim /etc/ssh/sshd_config',
];
/** Commands that detections flag when tried through sudo. */
const SUSPICIOUS_SUDO_COMMANDS = [
  '/usr/bin/cat /etc/shadow',
  '/usr/bin/passwd root',
  '/usr/bin/nc -lvnp 4444',
];

const CRON_JOBS: readonly (readonly [string, string])[] = [
  ['root', '   cd / && run-parts --report /etc/cron.hourly'],
  ['root', 'command -v debian-sa1 > /dev/null && debian-sa1 1 1'],
  [
    'root',
    '[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi',
  ],
  ['root', 'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }'],
  ['www-data', 'php /var/www/shop/artisan schedule:run >> /dev/null 2>&1'],
  ['deploy', '/home/deploy/bin/backup-db.sh > /home/deploy/backup.log 2>&1'],
];

const SYSTEMD_UNITS: readonly (readonly [string, string])[] = [
  ['apt-daily.service', 'Daily apt download activities'],
  ['apt-daily-upgrade.service', 'Daily apt upgrade and clean activities'],
  ['logrotate.service', 'Rotate log files'],
  ['man-db.service', 'Daily man-db regeneration'],
  ['systemd-tmpfiles-clean.service', 'Cleanup of Temporary Directories'],
  ['sysstat-collect.service', 'system activity accounting tool'],
  ['certbot.service', 'Certbot'],
  ['fwupd-refresh.service', 'Refresh fwupd metadata and update motd'],
];
const SYSTEMD_DAEMONS: readonly (readonly [string, string])[] = [
  ['nginx.service', 'A high performance web server and a reverse proxy server'],
  ['apache2.service', 'The Apache HTTP Server'],
  ['postgresql@16-main.service', 'PostgreSQL Cluster 16-main'],
  ['docker.service', 'Docker Application Container Engine'],
];

/** Destination ports that internet scanners knock on. */
const BLOCKED_TCP_PORTS = [23, 22, 2323, 3389, 445, 1433, 3306, 5900, 6379, 8080, 8443, 9200, 5555];
const BLOCKED_UDP_PORTS = [161, 123, 1900, 5060, 11211, 53];

const SITE = 'https://www.example.com';
const BROWSER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];
const BOT_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
];
/** Agents of tools rather than people; also used by the internal monitoring. */
const TOOL_AGENTS = ['curl/8.5.0', 'Wget/1.21.4', 'python-requests/2.32.3', 'Go-http-client/1.1'];

interface AttackRequest {
  method: string;
  target: string;
  status: number;
  agent: 'sqlmap' | 'nikto' | 'tool' | 'browser' | 'shellshock';
}

/** Requests that Sigma web rules (traversal, SQL injection, scanners, secrets) should notice. */
const ATTACK_REQUESTS: readonly AttackRequest[] = [
  { method: 'GET', target: '/../../etc/passwd', status: 400, agent: 'tool' },
  { method: 'GET', target: '/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd', status: 400, agent: 'tool' },
  { method: 'GET', target: '/index.php?page=../../../../etc/passwd', status: 200, agent: 'nikto' },
  { method: 'GET', target: "/products.php?id=1'%20OR%20'1'='1", status: 500, agent: 'sqlmap' },
  { method: 'GET', target: "/search?q=1'+OR+'1'='1'--", status: 200, agent: 'sqlmap' },
  {
    method: 'GET',
    target: '/item.php?id=1%20UNION%20SELECT%20username,password%20FROM%20users--',
    status: 500,
    agent: 'sqlmap',
  },
  { method: 'GET', target: '/wp-login.php', status: 404, agent: 'browser' },
  { method: 'POST', target: '/wp-login.php', status: 404, agent: 'browser' },
  { method: 'POST', target: '/xmlrpc.php', status: 404, agent: 'tool' },
  { method: 'GET', target: '/.env', status: 403, agent: 'tool' },
  { method: 'GET', target: '/.git/config', status: 403, agent: 'tool' },
  { method: 'GET', target: '/phpmyadmin/index.php', status: 404, agent: 'nikto' },
  { method: 'GET', target: '/server-status', status: 403, agent: 'nikto' },
  {
    method: 'GET',
    target: '/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E',
    status: 200,
    agent: 'nikto',
  },
  {
    method: 'GET',
    target: '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
    status: 404,
    agent: 'tool',
  },
  { method: 'GET', target: '/shell.php?cmd=id', status: 404, agent: 'tool' },
  { method: 'GET', target: '/cgi-bin/status.cgi', status: 404, agent: 'shellshock' },
  { method: 'GET', target: '/boaform/admin/formLogin', status: 404, agent: 'tool' },
];

const ASSET_SETS: readonly (readonly string[])[] = [
  [
    '/static/css/main.3f2a1c9e.css',
    '/static/js/app.8d9e2b71.js',
    '/static/js/vendor.41bc0d2a.js',
    '/favicon.ico',
  ],
  ['/static/css/main.3f2a1c9e.css', '/images/logo.svg'],
  ['/images/products/hero-winter.webp', '/fonts/inter-var.woff2'],
  [],
];
const CATEGORIES = ['shoes', 'jackets', 'outdoor', 'accessories', 'sale'];
const SEARCHES = ['running+shoes', 'rain+jacket', 'gift+card', 'hiking%20boots', 'wool+socks'];
const BLOG_POSTS = [
  '/blog/2026/11/winter-collection',
  '/blog/2026/10/how-to-choose-trail-shoes',
  '/blog/2026/09/store-opening',
];
const MISSING_PATHS = ['/apple-touch-icon.png', '/products/0', '/old/index.php', '/ads.txt', '/blog/feed'];
const INVALID_URIS = [
  'GET /../../etc/passwd HTTP/1.1',
  'GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh HTTP/1.1',
  'GET /..%2f..%2f..%2fetc%2fpasswd HTTP/1.1',
];

interface ErrorMessage {
  module: string;
  level: 'error' | 'warn' | 'notice';
  /** Who the line is about: an outside client, an internal one, no client, or the parent process. */
  client: 'external' | 'internal' | 'none' | 'parent';
  text: (fill: {
    account: string;
    invalidUser: string;
    uri: string;
    line: number;
    denied: string;
    method: string;
  }) => string;
}

/** Apache 2.4 error-log messages with their relative weights. */
const ERROR_MESSAGES: readonly (readonly [ErrorMessage, number])[] = [
  [
    {
      module: 'core',
      level: 'error',
      client: 'external',
      text: (f) => `AH00126: Invalid URI in request ${f.uri}`,
    },
    14,
  ],
  [
    {
      module: 'authz_core',
      level: 'error',
      client: 'external',
      text: (f) => `AH01630: client denied by server configuration: /var/www/shop/public/${f.denied}`,
    },
    14,
  ],
  [
    {
      module: 'core',
      level: 'error',
      client: 'external',
      text: (f) => `AH00135: Invalid method in request ${f.method}`,
    },
    6,
  ],
  [
    {
      module: 'auth_basic',
      level: 'error',
      client: 'internal',
      text: (f) => `AH01617: user ${f.account}: authentication failure for "/admin/": Password Mismatch`,
    },
    10,
  ],
  [
    {
      module: 'auth_basic',
      level: 'error',
      client: 'external',
      text: (f) => `AH01618: user ${f.invalidUser} not found: /admin/`,
    },
    8,
  ],
  [
    {
      module: 'proxy_fcgi',
      level: 'error',
      client: 'external',
      text: (f) =>
        `AH01071: Got error 'PHP message: PHP Warning:  Undefined array key "id" in /var/www/shop/public/item.php on line ${f.line}'`,
    },
    10,
  ],
  [
    {
      module: 'php',
      level: 'error',
      client: 'external',
      text: (f) =>
        'PHP Fatal error:  Uncaught PDOException: SQLSTATE[42000]: Syntax error or access violation: 1064 ' +
        `You have an error in your SQL syntax in /var/www/shop/public/products.php:${f.line}`,
    },
    4,
  ],
  [
    {
      module: 'proxy',
      level: 'error',
      client: 'none',
      text: () =>
        '(111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1:8080) failed',
    },
    5,
  ],
  [
    {
      module: 'proxy_http',
      level: 'error',
      client: 'external',
      text: () => 'AH01114: HTTP: failed to make connection to backend: 127.0.0.1',
    },
    4,
  ],
  [
    {
      module: 'mpm_event',
      level: 'error',
      client: 'none',
      text: () =>
        'AH00484: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting',
    },
    2,
  ],
  [
    {
      module: 'ssl',
      level: 'warn',
      client: 'none',
      text: () =>
        'AH01909: www.example.com:443:0 server certificate does NOT include an ID which matches the server name',
    },
    3,
  ],
  [
    {
      module: 'mpm_event',
      level: 'notice',
      client: 'parent',
      text: () => 'AH00489: Apache/2.4.58 (Ubuntu) OpenSSL/3.0.13 configured -- resuming normal operations',
    },
    3,
  ],
  [
    {
      module: 'core',
      level: 'notice',
      client: 'parent',
      text: () => "AH00094: Command line: '/usr/sbin/apache2'",
    },
    3,
  ],
];

// ---------------------------------------------------------------------------
// Generator

interface HostState {
  name: string;
  address: string;
  mac: string;
  nextPid: number;
  logindPid: number;
  rsyslogPid: number;
  nextSession: number;
  /** Kernel uptime of the previous kernel line, in microseconds. */
  uptimeMicros: number;
  /** Epoch microseconds at which the host booted; fixed by the first kernel line. */
  bootedAt: number | undefined;
}

interface OpenSession {
  host: HostState;
  pid: number;
  user: Account;
  address: string;
  port: number;
  session: number;
}

interface ApacheWorker {
  pid: number;
  threads: string[];
}

export class LogGenerator {
  readonly #random: Random;
  readonly #now: () => Date;
  readonly #hosts: HostState[];
  readonly #mix: (readonly [LogKind, number])[];
  readonly #pending: Record<LogKind, Render[]> = {
    'linux.auth': [],
    'linux.syslog': [],
    'apache.access': [],
    'apache.error': [],
  };
  readonly #accounts: Account[];
  readonly #attackers: string[];
  readonly #sessions: OpenSession[] = [];
  readonly #apacheParent: ApacheWorker;
  readonly #apacheWorkers: ApacheWorker[];
  readonly #gatewayMac: string;
  #nextUid = 1000 + ACCOUNT_NAMES.length;
  #niktoTest = 1;

  constructor(options: LogGeneratorOptions = {}) {
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new VigilError(
        'CONFIG_INVALID',
        `demo log generator: seed must be a finite number, got ${seed}.`,
      );
    }
    this.#random = new Random(seed);
    this.#now = options.now ?? (() => new Date());
    this.#mix = resolveMix(options.mix);

    const hostNames = options.hosts ?? DEFAULT_HOSTS;
    if (hostNames.length === 0) {
      throw new VigilError('CONFIG_INVALID', 'demo log generator: hosts must list at least one host name.');
    }
    const r = this.#random;
    this.#hosts = hostNames.map((name, index) => {
      if (typeof name !== 'string' || !HOST_NAME.test(name)) {
        throw new VigilError(
          'CONFIG_INVALID',
          `demo log generator: hosts[${index}] must be a host name (letters, digits, '-' and '.'), got ${JSON.stringify(name)}.`,
        );
      }
      return {
        name,
        address: `10.0.1.${10 + (index % 240)}`,
        mac: `52:54:00:${r.hex(2)}:${r.hex(2)}:${r.hex(2)}`,
        nextPid: r.int(1200, 30000),
        logindPid: r.int(600, 900),
        rsyslogPid: r.int(500, 700),
        nextSession: r.int(1, 400),
        uptimeMicros: 0,
        bootedAt: undefined,
      };
    });
    this.#gatewayMac = `00:16:3e:${r.hex(2)}:${r.hex(2)}:${r.hex(2)}`;
    this.#accounts = ACCOUNT_NAMES.map((name, index) => ({
      name,
      uid: 1000 + index,
      keyType: r.chance(0.6) ? 'ED25519' : 'RSA',
      fingerprint: r.bytes(32).toString('base64').replace(/=+$/, ''),
    }));
    // A few repeat offenders, so correlations across lines and kinds have something to join on.
    this.#attackers = [
      `203.0.113.${r.int(1, 254)}`,
      `203.0.113.${r.int(1, 254)}`,
      `198.51.100.${r.int(1, 254)}`,
      `198.51.100.${r.int(1, 254)}`,
      `192.0.2.${r.int(1, 254)}`,
      `2001:db8:${r.int(0x1000, 0xffff).toString(16)}::${r.int(2, 254).toString(16)}`,
    ];
    const threadId = (): string => `1402${r.int(10_000_000, 99_999_999)}${r.int(100, 999)}`;
    const parentPid = r.int(900, 1500);
    this.#apacheParent = { pid: parentPid, threads: [threadId()] };
    this.#apacheWorkers = Array.from({ length: 3 }, (_, index) => ({
      pid: parentPid + 3 + index * r.int(1, 40),
      threads: Array.from({ length: 4 }, threadId),
    }));
  }

  /** The next line, of the given kind or of a kind drawn from the mix. */
  next(kind?: LogKind): GeneratedLogLine {
    const chosen = kind ?? this.#random.weighted(this.#mix);
    if (!LOG_KINDS.includes(chosen)) {
      throw new VigilError('CONFIG_INVALID', `demo log generator: unknown kind ${JSON.stringify(chosen)}.`);
    }
    const queue = this.#pending[chosen];
    if (queue.length === 0) queue.push(...this.#event(chosen));
    const render = queue.shift()!;
    return { kind: chosen, dataset: chosen, line: render(this.#now()) };
  }

  /** `count` lines, of the given kind or drawn from the mix. */
  lines(count: number, kind?: LogKind): GeneratedLogLine[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new VigilError(
        'CONFIG_INVALID',
        `demo log generator: count must be a non-negative integer, got ${count}.`,
      );
    }
    return Array.from({ length: count }, () => this.next(kind));
  }

  #event(kind: LogKind): Render[] {
    switch (kind) {
      case 'linux.auth':
        return this.#authEvent();
      case 'linux.syslog':
        return this.#syslogEvent();
      case 'apache.access':
        return this.#accessEvent();
      case 'apache.error':
        return this.#errorEvent();
    }
  }

  // --- shared pieces -------------------------------------------------------

  #pid(host: HostState): number {
    host.nextPid += this.#random.int(1, 60);
    if (host.nextPid > 4_194_000) host.nextPid = 300;
    return host.nextPid;
  }

  #port(): number {
    return this.#random.int(32768, 60999);
  }

  #host(): HostState {
    return this.#random.pick(this.#hosts);
  }

  #externalAddress(): string {
    const r = this.#random;
    return r.weighted<() => string>([
      [() => `203.0.113.${r.int(1, 254)}`, 4],
      [() => `198.51.100.${r.int(1, 254)}`, 4],
      [() => `192.0.2.${r.int(1, 254)}`, 2],
      [
        () =>
          `2001:db8:${r.int(0x1000, 0xffff).toString(16)}:${r.int(1, 0xffff).toString(16)}::${r.int(1, 0xfff).toString(16)}`,
        1,
      ],
    ])();
  }

  #internalAddress(): string {
    const r = this.#random;
    return r.weighted<() => string>([
      [() => `10.0.${r.int(2, 9)}.${r.int(10, 250)}`, 5],
      [() => `192.168.1.${r.int(20, 250)}`, 2],
      [() => `172.16.${r.int(0, 3)}.${r.int(10, 250)}`, 1],
    ])();
  }

  // --- linux.auth ----------------------------------------------------------

  #authEvent(): Render[] {
    const r = this.#random;
    if (r.chance(0.012)) return this.#bruteForce();
    const pick = r.weighted<() => Render[]>([
      [() => this.#sshInvalidUser(), 18],
      [() => this.#sshPreauthNoise(), 14],
      [() => this.#sshLogin(), 16],
      [() => this.#sshLogout(), this.#sessions.length > 0 ? 14 : 0],
      [() => this.#sudo(), 14],
      [() => this.#sudoFailure(), 3],
      [() => this.#su(), 4],
      [() => this.#useradd(), 1],
    ]);
    return pick();
  }

  #sshInvalidUser(): Render[] {
    const host = this.#host();
    const pid = this.#pid(host);
    const user = this.#random.pick(INVALID_USERS);
    const from = this.#random.chance(0.5) ? this.#random.pick(this.#attackers) : this.#externalAddress();
    const port = this.#port();
    const sshd = `sshd[${pid}]`;
    return [
      syslog(host, sshd, `Invalid user ${user} from ${from} port ${port}`),
      syslog(host, sshd, 'pam_unix(sshd:auth): check pass; user unknown'),
      syslog(
        host,
        sshd,
        `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${from}`,
      ),
      syslog(host, sshd, `Failed password for invalid user ${user} from ${from} port ${port} ssh2`),
      syslog(host, sshd, `Connection closed by invalid user ${user} ${from} port ${port} [preauth]`),
    ];
  }

  #sshPreauthNoise(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const sshd = `sshd[${this.#pid(host)}]`;
    const from = this.#externalAddress();
    const port = this.#port();
    return [
      r.weighted<Render>([
        [
          syslog(host, sshd, `Connection closed by authenticating user root ${from} port ${port} [preauth]`),
          4,
        ],
        [syslog(host, sshd, `Disconnected from authenticating user root ${from} port ${port} [preauth]`), 3],
        [syslog(host, sshd, `Received disconnect from ${from} port ${port}:11: Bye Bye [preauth]`), 3],
        [syslog(host, sshd, `Connection closed by ${from} port ${port} [preauth]`), 3],
        [syslog(host, sshd, `banner exchange: Connection from ${from} port ${port}: invalid format`), 1],
      ]),
    ];
  }

  #sshLogin(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const pid = this.#pid(host);
    const user = r.pick(this.#accounts);
    const from = r.chance(0.8) ? this.#internalAddress() : this.#externalAddress();
    const port = this.#port();
    const sshd = `sshd[${pid}]`;
    const lines: Render[] = [];
    if (r.chance(0.2)) {
      // A mistyped password before getting it right.
      lines.push(syslog(host, sshd, `Failed password for ${user.name} from ${from} port ${port} ssh2`));
      lines.push(syslog(host, sshd, `Accepted password for ${user.name} from ${from} port ${port} ssh2`));
    } else {
      lines.push(
        syslog(
          host,
          sshd,
          `Accepted publickey for ${user.name} from ${from} port ${port} ssh2: ${user.keyType} SHA256:${user.fingerprint}`,
        ),
      );
    }
    const session = host.nextSession++;
    lines.push(
      syslog(
        host,
        sshd,
        `pam_unix(sshd:session): session opened for user ${user.name}(uid=${user.uid}) by (uid=0)`,
      ),
      syslog(host, `systemd-logind[${host.logindPid}]`, `New session ${session} of user ${user.name}.`),
    );
    this.#sessions.push({ host, pid, user, address: from, port, session });
    return lines;
  }

  #sshLogout(): Render[] {
    const index = this.#random.int(0, this.#sessions.length - 1);
    const { host, pid, user, address, port, session } = this.#sessions.splice(index, 1)[0]!;
    const sshd = `sshd[${pid}]`;
    const logind = `systemd-logind[${host.logindPid}]`;
    return [
      syslog(host, sshd, `Received disconnect from ${address} port ${port}:11: disconnected by user`),
      syslog(host, sshd, `Disconnected from user ${user.name} ${address} port ${port}`),
      syslog(host, sshd, `pam_unix(sshd:session): session closed for user ${user.name}`),
      syslog(host, logind, `Session ${session} logged out. Waiting for processes to exit.`),
      syslog(host, logind, `Removed session ${session}.`),
    ];
  }

  /** Several failed passwords in a row from one address; now and then it ends in a login. */
  #bruteForce(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const from = r.pick(this.#attackers);
    const targetsRoot = r.chance(0.5);
    const attempts = r.int(6, 14);
    let target = 'root';
    const lines: Render[] = [];
    let pid = this.#pid(host);
    let port = this.#port();
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0 && attempt % 3 === 0) {
        // sshd allows a few tries per connection; the tool then reconnects.
        pid = this.#pid(host);
        port += r.int(1, 9);
      }
      target = targetsRoot ? 'root' : `invalid user ${r.pick(INVALID_USERS)}`;
      lines.push(
        syslog(host, `sshd[${pid}]`, `Failed password for ${target} from ${from} port ${port} ssh2`),
      );
    }
    if (targetsRoot && r.chance(0.2)) {
      lines.push(
        syslog(host, `sshd[${pid}]`, `Accepted password for root from ${from} port ${port} ssh2`),
        syslog(
          host,
          `sshd[${pid}]`,
          'pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)',
        ),
      );
    } else {
      lines.push(
        syslog(
          host,
          `sshd[${pid}]`,
          `Disconnecting ${targetsRoot ? 'authenticating user root' : target} ${from} port ${port}: Too many authentication failures [preauth]`,
        ),
      );
    }
    return lines;
  }

  #sudo(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const user = r.pick(this.#accounts);
    const tty = `pts/${r.int(0, 4)}`;
    const command = r.pick(SUDO_COMMANDS);
    return [
      syslog(host, 'sudo', sudoLine(user.name, tty, command)),
      syslog(
        host,
        'sudo',
        `pam_unix(sudo:session): session opened for user root(uid=0) by ${user.name}(uid=${user.uid})`,
      ),
      syslog(host, 'sudo', 'pam_unix(sudo:session): session closed for user root'),
    ];
  }

  #sudoFailure(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const user = r.pick(this.#accounts);
    const tty = `pts/${r.int(0, 4)}`;
    const command = r.pick(SUSPICIOUS_SUDO_COMMANDS);
    const tries = r.int(1, 3);
    const attempts = tries === 1 ? '1 incorrect password attempt' : `${tries} incorrect password attempts`;
    return [
      syslog(
        host,
        'sudo',
        `pam_unix(sudo:auth): authentication failure; logname=${user.name} uid=${user.uid} euid=0 tty=/dev/${tty} ruser=${user.name} rhost=  user=${user.name}`,
      ),
      syslog(host, 'sudo', `${user.name.padStart(8)} : ${attempts} ; ${sudoFields(user.name, tty, command)}`),
    ];
  }

  #su(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const user = r.pick(this.#accounts);
    const tty = `pts/${r.int(0, 4)}`;
    const su = `su[${this.#pid(host)}]`;
    if (r.chance(0.3)) {
      return [
        syslog(
          host,
          su,
          `pam_unix(su:auth): authentication failure; logname=${user.name} uid=${user.uid} euid=0 tty=${tty} ruser=${user.name} rhost=  user=root`,
        ),
        syslog(host, su, `FAILED SU (to root) ${user.name} on ${tty}`),
      ];
    }
    return [
      syslog(host, su, `(to root) ${user.name} on ${tty}`),
      syslog(
        host,
        su,
        `pam_unix(su:session): session opened for user root(uid=0) by ${user.name}(uid=${user.uid})`,
      ),
      syslog(host, su, 'pam_unix(su:session): session closed for user root'),
    ];
  }

  #useradd(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const name = r.pick(NEW_ACCOUNTS);
    const id = this.#nextUid++;
    const groupadd = `groupadd[${this.#pid(host)}]`;
    const useradd = `useradd[${this.#pid(host)}]`;
    return [
      syslog(host, groupadd, `group added to /etc/group: name=${name}, GID=${id}`),
      syslog(host, groupadd, `group added to /etc/gshadow: name=${name}`),
      syslog(host, groupadd, `new group: name=${name}, GID=${id}`),
      syslog(
        host,
        useradd,
        `new user: name=${name}, UID=${id}, GID=${id}, home=/home/${name}, shell=/bin/bash, from=/dev/pts/${r.int(0, 3)}`,
      ),
    ];
  }

  // --- linux.syslog --------------------------------------------------------

  #syslogEvent(): Render[] {
    return this.#random.weighted<() => Render[]>([
      [() => this.#cron(), 30],
      [() => this.#systemdTimer(), 20],
      [() => this.#systemdDaemon(), 6],
      [() => this.#firewallBlock(), 40],
      [() => this.#rsyslogHup(), 4],
    ])();
  }

  #cron(): Render[] {
    const host = this.#host();
    const [user, command] = this.#random.pick(CRON_JOBS);
    return [syslog(host, `CRON[${this.#pid(host)}]`, `(${user}) CMD (${command})`)];
  }

  #systemdTimer(): Render[] {
    const host = this.#host();
    const [unit, description] = this.#random.pick(SYSTEMD_UNITS);
    return [
      syslog(host, 'systemd[1]', `Starting ${unit} - ${description}...`),
      syslog(host, 'systemd[1]', `${unit}: Deactivated successfully.`),
      syslog(host, 'systemd[1]', `Finished ${unit} - ${description}.`),
    ];
  }

  #systemdDaemon(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const [unit, description] = r.pick(SYSTEMD_DAEMONS);
    if (r.chance(0.25)) {
      return [
        syslog(host, 'systemd[1]', `Starting ${unit} - ${description}...`),
        syslog(host, 'systemd[1]', `${unit}: Main process exited, code=exited, status=1/FAILURE`),
        syslog(host, 'systemd[1]', `${unit}: Failed with result 'exit-code'.`),
        syslog(host, 'systemd[1]', `Failed to start ${unit} - ${description}.`),
      ];
    }
    return [
      syslog(host, 'systemd[1]', `Stopping ${unit} - ${description}...`),
      syslog(host, 'systemd[1]', `${unit}: Deactivated successfully.`),
      syslog(host, 'systemd[1]', `Stopped ${unit} - ${description}.`),
      syslog(host, 'systemd[1]', `Starting ${unit} - ${description}...`),
      syslog(host, 'systemd[1]', `Started ${unit} - ${description}.`),
    ];
  }

  #firewallBlock(): Render[] {
    const r = this.#random;
    const host = this.#host();
    const source = r.chance(0.3) ? r.pick(this.#attackers.slice(0, 5)) : this.#externalIPv4();
    const header =
      `[UFW BLOCK] IN=eth0 OUT= MAC=${host.mac}:${this.#gatewayMac}:08:00 SRC=${source} DST=${host.address}` +
      ` LEN=${r.pick([40, 44, 60])} TOS=0x00 PREC=0x00 TTL=${r.int(38, 245)} ID=${r.int(1, 65535)}`;
    const packet = r.chance(0.85)
      ? `${header}${r.chance(0.5) ? ' DF' : ''} PROTO=TCP SPT=${this.#port()} DPT=${r.pick(BLOCKED_TCP_PORTS)}` +
        ` WINDOW=${r.pick([1024, 29200, 64240, 65535])} RES=0x00 SYN URGP=0`
      : `${header} PROTO=UDP SPT=${this.#port()} DPT=${r.pick(BLOCKED_UDP_PORTS)} LEN=${r.int(20, 120)}`;
    return [(at) => `${formatRfc3164Time(at)} ${host.name} kernel: [${this.#uptime(host, at)}] ${packet}`];
  }

  #externalIPv4(): string {
    let address = this.#externalAddress();
    while (address.includes(':')) address = this.#externalAddress();
    return address;
  }

  /** printk's `[%5lu.%06lu]` uptime, monotonic even if the clock stands still. */
  #uptime(host: HostState, at: Date): string {
    const nowMicros = at.getTime() * 1000 + this.#random.int(0, 999);
    // Up between an hour and about five weeks when the demo starts.
    host.bootedAt ??= nowMicros - this.#random.int(3_600_000_000, 3_000_000_000_000);
    const fromClock = nowMicros - host.bootedAt;
    host.uptimeMicros = Math.max(fromClock, host.uptimeMicros + this.#random.int(1, 5_000));
    const seconds = Math.floor(host.uptimeMicros / 1_000_000);
    const micros = host.uptimeMicros % 1_000_000;
    return `${String(seconds).padStart(5, ' ')}.${String(micros).padStart(6, '0')}`;
  }

  #rsyslogHup(): Render[] {
    const host = this.#host();
    return [
      syslog(
        host,
        'rsyslogd',
        `[origin software="rsyslogd" swVersion="8.2312.0" x-pid="${host.rsyslogPid}" x-info="https://www.rsyslog.com"] rsyslogd was HUPed`,
      ),
    ];
  }

  // --- apache.access -------------------------------------------------------

  #accessEvent(): Render[] {
    return this.#random.weighted<() => Render[]>([
      [() => this.#pageView(), 70],
      [() => this.#botVisit(), 12],
      [() => this.#adminVisit(), 4],
      [() => this.#healthCheck(), 8],
      [() => this.#scan(), 6],
    ])();
  }

  /** A browser loading a page, then some of its assets. */
  #pageView(): Render[] {
    const r = this.#random;
    const client = r.chance(0.2) ? this.#internalAddress() : this.#externalAddress();
    const agent = r.pick(BROWSER_AGENTS);
    const { method, target, status = this.#pageStatus() } = this.#page();
    const referer = r.weighted([
      ['-', 4],
      ['https://www.google.com/', 3],
      ['https://www.bing.com/', 1],
      ['https://duckduckgo.com/', 1],
      [`${SITE}/`, 3],
      [`${SITE}/products`, 2],
    ]);
    const protocol = r.chance(0.4) ? 'HTTP/2.0' : 'HTTP/1.1';
    const size = this.#bodySize(status, 2_000, 48_000);
    const lines = [access({ client, method, target, protocol, status, size, referer, agent })];
    if (status === 200 && method === 'GET' && !target.startsWith('/api/')) {
      for (const asset of r.pick(ASSET_SETS)) {
        const assetStatus = r.chance(0.6) ? 304 : 200;
        lines.push(
          access({
            client,
            target: asset,
            protocol,
            status: assetStatus,
            size: this.#bodySize(assetStatus, 1_000, 180_000),
            referer: `${SITE}${target}`,
            agent,
          }),
        );
      }
    }
    return lines;
  }

  #page(): { method: string; target: string; status?: number } {
    const r = this.#random;
    return r.weighted<() => { method: string; target: string; status?: number }>([
      [() => ({ method: 'GET', target: '/' }), 10],
      [() => ({ method: 'GET', target: '/products' }), 6],
      [() => ({ method: 'GET', target: `/products/${r.int(1000, 9999)}` }), 12],
      [() => ({ method: 'GET', target: `/products?category=${r.pick(CATEGORIES)}&page=${r.int(1, 6)}` }), 5],
      [() => ({ method: 'GET', target: `/search?q=${r.pick(SEARCHES)}` }), 4],
      [() => ({ method: 'GET', target: r.pick(BLOG_POSTS) }), 4],
      [() => ({ method: 'GET', target: r.pick(['/about', '/contact', '/cart', '/account']) }), 6],
      [() => ({ method: 'GET', target: '/login' }), 3],
      [() => ({ method: 'POST', target: '/login', status: r.chance(0.75) ? 302 : 200 }), 3],
      [() => ({ method: 'POST', target: '/checkout', status: r.chance(0.9) ? 302 : 500 }), 1],
      [() => ({ method: 'GET', target: `/api/v1/products?page=${r.int(1, 20)}` }), 5],
      [() => ({ method: 'POST', target: '/api/v1/cart', status: 201 }), 2],
      [() => ({ method: 'GET', target: '/old-catalog.html', status: 301 }), 1],
      [() => ({ method: 'GET', target: r.pick(MISSING_PATHS), status: 404 }), 2],
    ])();
  }

  #pageStatus(): number {
    return this.#random.weighted([
      [200, 84],
      [304, 10],
      [404, 4],
      [500, 0.5],
      [503, 0.2],
    ]);
  }

  #bodySize(status: number, min: number, max: number): string {
    if (status === 304 || status === 204) return '-';
    if (status === 301 || status === 302) return String(this.#random.int(220, 260));
    if (status >= 400) return String(this.#random.int(190, 540));
    return String(this.#random.int(min, max));
  }

  #botVisit(): Render[] {
    const r = this.#random;
    const target = r.weighted([
      ['/robots.txt', 3],
      ['/sitemap.xml', 2],
      [`/products/${r.int(1000, 9999)}`, 5],
      [r.pick(BLOG_POSTS), 2],
      [r.pick(MISSING_PATHS), 1],
    ]);
    const status = MISSING_PATHS.includes(target) ? 404 : r.chance(0.1) ? 304 : 200;
    const size = this.#bodySize(status, 400, 30_000);
    return [access({ client: this.#externalIPv4(), target, status, size, agent: r.pick(BOT_AGENTS) })];
  }

  /** The basic-auth admin area: a challenge, then usually the right password. */
  #adminVisit(): Render[] {
    const r = this.#random;
    const client = this.#internalAddress();
    const agent = r.pick(BROWSER_AGENTS);
    const user = r.pick(this.#accounts).name;
    const visit = (status: number, target = '/admin/', authenticated = true): Render =>
      access({
        client,
        user: authenticated ? user : '-',
        target,
        status,
        size: this.#bodySize(status, 3_000, 12_000),
        agent,
      });
    const lines = [visit(401, '/admin/', false)];
    if (r.chance(0.2)) lines.push(visit(401));
    lines.push(r.chance(0.15) ? visit(403, '/admin/users') : visit(200));
    return lines;
  }

  #healthCheck(): Render[] {
    const r = this.#random;
    const status = r.chance(0.98) ? 200 : 503;
    return [
      access({
        client: `10.0.0.${r.int(2, 6)}`,
        target: '/health',
        status,
        size: status === 200 ? '15' : this.#bodySize(status, 0, 0),
        agent: r.pick(['kube-probe/1.31', 'curl/8.5.0', 'Prometheus/2.55.1']),
      }),
    ];
  }

  /** A scanner trying a handful of attack-looking requests. */
  #scan(): Render[] {
    const r = this.#random;
    const client = r.chance(0.6) ? r.pick(this.#attackers) : this.#externalAddress();
    const first = r.pick(ATTACK_REQUESTS);
    const tool = first.agent === 'shellshock' ? 'tool' : first.agent;
    const toolAgent = this.#attackAgent(tool);
    const lines: Render[] = [];
    for (let i = r.int(1, 6); i > 0; i--) {
      const { method, target, status, agent: kind } = lines.length === 0 ? first : r.pick(ATTACK_REQUESTS);
      // Nikto numbers each of its tests in the agent; a shellshock probe puts its payload there.
      const agent =
        kind === 'shellshock'
          ? this.#attackAgent('shellshock')
          : tool === 'nikto'
            ? this.#attackAgent('nikto')
            : toolAgent;
      lines.push(access({ client, method, target, status, size: this.#bodySize(status, 500, 9_000), agent }));
    }
    return lines;
  }

  #attackAgent(kind: AttackRequest['agent']): string {
    const r = this.#random;
    switch (kind) {
      case 'sqlmap':
        return 'sqlmap/1.8.11#stable (https://sqlmap.org)';
      case 'nikto':
        return `Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:${String(this.#niktoTest++).padStart(6, '0')})`;
      case 'shellshock':
        // Apache writes a `"` inside a logged header as `\"`.
        return '() { :; }; echo; /bin/bash -c \\"cat /etc/passwd\\"';
      case 'browser':
        return r.pick(BROWSER_AGENTS);
      case 'tool':
        return r.pick([
          ...TOOL_AGENTS,
          'Mozilla/5.0 zgrab/0.x',
          'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
        ]);
    }
  }

  // --- apache.error --------------------------------------------------------

  #errorEvent(): Render[] {
    const r = this.#random;
    const message = r.weighted(ERROR_MESSAGES);
    const address =
      message.client === 'internal'
        ? this.#internalAddress()
        : r.chance(0.6)
          ? r.pick(this.#attackers)
          : this.#externalAddress();
    const server = message.client === 'parent' ? this.#apacheParent : r.pick(this.#apacheWorkers);
    const ids = `pid ${server.pid}:tid ${r.pick(server.threads)}`;
    const client =
      message.client === 'parent' || message.client === 'none' ? '' : ` [client ${address}:${this.#port()}]`;
    const text = message.text({
      account: r.pick(this.#accounts).name,
      invalidUser: r.pick(INVALID_USERS),
      uri: r.pick(INVALID_URIS),
      line: r.int(12, 90),
      denied: r.pick(['.env', '.git', 'server-status']),
      method: r.pick(['\\x16\\x03\\x01', 'SSTP_DUPLEX_POST', '\\x05\\x01']),
    });
    const microseconds = r.int(0, 999);
    return [
      (at) =>
        `[${formatApacheErrorTime(at, microseconds)}] [${message.module}:${message.level}] [${ids}]${client} ${text}`,
    ];
  }
}

// ---------------------------------------------------------------------------
// Line builders

function syslog(host: HostState, tag: string, message: string): Render {
  return (at) => `${formatRfc3164Time(at)} ${host.name} ${tag}: ${message}`;
}

function sudoFields(user: string, tty: string, command: string): string {
  const pwd = user === 'root' ? '/root' : `/home/${user}`;
  return `TTY=${tty} ; PWD=${pwd} ; USER=root ; COMMAND=${command}`;
}

/** sudo right-aligns the user name in 8 columns: `sudo:    alice : TTY=...`. */
function sudoLine(user: string, tty: string, command: string): string {
  return `${user.padStart(8)} : ${sudoFields(user, tty, command)}`;
}

interface AccessEntry {
  client: string;
  /** Authenticated user; default `-`. */
  user?: string;
  /** Default `GET`. */
  method?: string;
  target: string;
  /** Default `HTTP/1.1`. */
  protocol?: string;
  status: number;
  /** Body bytes, or `-` for none. */
  size: string;
  /** Default `-`. */
  referer?: string;
  agent: string;
}

/** Apache combined log format. */
function access(entry: AccessEntry): Render {
  const {
    client,
    user = '-',
    method = 'GET',
    target,
    protocol = 'HTTP/1.1',
    status,
    size,
    referer = '-',
  } = entry;
  return (at) =>
    `${client} - ${user} [${formatApacheAccessTime(at)}] "${method} ${target} ${protocol}" ${status} ${size} "${referer}" "${entry.agent}"`;
}

function resolveMix(mix: Partial<Record<LogKind, number>> | undefined): (readonly [LogKind, number])[] {
  const source: Partial<Record<LogKind, number>> = mix ?? DEFAULT_LOG_MIX;
  for (const key of Object.keys(source)) {
    if (!(LOG_KINDS as readonly string[]).includes(key)) {
      throw new VigilError(
        'CONFIG_INVALID',
        `demo log generator: mix.${key} is not a log kind; expected one of ${LOG_KINDS.join(', ')}.`,
      );
    }
  }
  const entries = LOG_KINDS.map((kind) => [kind, source[kind] ?? 0] as const);
  for (const [kind, weight] of entries) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new VigilError(
        'CONFIG_INVALID',
        `demo log generator: mix.${kind} must be a non-negative number, got ${weight}.`,
      );
    }
  }
  if (entries.every(([, weight]) => weight === 0)) {
    throw new VigilError(
      'CONFIG_INVALID',
      'demo log generator: mix must give at least one kind a positive weight.',
    );
  }
  return entries;
}
