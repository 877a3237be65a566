/**
 * Splits a file's bytes into lines without holding the whole file as one
 * string: each line is decoded on its own, so the strings kept from it (a
 * domain, a URL) do not retain the file's text. A UTF-8 byte order mark,
 * `\r\n` endings and a last line without newline are handled.
 */
export function forEachLine(bytes: Buffer, visit: (line: string, lineNumber: number) => void): void {
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let lineNumber = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    const next = end === -1 ? bytes.length : end + 1;
    if (end === -1) end = bytes.length;
    if (end > start && bytes[end - 1] === 13) end--;
    lineNumber++;
    visit(bytes.toString('utf8', start, end), lineNumber);
    start = next;
  }
}
