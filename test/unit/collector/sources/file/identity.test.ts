import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devIno, fileSourceHarness, inodeStreamOf, severalPolls, until } from './harness.ts';

const t = fileSourceHarness();

/** A file body of at least `bytes` bytes: numbered lines after an optional shared header. */
function body(name: string, lines: number, header = ''): string {
  let text = header;
  for (let i = 1; i <= lines; i++) text += `${name} line ${i}\n`;
  return text;
}

function fingerprintOf(content: string, bytes = 1024): string {
  return `file:${createHash('sha256').update(Buffer.from(content).subarray(0, bytes)).digest('hex').slice(0, 16)}`;
}

describe('FileSource stream identity', () => {
  it('names a file of at least fingerprint_bytes by the hash of its first bytes', async () => {
    const content = body('big', 100);
    await writeFile(join(t.dir, 'app.log'), content);
    const { sink } = await t.tail();
    await until(() => sink.received.length === 100);
    expect(new Set(sink.received.map((r) => r.stream.id))).toEqual(new Set([fingerprintOf(content)]));
  });

  it('names a shorter file by its device and inode', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'short\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    expect(sink.received[0]?.stream.id).toBe(await inodeStreamOf(path));
  });

  it('honours fingerprint_bytes', async () => {
    const content = 'a fairly short line\nand another\n';
    await writeFile(join(t.dir, 'app.log'), content);
    const { sink } = await t.tail({ fingerprint_bytes: 16 });
    await until(() => sink.received.length === 2);
    expect(sink.received[0]?.stream.id).toBe(fingerprintOf(content, 16));
  });

  it('keeps the identity of a small file that grows past fingerprint_bytes', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'first\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    await appendFile(path, body('more', 100));
    await until(() => sink.received.length === 101);
    expect(new Set(sink.received.map((r) => r.stream.id))).toEqual(new Set([await inodeStreamOf(path)]));
  });

  it('keeps that identity after a restart, when the file is long enough for a fingerprint', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'first\n');
    const first = await t.tail();
    await until(() => first.sink.received.length === 1);
    await first.stop();
    await appendFile(path, body('more', 100));
    const second = await t.tail();
    await until(() => second.sink.received.length === 100);
    await severalPolls();
    expect(second.sink.received.length).toBe(100);
    expect(new Set(second.sink.received.map((r) => r.stream.id))).toEqual(
      new Set([await inodeStreamOf(path)]),
    );
  });

  it('saves a new identity before shipping any record that carries it', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\n');
    const { sink, store } = await t.tail({}, { holdSends: true });
    await until(() => sink.attempts >= 1);
    const saved = JSON.parse(await readFile(store.path, 'utf8')) as { streams: Record<string, unknown> };
    expect(saved.streams[await inodeStreamOf(path)]).toMatchObject({ offset: 0, epoch: 0 });
  });

  it('gives the same bytes the same identity after a crash that lost the latest checkpoints', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\ntwo\n');
    const first = await t.tail();
    await until(() => first.sink.received.length === 2);
    await first.crash();
    const second = await t.tail();
    await until(() => second.sink.received.length >= 0);
    await severalPolls();
    const ids = (records: typeof first.sink.received) =>
      records.map((r) => `${r.stream.id}/${r.offset}/${r.line}`);
    // Whatever is read again is read under the identities it had before.
    for (const id of ids(second.sink.received)) expect(ids(first.sink.received)).toContain(id);
  });

  it('derives the same identity for a large file even when the checkpoints are lost', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, body('big', 100));
    const first = await t.tail();
    await until(() => first.sink.received.length === 100);
    await first.stop();
    await rm(join(t.dir, 'data'), { recursive: true });
    const second = await t.tail();
    await until(() => second.sink.received.length === 100);
    expect(second.sink.received.map((r) => `${r.stream.id}/${r.offset}`)).toEqual(
      first.sink.received.map((r) => `${r.stream.id}/${r.offset}`),
    );
  });

  it('finds the same epoch again after a crash that followed a truncation', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\ntwo\n');
    const first = await t.tail();
    await until(() => first.sink.received.length === 2);
    await truncate(path, 0);
    await appendFile(path, '3\n');
    await until(() => first.sink.received.length === 3);
    await first.crash();
    await appendFile(path, '4\n');
    const second = await t.tail();
    await until(() => second.lines().includes('4'));
    await severalPolls();
    const stream = await inodeStreamOf(path);
    expect(second.sink.received.every((r) => r.stream.id === `${stream}#1`)).toBe(true);
    expect(second.sink.received.find((r) => r.line === '4')?.offset).toBe(2);
  });

  it('leaves a file to the input that reads it already when the paths of two inputs overlap', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\n');
    const first = await t.tail();
    await until(() => first.sink.received.length === 1);
    const second = await t.tail({ paths: [join(t.dir, 'app.*')] }, { store: first.store });
    await until(() =>
      second.logs.some((l) => l.msg.startsWith('Another file input already reads this file')),
    );
    await appendFile(path, 'two\n');
    await until(() => first.sink.received.length === 2);
    await severalPolls();
    expect(second.sink.received).toEqual([]);
  });

  describe('with empty files that grow later', () => {
    it('delivers every line once, under one identity per file', async () => {
      const paths = [1, 2, 3].map((i) => join(t.dir, `app-${i}.log`));
      for (const path of paths) await writeFile(path, '');
      const { sink, tailing } = await t.tail();
      for (const path of paths) await tailing(path);
      for (const [i, path] of paths.entries()) await appendFile(path, `file ${i} a\n`);
      await until(() => sink.received.length === 3);
      for (const [i, path] of paths.entries()) await appendFile(path, body(`file ${i}`, 60));
      await until(() => sink.received.length === 183);
      await severalPolls();
      expect(sink.received.length).toBe(183);
      for (const path of paths) {
        const id = await inodeStreamOf(path);
        expect(sink.received.filter((r) => r.file?.path === path).every((r) => r.stream.id === id)).toBe(
          true,
        );
      }
    });

    it('does not read them again after a restart', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '');
      const first = await t.tail();
      await first.tailing(path);
      await appendFile(path, 'one\n');
      await until(() => first.sink.received.length === 1);
      await first.stop();
      await appendFile(path, 'two\n');
      const second = await t.tail();
      await until(() => second.sink.received.length === 1);
      await severalPolls();
      expect(second.sink.received.map((r) => [r.line, r.offset, r.stream.id])).toEqual([
        ['two', 4, await inodeStreamOf(path)],
      ]);
    });
  });

  describe('with 50 files whose first bytes are identical', () => {
    const header = `${'#'.repeat(1100)}\n`;

    it('tells them apart and delivers every line once', async () => {
      for (let i = 0; i < 50; i++) await writeFile(join(t.dir, `app-${i}.log`), body(`file ${i}`, 3, header));
      const { sink } = await t.tail();
      await until(() => sink.received.length === 50 * 4, 10_000);
      await severalPolls();
      expect(sink.received.length).toBe(200);
      const identities = new Set(sink.received.map((r) => `${r.stream.id}/${r.offset}`));
      expect(identities.size).toBe(200);
      expect(new Set(sink.received.map((r) => r.stream.id)).size).toBe(50);
    });

    it('tells apart such files that appear while another one is read', async () => {
      await writeFile(join(t.dir, 'app-0.log'), body('file 0', 3, header));
      const { sink } = await t.tail();
      await until(() => sink.received.length === 4);
      for (let i = 1; i < 50; i++) await writeFile(join(t.dir, `app-${i}.log`), body(`file ${i}`, 3, header));
      await until(() => sink.received.length === 200, 10_000);
      await severalPolls();
      expect(sink.received.length).toBe(200);
      expect(new Set(sink.received.map((r) => `${r.stream.id}/${r.offset}`)).size).toBe(200);
    });

    it('resumes each of them at its own checkpoint after a restart', async () => {
      for (let i = 0; i < 50; i++) await writeFile(join(t.dir, `app-${i}.log`), body(`file ${i}`, 3, header));
      const first = await t.tail();
      await until(() => first.sink.received.length === 200, 10_000);
      await first.stop();
      for (let i = 0; i < 50; i++) await appendFile(join(t.dir, `app-${i}.log`), `file ${i} after restart\n`);
      const second = await t.tail();
      await until(() => second.sink.received.length === 50, 10_000);
      await severalPolls();
      expect(second.lines().sort()).toEqual(
        Array.from({ length: 50 }, (_, i) => `file ${i} after restart`).sort(),
      );
    });
  });

  describe('when an inode is reused', () => {
    it('does not apply the checkpoint of the deleted file to the new one', async () => {
      const old = join(t.dir, 'old.log');
      await writeFile(old, 'old one\nold two\n');
      const first = await t.tail();
      await until(() => first.sink.received.length === 2);
      await first.stop();
      const oldId = await inodeStreamOf(old);
      await unlink(old);
      // The new file takes the old one's device and inode, as a file system reusing the inode would.
      const fresh = join(t.dir, 'new.log');
      await writeFile(fresh, 'new one\nnew two\nnew three\n');
      const checkpoints = JSON.parse(await readFile(first.store.path, 'utf8'));
      Object.assign(checkpoints.streams[oldId], await devIno(fresh));
      await writeFile(first.store.path, JSON.stringify(checkpoints));
      const second = await t.tail();
      await until(() => second.sink.received.length === 3);
      expect(second.sink.received.map((r) => [r.line, r.offset, r.stream.id])).toEqual([
        ['new one', 0, `${oldId}#1`],
        ['new two', 8, `${oldId}#1`],
        ['new three', 16, `${oldId}#1`],
      ]);
    });
  });

  it('resumes from a checkpoint written before fingerprints (version 1)', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\ntwo\n');
    const { dev, ino } = await devIno(path);
    const legacy = `file:${dev}:${ino}`;
    await mkdir(join(t.dir, 'data'), { recursive: true });
    await writeFile(
      join(t.dir, 'data', 'checkpoints.json'),
      JSON.stringify({ version: 1, streams: { [legacy]: { offset: 4, path, updated_at: '' } } }),
    );
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    await severalPolls();
    expect(sink.received.map((r) => [r.line, r.offset, r.stream.id])).toEqual([['two', 4, legacy]]);
  });
});
