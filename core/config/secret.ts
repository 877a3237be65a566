/**
 * A secret read from a `*_file` key. Its value never reaches a log line, a
 * JSON dump or an error message: every printable form is redacted.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { VigilError } from '../errors.ts';

export class Secret {
  readonly #value: string;
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  /** The secret itself; call only where it is handed to the client that needs it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `Secret(${this.source})`;
  }
}

/** Reads a secret file; one trailing newline is dropped, as editors add it. */
export function readSecretFile(file: string): Secret {
  try {
    return new Secret(readFileSync(file, 'utf8').replace(/\r?\n$/, ''), file);
  } catch (error) {
    throw new VigilError('CONFIG_SECRET_UNREADABLE', `Secret file ${file} cannot be read.`, { cause: error });
  }
}
