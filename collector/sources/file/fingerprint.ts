/**
 * Hashes that recognize a file's content: the head (its first bytes, up to
 * `fingerprint_bytes`; over exactly that many bytes it is the fingerprint in
 * a stream id) and the check (the bytes just before a read position, which
 * tell whether a file still holds what was read up to there).
 */
import { hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes before a position that the check covers. */
export const CHECK_BYTES = 128;

/** First 64 bits of SHA-256, hex. */
export function shortHash(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex').slice(0, 16);
}

/** The check of `position`, from a buffer holding the file from offset `base`. */
export function checkFromBuffer(buf: Buffer, base: number, position: number): string {
  const start = Math.max(0, position - CHECK_BYTES);
  return shortHash(buf.subarray(start - base, position - base));
}

/** Reads up to `length` bytes at `offset`; returns what was there. */
export async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

/** The check of `position`, read from the file. */
export async function checkFromFile(handle: FileHandle, position: number): Promise<string> {
  const start = Math.max(0, position - CHECK_BYTES);
  return shortHash(await readAt(handle, start, position - start));
}
