import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { VigilError } from '../../core/errors.ts';
import { vigilCommand } from './options.ts';

interface GrokTestOptions {
  patternsDir?: string[];
  pattern: string[];
  line?: string[];
  file?: string;
  anchor: 'start' | 'none';
  json?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function grokCommand(): Command {
  const command = vigilCommand('grok', 'Work with grok expressions and pattern files.');
  command.addCommand(
    vigilCommand(
      'test',
      'Match grok expressions against sample lines and show the fields, or why a line did not match.',
    )
      .addOption(
        new Option(
          '--patterns-dir <dir>',
          'Load every logstash-format pattern file in this folder after the base patterns; may be repeated.',
        ).argParser(collect),
      )
      .addOption(
        new Option(
          '--pattern <expression>',
          'The grok expression to test; repeat it to test a list, where the first expression that matches wins.',
        )
          .argParser(collect)
          .makeOptionMandatory(),
      )
      .addOption(new Option('--line <text>', 'Test this line; may be repeated.').argParser(collect))
      .addOption(
        new Option('--file <file>', 'Test every line of this file, or of standard input if it is -.'),
      )
      .addOption(
        new Option('--anchor <mode>', 'Match at the start of the line only, or anywhere in it.')
          .choices(['start', 'none'])
          .default('none'),
      )
      .addOption(
        new Option(
          '--json',
          'Print one JSON object per input line, with the fields and the expression that matched, or null.',
        ),
      )
      .addHelpText(
        'after',
        '\nExit codes: 0 every line matched, 1 some line did not match, 2 usage error or invalid pattern.\n' +
          'With --json, scripts read one line of JSON per input line, in input order, whatever the exit code.',
      )
      .action(async (options: GrokTestOptions) => {
        process.exitCode = await grokTest(options);
      }),
  );
  return command;
}

async function grokTest(options: GrokTestOptions): Promise<number> {
  if ((options.line === undefined) === (options.file === undefined)) {
    throw new VigilError('USAGE', 'Give the lines to test with either --line or --file (but not both).');
  }
  // Loaded on demand, so that other commands do not pay for the grok compiler.
  const { PatternLibrary } = await import('../../processor/parsers/grok/pattern-library.ts');
  const { compileGrok } = await import('../../processor/parsers/grok/matcher.ts');
  const { diagnoseMismatch } = await import('../../processor/parsers/grok/diagnose.ts');

  const library = new PatternLibrary();
  for (const dir of options.patternsDir ?? []) library.addDirectory(dir);
  const matcher = compileGrok(options.pattern, { library, anchor: options.anchor, budget: false });
  const out = new BufferedOutput();

  if (!options.json) {
    for (const expression of matcher.expressions) {
      const loop = expression.safety.ambiguousLoops[0];
      if (loop) {
        out.write(
          `Warning: \`${expression.text}\` contains the repetition ${loop.text}${loop.origin.name ? ` (in pattern ${loop.origin.name})` : ''}, which can backtrack catastrophically; V8's linear-time engine takes over when it does.\n`,
        );
      }
      if (expression.safety.linearFallbackBlocker) {
        out.write(
          `Note: \`${expression.text}\` cannot run on V8's linear-time engine (it uses ${expression.safety.linearFallbackBlocker}); in the processor, each match attempt is timed against the grok time budget.\n`,
        );
      }
    }
  }

  let number = 0;
  let unmatched = 0;
  const test = (line: string): void => {
    number++;
    const result = matcher.match(line);
    if (options.json) {
      out.write(
        result
          ? `${JSON.stringify({ pattern_index: result.patternIndex, pattern: result.pattern, fields: result.fields })}\n`
          : 'null\n',
      );
      if (!result) unmatched++;
      return;
    }
    if (result) {
      const which =
        matcher.expressions.length > 1 ? ` expression ${result.patternIndex + 1}, ${result.pattern}` : '';
      out.write(`Line ${number} matched${which}:\n${JSON.stringify(result.fields, null, 2)}\n`);
      return;
    }
    unmatched++;
    out.write(`Line ${number} did not match: ${quote(line, 0, 100)}\n`);
    matcher.expressions.forEach((expression, index) => {
      const why = diagnoseMismatch(expression.text, line, { library, anchor: options.anchor });
      const label = matcher.expressions.length > 1 ? `Expression ${index + 1}` : 'The expression';
      if (why.matchedParts === 0) {
        out.write(
          `  ${label} fails at its first part${why.failedPart ? `, ${code(why.failedPart)}` : ''}.\n`,
        );
      } else {
        out.write(
          `  ${label} matched as far as ${code(why.matchedPrefix ?? '')} (characters ${(why.matchStart ?? 0) + 1}-${why.matchEnd} of the line: ${quote(line.slice(why.matchStart, why.matchEnd), 0, 80)}),\n` +
            `  then ${code(why.failedPart ?? '')} did not match at character ${(why.matchEnd ?? 0) + 1}: ${quote(line, why.matchEnd ?? 0, 60)}.\n`,
        );
      }
    });
  };

  if (options.line) {
    for (const line of options.line) test(line);
  } else {
    const input = options.file === '-' ? process.stdin : createReadStream(options.file as string, 'utf8');
    try {
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        test(line);
        if (out.size >= 65_536) await out.flush();
      }
    } catch (error) {
      throw new VigilError('SOURCE_IO', `Cannot read ${options.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (!options.json) {
    out.write(`${number - unmatched} of ${number} line${number === 1 ? '' : 's'} matched.\n`);
  }
  await out.flush();
  return unmatched > 0 ? 1 : 0;
}

/** Part of an expression, as written, in backquotes. */
function code(text: string): string {
  return `\`${text}\``;
}

/** A part of a line, in quotes, shortened with an ellipsis. */
function quote(line: string, from: number, max: number): string {
  const rest = line.slice(from);
  return JSON.stringify(rest.length > max ? `${rest.slice(0, max)}…` : rest);
}

/** Collects output and writes it in large chunks, minding back-pressure. */
class BufferedOutput {
  #chunks: string[] = [];
  size = 0;

  write(text: string): void {
    this.#chunks.push(text);
    this.size += text.length;
  }

  flush(): Promise<void> {
    const text = this.#chunks.join('');
    this.#chunks = [];
    this.size = 0;
    return new Promise<void>((resolve) => {
      if (text === '' || process.stdout.write(text)) resolve();
      else process.stdout.once('drain', resolve);
    });
  }
}
