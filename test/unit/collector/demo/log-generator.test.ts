import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOG_MIX,
  type GeneratedLogLine,
  LOG_KINDS,
  LogGenerator,
  type LogKind,
} from '../../../../collector/demo/log-generator.ts';
import { VigilError } from '../../../../core/errors.ts';

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const WEEKDAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const CLOCK = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d';
/** A double-quoted Apache field, where `"` and `\` inside are backslash-escaped. */
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';

/** RFC 3164: `Mmm dd hh:mm:ss host tag[pid]: message`, day padded with a space. */
const RFC3164 = new RegExp(
  `^${MONTH} (?: [1-9]|[12]\\d|3[01]) ${CLOCK} [A-Za-z0-9][A-Za-z0-9.-]* [A-Za-z][A-Za-z0-9_-]*(?:\\[\\d+\\])?: .*\\S$`,
);
/** Apache combined: `client ident user [time] "request" status bytes "referer" "agent"`. */
const APACHE_COMBINED = new RegExp(
  `^(?<client>[0-9a-f.:]+) - (?:-|[a-z][a-z0-9_-]*) \\[\\d{2}/${MONTH}/\\d{4}:${CLOCK} [+-]\\d{4}\\] ` +
    `"(?:GET|HEAD|POST|PUT|DELETE|OPTIONS) [/?]\\S* HTTP/(?:1\\.0|1\\.1|2\\.0)" [1-5]\\d{2} (?:\\d+|-) ${QUOTED} ${QUOTED}$`,
);
/** Apache 2.4 error log: `[time] [module:level] [pid N:tid N] [client addr:port] message`. */
const APACHE_ERROR = new RegExp(
  `^\\[${WEEKDAY} ${MONTH} \\d{2} ${CLOCK}\\.\\d{6} \\d{4}\\] ` +
    '\\[[a-z_0-9]+:(?:emerg|alert|crit|error|warn|notice|info|debug)\\] \\[pid \\d+:tid \\d+\\]' +
    '(?: \\[client (?<client>[0-9a-f.:]+):\\d{1,5}\\])? \\S.*$',
);

const FORMAT: Record<LogKind, RegExp> = {
  'linux.auth': RFC3164,
  'linux.syslog': RFC3164,
  'apache.access': APACHE_COMBINED,
  'apache.error': APACHE_ERROR,
};

/** Tuesday 24 November 2026, 22:31:05.123 UTC. */
const NOV_24 = () => new Date(Date.UTC(2026, 10, 24, 22, 31, 5, 123));
/** Wednesday 4 November 2026, 09:07:03.000 UTC. */
const NOV_4 = () => new Date(Date.UTC(2026, 10, 4, 9, 7, 3));

function text(lines: GeneratedLogLine[]): string[] {
  return lines.map((entry) => entry.line);
}

function ipv4InRange(address: string): boolean {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) {
    return false;
  }
  const [a, b, c] = octets as [number, number, number, number];
  return (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a === 127
  );
}

function addressInRange(address: string): boolean {
  return address.includes(':') ? /^2001:db8:[0-9a-f:]*$/.test(address) : ipv4InRange(address);
}

/**
 * Every address in a line: anything shaped like IPv4 (not inside a version
 * number such as `Chrome/131.0.0.0`), anything shaped like IPv6 (clock times
 * excluded), and the client field of the Apache formats.
 */
function addressesIn(entry: GeneratedLogLine): string[] {
  const ipv4 = [...entry.line.matchAll(/(?<![\w./:-])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])/g)].map((m) => m[1]!);
  const ipv6 = [...entry.line.matchAll(/(?<![\w:])([0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])/g)]
    .map((m) => m[1]!)
    .filter((candidate) => /[a-f]|::/.test(candidate));
  const client = FORMAT[entry.kind].exec(entry.line)?.groups?.client;
  return [...ipv4, ...ipv6, ...(client === undefined ? [] : [client])];
}

describe('LogGenerator', () => {
  it('gives the same lines for the same seed and clock', () => {
    const first = new LogGenerator({ seed: 42, now: NOV_24 }).lines(500);
    const second = new LogGenerator({ seed: 42, now: NOV_24 }).lines(500);
    expect(second).toEqual(first);
  });

  it('gives different lines for different seeds', () => {
    const first = text(new LogGenerator({ seed: 1, now: NOV_24 }).lines(200));
    const second = text(new LogGenerator({ seed: 2, now: NOV_24 }).lines(200));
    expect(second).not.toEqual(first);
    const shared = second.filter((line, index) => line === first[index]);
    expect(shared.length).toBeLessThan(20);
  });

  it.each(LOG_KINDS)('writes %s lines in their exact format', (kind) => {
    const generator = new LogGenerator({ seed: 7, now: NOV_24 });
    for (const entry of generator.lines(2_000, kind)) {
      expect(entry.kind).toBe(kind);
      expect(entry.dataset).toBe(kind);
      expect(entry.line).toMatch(FORMAT[kind]);
    }
  });

  it('stamps each format with the time from now()', () => {
    const generator = new LogGenerator({ seed: 3, now: NOV_24 });
    expect(generator.next('linux.auth').line.startsWith('Nov 24 22:31:05 ')).toBe(true);
    expect(generator.next('linux.syslog').line.startsWith('Nov 24 22:31:05 ')).toBe(true);
    expect(generator.next('apache.access').line).toContain(' [24/Nov/2026:22:31:05 +0000] ');
    expect(generator.next('apache.error').line).toMatch(/^\[Tue Nov 24 22:31:05\.123\d{3} 2026\] /);
  });

  it('pads a one-digit day with a space in RFC 3164 and with a zero in Apache logs', () => {
    const generator = new LogGenerator({ seed: 3, now: NOV_4 });
    expect(generator.next('linux.auth').line.startsWith('Nov  4 09:07:03 ')).toBe(true);
    expect(generator.next('linux.syslog').line.startsWith('Nov  4 09:07:03 ')).toBe(true);
    expect(generator.next('apache.access').line).toContain(' [04/Nov/2026:09:07:03 +0000] ');
    expect(generator.next('apache.error').line).toMatch(/^\[Wed Nov 04 09:07:03\.000\d{3} 2026\] /);
  });

  it('uses only documentation, private and loopback addresses', () => {
    const generator = new LogGenerator({ seed: 11, now: NOV_24 });
    let seen = 0;
    for (const entry of generator.lines(5_000)) {
      for (const address of addressesIn(entry)) {
        seen++;
        expect(addressInRange(address), `${address} in: ${entry.line}`).toBe(true);
      }
    }
    expect(seen).toBeGreaterThan(4_000);
  });

  it('writes some IPv6 peers from 2001:db8::/32', () => {
    const lines = text(new LogGenerator({ seed: 5, now: NOV_24 }).lines(3_000));
    expect(lines.some((line) => /(?:^|from |\[client )2001:db8:/.test(line))).toBe(true);
  });

  it('never puts a line break inside a line', () => {
    for (const entry of new LogGenerator({ seed: 13, now: NOV_24 }).lines(5_000)) {
      expect(entry.line).not.toMatch(/[\r\n]/);
    }
  });

  it('writes only the configured hosts into syslog headers', () => {
    const generator = new LogGenerator({ seed: 17, now: NOV_24, hosts: ['fw-edge', 'app-7.internal'] });
    for (const entry of generator.lines(1_000, 'linux.auth').concat(generator.lines(1_000, 'linux.syslog'))) {
      expect(['fw-edge', 'app-7.internal']).toContain(entry.line.slice(16).split(' ')[0]);
    }
  });

  it.each([1, 2, 3, 4, 5])('includes a brute-force burst within 2,000 auth lines (seed %i)', (seed) => {
    const lines = text(new LogGenerator({ seed, now: NOV_24 }).lines(2_000, 'linux.auth'));
    let longest = 0;
    let run = 0;
    let previous: string | undefined;
    for (const line of lines) {
      const from = /sshd\[\d+\]: Failed password for (?:invalid user )?\S+ from (\S+) port \d+ ssh2$/.exec(
        line,
      )?.[1];
      run = from !== undefined && from === previous ? run + 1 : from === undefined ? 0 : 1;
      previous = from;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThanOrEqual(5);
  });

  it('writes the sshd, sudo, su and useradd messages detections look for', () => {
    const lines = text(new LogGenerator({ seed: 19, now: NOV_24 }).lines(5_000, 'linux.auth'));
    const expected = [
      / sshd\[\d+\]: Failed password for invalid user \S+ from \S+ port \d+ ssh2$/,
      / sshd\[\d+\]: Accepted publickey for \S+ from \S+ port \d+ ssh2: (?:RSA|ED25519) SHA256:[A-Za-z0-9+/]{43}$/,
      / sshd\[\d+\]: Accepted password for \S+ from \S+ port \d+ ssh2$/,
      / sshd\[\d+\]: Invalid user \S+ from \S+ port \d+$/,
      / sshd\[\d+\]: Connection closed by authenticating user root \S+ port \d+ \[preauth\]$/,
      / sshd\[\d+\]: pam_unix\(sshd:session\): session opened for user \S+\(uid=\d+\) by \(uid=0\)$/,
      / sshd\[\d+\]: pam_unix\(sshd:session\): session closed for user \S+$/,
      / sudo: {1,7}[a-z]+ : TTY=pts\/\d ; PWD=\/home\/[a-z]+ ; USER=root ; COMMAND=\/\S+/,
      / sudo: pam_unix\(sudo:auth\): authentication failure; logname=\S+ uid=\d+ euid=0 /,
      / su\[\d+\]: FAILED SU \(to root\) \S+ on pts\/\d$/,
      / useradd\[\d+\]: new user: name=\S+, UID=\d+, GID=\d+, home=/,
      / groupadd\[\d+\]: new group: name=\S+, GID=\d+$/,
    ];
    for (const pattern of expected) {
      expect(
        lines.some((line) => pattern.test(line)),
        String(pattern),
      ).toBe(true);
    }
  });

  it('writes cron, systemd and firewall messages to linux.syslog', () => {
    const lines = text(new LogGenerator({ seed: 23, now: NOV_24 }).lines(2_000, 'linux.syslog'));
    const expected = [
      / CRON\[\d+\]: \(root\) CMD \( {3}cd \/ && run-parts --report \/etc\/cron\.hourly\)$/,
      / systemd\[1\]: Started \S+\.service - .+\.$/,
      / systemd\[1\]: Stopped \S+\.service - .+\.$/,
      / kernel: \[ *\d+\.\d{6}\] \[UFW BLOCK\] IN=eth0 OUT= MAC=(?:[0-9a-f]{2}:){13}[0-9a-f]{2} SRC=\S+ DST=\S+ LEN=\d+ .* PROTO=TCP SPT=\d+ DPT=\d+ /,
    ];
    for (const pattern of expected) {
      expect(
        lines.some((line) => pattern.test(line)),
        String(pattern),
      ).toBe(true);
    }
  });

  it('keeps kernel uptime increasing on each host', () => {
    const generator = new LogGenerator({ seed: 29, now: NOV_24 });
    const last = new Map<string, number>();
    for (const { line } of generator.lines(2_000, 'linux.syslog')) {
      const match = /^.{15} (\S+) kernel: \[ *(\d+\.\d{6})\]/.exec(line);
      if (match === null) continue;
      const uptime = Number(match[2]);
      expect(uptime).toBeGreaterThan(last.get(match[1]!) ?? 0);
      last.set(match[1]!, uptime);
    }
    expect(last.size).toBeGreaterThan(0);
  });

  it('mixes statuses, agents and attack requests in apache.access', () => {
    const lines = text(new LogGenerator({ seed: 31, now: NOV_24 }).lines(5_000, 'apache.access'));
    const statuses = new Map<string, number>();
    for (const line of lines) {
      const status = /" (\d{3}) /.exec(line)![1]!;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const share = (status: string) => (statuses.get(status) ?? 0) / lines.length;
    expect(share('200') + share('304')).toBeGreaterThan(0.7);
    for (const status of ['404', '401', '403', '500']) expect(share(status), status).toBeGreaterThan(0);
    expect(share('500')).toBeLessThan(0.03);
    for (const needle of [
      '/../../etc/passwd',
      "id=1'%20OR%20'1'='1",
      '/wp-login.php',
      '/.env ',
      '"sqlmap/',
      '(Nikto/',
      '"curl/',
      'Googlebot',
    ]) {
      expect(
        lines.some((line) => line.includes(needle)),
        needle,
      ).toBe(true);
    }
  });

  it('writes client-related and server-wide apache.error messages', () => {
    const lines = text(new LogGenerator({ seed: 37, now: NOV_24 }).lines(1_000, 'apache.error'));
    expect(
      lines.some((line) => /\[core:error\] .* \[client \S+\] AH00126: Invalid URI in request /.test(line)),
    ).toBe(true);
    expect(lines.some((line) => /\] AH\d{5}: /.test(line) && !line.includes('[client '))).toBe(true);
  });

  it('yields every kind within 1,000 lines of the default mix', () => {
    const kinds = new Set(
      new LogGenerator({ seed: 41, now: NOV_24 }).lines(1_000).map((entry) => entry.kind),
    );
    expect([...kinds].sort()).toEqual([...LOG_KINDS].sort());
  });

  it('gives every kind a positive weight in the default mix', () => {
    for (const kind of LOG_KINDS) expect(DEFAULT_LOG_MIX[kind]).toBeGreaterThan(0);
  });

  it('draws only the kinds given weight in a custom mix', () => {
    const generator = new LogGenerator({
      seed: 43,
      now: NOV_24,
      mix: { 'apache.error': 1, 'linux.syslog': 3 },
    });
    const kinds = new Set(generator.lines(500).map((entry) => entry.kind));
    expect([...kinds].sort()).toEqual(['apache.error', 'linux.syslog']);
  });

  it('returns no lines for a count of zero', () => {
    expect(new LogGenerator({ now: NOV_24 }).lines(0)).toEqual([]);
  });

  it('uses the current time when no clock is given', () => {
    const before = Date.now();
    const line = new LogGenerator({ seed: 47 }).next('apache.access').line;
    const stamp = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]/.exec(line)!;
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const at = Date.UTC(
      Number(stamp[3]),
      months.indexOf(stamp[2]!),
      Number(stamp[1]),
      Number(stamp[4]),
      Number(stamp[5]),
      Number(stamp[6]),
    );
    expect(Math.abs(at - before)).toBeLessThan(5_000);
  });

  it.each([
    ['an empty host list', { hosts: [] }],
    ['a host name with a space', { hosts: ['web 01'] }],
    ['a seed that is not a number', { seed: Number.NaN }],
    ['a negative mix weight', { mix: { 'linux.auth': -1 } }],
    ['a mix with no positive weight', { mix: { 'linux.auth': 0 } }],
    ['an unknown kind in the mix', { mix: { 'linux.kern': 1 } as never }],
  ])('rejects %s with CONFIG_INVALID', (_name, options) => {
    expect(() => new LogGenerator(options)).toThrow(VigilError);
    expect(() => new LogGenerator(options)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('rejects a count that is not a non-negative integer', () => {
    const generator = new LogGenerator({ now: NOV_24 });
    expect(() => generator.lines(-1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => generator.lines(1.5)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
