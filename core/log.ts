/**
 * Structured JSON logging (pino) on standard output. Messages are sentences;
 * context goes into fields. Secrets never reach a log line: Secret values
 * serialize as "[redacted]" and the redact list below catches the usual keys.
 */
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; defaults to standard output. */
  destination?: NodeJS.WritableStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'vigil',
      // VIGIL_LOG_LEVEL overrides the configured level, for debugging one run.
      level: process.env.VIGIL_LOG_LEVEL ?? options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that discards everything; for tests and quiet commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
