/**
 * Reads a whole CSV file (RFC 4180) into records, each with the line it
 * starts on. Fields are separated by commas; a field that starts with a
 * double quote runs to the next lone quote, may hold commas and line breaks,
 * and `""` inside it stands for one quote. Records end with CRLF or LF; a
 * UTF-8 byte-order mark at the start is skipped; blank lines are skipped.
 *
 * Problems (an unterminated quote, text after a closing quote) are reported
 * with their line and the record is left out, so every problem of a file is
 * found in one pass. Hand-written because it is small and the repository
 * has no CSV library; the `csv` pipeline step parses single lines only.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

export interface CsvProblem {
  line: number;
  message: string;
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

export function readCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const end = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < end) {
    const startLine = line;
    const fields: string[] = [];
    let broken: string | undefined;
    // One record: fields until an unquoted line break or the end of the text.
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = i + 1;
        let j = from;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            broken ??= 'a quoted value is not closed';
            j = end;
            break;
          }
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(from, q + 1);
            j = q + 2;
            from = j;
            continue;
          }
          value += text.slice(from, q);
          j = q + 1;
          break;
        }
        for (let k = i; k < j; k++) if (text.charCodeAt(k) === LF) line += 1;
        fields.push(value);
        i = j;
        const next = text.charCodeAt(i);
        if (i < end && next !== COMMA && next !== CR && next !== LF) {
          broken ??= 'text follows a closing quote (write "" for a quote inside a quoted value)';
          while (i < end && text.charCodeAt(i) !== COMMA && text.charCodeAt(i) !== LF) i += 1;
        }
      } else {
        let j = i;
        while (j < end) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || (c === CR && text.charCodeAt(j + 1) === LF)) break;
          j += 1;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= end) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i += 1;
        continue;
      }
      if (c === CR) i += 1;
      if (text.charCodeAt(i) === LF) {
        i += 1;
        line += 1;
      }
      break;
    }
    if (broken !== undefined) problems.push({ line: startLine, message: broken });
    else if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: startLine });
  }
  return { records, problems };
}
