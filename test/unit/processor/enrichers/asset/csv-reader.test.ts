import { describe, expect, it } from 'vitest';
import { readCsv } from '../../../../../processor/enrichers/asset/csv-reader.ts';

describe('readCsv', () => {
  it('splits records and fields with their starting lines', () => {
    const { records, problems } = readCsv('a,b,c\n1,2,3\r\n4,,6\n');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', '', '6'], line: 3 },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const { records } = readCsv('id,name\n1,"web, ""prod""\nfront"\n2,x');
    expect(records).toEqual([
      { fields: ['id', 'name'], line: 1 },
      { fields: ['1', 'web, "prod"\nfront'], line: 2 },
      { fields: ['2', 'x'], line: 4 },
    ]);
  });

  it('skips a byte-order mark and blank lines', () => {
    const { records } = readCsv('\ufeffid\n\n1\n\n');
    expect(records).toEqual([
      { fields: ['id'], line: 1 },
      { fields: ['1'], line: 3 },
    ]);
  });

  it('keeps a final record without a line break and an empty last field', () => {
    expect(readCsv('a,b\n1,').records[1]).toEqual({ fields: ['1', ''], line: 2 });
  });

  it('reports an unclosed quote and text after a closing quote with their lines', () => {
    const { records, problems } = readCsv('a,b\n"x"y,1\n2,3\n4,"open\n');
    expect(problems).toEqual([
      { line: 2, message: expect.stringMatching(/text follows a closing quote/) },
      { line: 4, message: 'a quoted value is not closed' },
    ]);
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['2', '3'],
    ]);
  });
});
