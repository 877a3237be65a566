/** Benchmark inputs: the sample log's lines, repeated into a file of the wanted size. */
import { open, readFile } from 'node:fs/promises';

export async function readSourceLines(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the benchmark input ${file}: ${(error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n').filter((line) => line !== '');
  if (lines.length === 0) throw new Error(`The benchmark input ${file} has no lines.`);
  return lines;
}

/** Writes `count` lines, cycling through `lines`; returns the file's size in bytes. */
export async function writeRepeatedLines(
  lines: readonly string[],
  count: number,
  file: string,
): Promise<number> {
  const out = await open(file, 'w');
  let bytes = 0;
  try {
    const block = 10_000;
    for (let written = 0; written < count; written += block) {
      const part: string[] = [];
      for (let i = written; i < Math.min(count, written + block); i++)
        part.push(lines[i % lines.length] as string);
      const text = `${part.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      await out.write(text);
    }
  } finally {
    await out.close();
  }
  return bytes;
}
