/**
 * A syslog record after its header has been read: what every dialect
 * returns. Field names are snake_case because they travel in the record as
 * they are. The body (`message`) is not interpreted here; vendor formats
 * inside it (Cisco mnemonics, key=value, JSON) are the processor's parsers'
 * job.
 *
 * Dialects set every field, `undefined` where the message has none, so all
 * parsed messages share one object shape.
 */
export interface SyslogMessage {
  /** Which dialect read the header; `unparsed` when none did and `message` is the whole text. */
  format: 'rfc5424' | 'rfc3164' | 'unparsed';
  /** PRI value, 0-191 (`facility * 8 + severity`). */
  priority?: number;
  facility?: number;
  severity?: number;
  /** Keyword of the facility (`FACILITY_NAMES`). */
  facility_name?: string;
  /** Keyword of the severity (`SEVERITY_NAMES`). */
  severity_name?: string;
  /** RFC 5424 VERSION. */
  version?: number;
  /** ISO 8601 with an offset; `Z` when the sender gave no zone and the default zone is UTC. */
  timestamp?: string;
  /** The timestamp as sent, including Cisco's `*`/`.` clock markers and zone word. */
  timestamp_raw?: string;
  hostname?: string;
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG (`sshd` of `sshd[42]:`). */
  app_name?: string;
  /** RFC 5424 PROCID, or the RFC 3164 pid (`42` of `sshd[42]:`). */
  proc_id?: string;
  msg_id?: string;
  /** SD-ID → PARAM-NAME → value; a parameter given more than once becomes an array, in order. */
  structured_data?: Record<string, Record<string, string | string[]>>;
  /** Cisco IOS sequence number (`123:` before the timestamp). */
  sequence?: number;
  message: string;
}

export interface SyslogParseOptions {
  /** Reference time for BSD timestamps without a year; default: the current time. */
  now?: Date;
  /** IANA time zone of timestamps that carry no offset; default `UTC`. */
  defaultTimeZone?: string;
}

/**
 * Facility keywords as syslog-ng and rsyslog print them (RFC 5424 §6.2.1 codes).
 * Codes 12-15 have no keyword in syslog.h; the names are the common ones.
 */
export const FACILITY_NAMES: readonly string[] = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

/** Severity keywords of syslog.h, 0 (emerg) to 7 (debug). */
export const SEVERITY_NAMES: readonly string[] = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warning',
  'notice',
  'info',
  'debug',
];

/** Largest PRI value: facility 23 (local7), severity 7. */
export const MAX_PRIORITY = 191;

export interface PriorityFields {
  priority: number;
  facility: number;
  severity: number;
  facility_name: string;
  severity_name: string;
}

/** Splits a PRI value (0-191, checked by the caller) into facility and severity, with their keywords. */
export function decodePriority(priority: number): PriorityFields {
  const facility = priority >> 3;
  const severity = priority & 7;
  return {
    priority,
    facility,
    severity,
    facility_name: FACILITY_NAMES[facility]!,
    severity_name: SEVERITY_NAMES[severity]!,
  };
}
