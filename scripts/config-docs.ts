#!/usr/bin/env node
/**
 * Generates docs/configuration.md, the configuration reference, from the
 * schema in core/config/schema.ts: for every option its key path, type,
 * default, whether it is required, its allowed values and its description.
 *
 *   node scripts/config-docs.ts           writes docs/configuration.md
 *   node scripts/config-docs.ts --check   exits 1 when docs/configuration.md is out of date
 *
 * The walk goes over the JSON Schema that `vigil config schema` prints (the
 * public form of the schema), so the reference and the editor schema cannot
 * disagree. What the schema cannot say — which options are accepted but not
 * used yet, and a few facts about how the code uses an option — is in the
 * PLANNED and NOTES tables below; keep them true when the code changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSecretFileKey, parseConfig } from '../core/config/loader.ts';
import { configJsonSchema } from '../core/config/schema.ts';
import { isVigilError } from '../core/errors.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the generated reference lives. */
export const CONFIG_DOCS_FILE = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

/** The part of JSON Schema that zod emits for Vigil's configuration. */
interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
}

/** One option of the reference. */
export interface ConfigOption {
  /** Key path with `[]` for list items, e.g. `collector.files[].paths`. */
  path: string;
  /** Top-level section the option belongs to, e.g. `collector`. */
  section: string;
  type: string;
  /** Rendered default, or `—` when there is none. */
  default: string;
  required: boolean;
  /** Rendered constraints: enum values, bounds, formats; `any` when unconstrained. */
  allowed: string;
  description: string;
  planned: boolean;
}

/**
 * Options the schema accepts and validates but no code uses yet, by key path
 * (a path covers everything under it), with the sentence that says so.
 */
const PLANNED: Record<string, string> = {};

/** Facts about how the code uses an option that its one-line description leaves out. */
const NOTES: Record<string, string> = {
  kafka:
    '`vigil collector`, `vigil processor`, `vigil correlator`, `vigil alerter` and `vigil setup` use this section; `vigil run` does not.',
  opensearch:
    'Run `vigil setup` once so that the index template (field types, replicas) is installed before the first event is indexed.',
  'opensearch.username': 'Without `password_file` the password is empty.',
  'opensearch.index_replicas': 'Applied through the index template that `vigil setup` installs.',
  'opensearch.retry_max_ms':
    'The pause starts at 100 ms and doubles up to this; retrying goes on until OpenSearch accepts the documents.',
  http: '`vigil run`, `vigil collector`, `vigil processor` and `vigil demo` serve it; `vigil setup` and `vigil config` do not.',
  'http.address': 'Port 0 picks a free port; the log line "Telemetry endpoint is listening." names it.',
  collector: 'It tails files and listens for syslog over UDP, TCP and TLS.',
  'collector.id':
    'Part of the identity of every record (and so of every event `_id`): keep it stable, or lines read again get new ids.',
  'collector.data_dir':
    'It holds `checkpoints.json` and, for each TCP or TLS syslog listener, its spool in `spool/<protocol>-<address>/`. A relative path is resolved against the working directory.',
  'collector.files[].paths':
    'Relative patterns are resolved against the working directory. A file renamed to a name that no pattern matches (rotation) is read to its end through its open descriptor and then released after `rotate_wait_ms`; a rotated copy that the patterns do match continues the same stream, so nothing is read twice.',
  'collector.files[].exclude': 'Matched against the full path, the path as found, and the file name.',
  'collector.files[].start_at':
    'Applies to files without a checkpoint found when the collector starts; a file that appears later is read from its beginning.',
  'collector.files[].max_line_bytes': 'The event gets the tag `vigil_truncated`.',
  'collector.syslog':
    "UDP is best effort: a message that cannot be taken is dropped and counted in `vigil_collector_syslog_dropped_total`. TCP and TLS messages count as accepted once they are in the listener's disk spool.",
  'collector.syslog[].address':
    'Ports below 1024 need privileges. The spool folder and the identity of the messages are named after it: changing it starts a new spool.',
  'collector.syslog[].tls':
    'TLS 1.2 or newer. A changed certificate, key or CA file is loaded without a restart (checked every 2 seconds); a broken one leaves the previous in place.',
  'collector.syslog[].tls.client_auth':
    '`optional` asks for a certificate but also accepts clients without one or with one that does not verify; only `required` rejects them.',
  'collector.syslog[].max_frame_bytes':
    'A larger UDP datagram is dropped (`reason="too_large"`); a larger octet-counted TCP/TLS frame closes the connection; a longer newline-framed message is cut and tagged `vigil_truncated`.',
  'collector.syslog[].spool.when_full':
    '`drop_oldest` removes whole spool segments, counted in `vigil_collector_spool_dropped_total{reason="full"}`.',
  processor:
    'Today it turns each raw line into a base ECS event and indexes it; parsing, enrichment and detection are planned.',
  'processor.group_id': 'Used by `vigil processor`.',
  'processor.session_timeout_ms': 'Used by `vigil processor`.',
  'processor.output_dir':
    '`vigil run` also writes its dead-letter file, `dead-letters.ndjson`, here, with or without OpenSearch.',
  standalone: 'Used by `vigil run` only.',
};

/** Defaults that depend on the machine the generator runs on, said in words. */
const DEFAULT_IN_WORDS: Record<string, string> = {
  collector: 'It tails files and listens for syslog over UDP, TCP and TLS.',
  'collector.id': 'the host name',
};

/** Readable names of the patterns the schema uses; an unknown pattern is shown as it is. */
const PATTERN_NAMES: Record<string, string> = {
  '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:/[\\]]+):\\d{1,5}$': '`host:port`',
  '^[a-z0-9][a-z0-9._-]*$': 'lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit',
  '^rediss?:\\/\\/': 'a `redis://` or `rediss://` URL',
};

/** Every option of the schema, in schema order, nested options after their parent. */
export function configOptions(): ConfigOption[] {
  const root = configJsonSchema() as JsonSchema;
  const options: ConfigOption[] = [];
  for (const [section, schema] of Object.entries(root.properties ?? {})) {
    collect(schema, section, section, options);
  }
  return options;
}

function collect(schema: JsonSchema, path: string, section: string, out: ConfigOption[]): void {
  const children = schema.type === 'array' && schema.items?.type === 'object' ? schema.items : schema;
  const prefix = children === schema ? path : `${path}[]`;
  for (const [key, child] of Object.entries(children.properties ?? {})) {
    const childPath = `${prefix}.${key}`;
    out.push(describeOption(child, childPath, key, section, children.required?.includes(key) ?? false));
    collect(child, childPath, section, out);
  }
}

function describeOption(
  schema: JsonSchema,
  path: string,
  key: string,
  section: string,
  required: boolean,
): ConfigOption {
  const planned = plannedNote(path);
  const sentences = [schema.description ?? ''];
  if (/_file$/.test(key)) {
    sentences.push('The file must be readable when the configuration is loaded.');
    if (isSecretFileKey(key)) sentences.push('Its content is a secret and is never logged.');
  }
  if (NOTES[path]) sentences.push(NOTES[path]);
  if (planned !== undefined) sentences.push(PLANNED[path] ?? '*Planned.*');
  return {
    path,
    section,
    type: typeOf(schema),
    default: defaultOf(schema, path, required),
    required,
    allowed: allowedOf(schema),
    description: sentences.filter((s) => s !== '').join(' '),
    planned: planned !== undefined,
  };
}

/** The PLANNED entry covering `path`, if any. */
function plannedNote(path: string): string | undefined {
  for (const [prefix, note] of Object.entries(PLANNED)) {
    if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[]`)) return note;
  }
  return undefined;
}

function typeOf(schema: JsonSchema): string {
  if (schema.type === 'array') {
    const item = schema.items ?? {};
    if (item.type === 'object') return 'list of mappings';
    return `list of ${plural(typeOf(item))}`;
  }
  if (schema.type === 'object') return 'mapping';
  if (schema.type === 'string' && schema.format === 'uri') return 'URL';
  return schema.type ?? 'any';
}

function plural(type: string): string {
  return type === 'URL' ? 'URLs' : `${type}s`;
}

function defaultOf(schema: JsonSchema, path: string, required: boolean): string {
  const words = DEFAULT_IN_WORDS[path];
  if (words !== undefined) return words;
  if (schema.default === undefined) return required ? '—' : 'unset';
  if (schema.type === 'object') return 'see its keys';
  if (typeof schema.default === 'string') return code(schema.default);
  return code(JSON.stringify(schema.default));
}

function allowedOf(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(schema.enum.map((v) => code(String(v))).join(', '));
  if (schema.type === 'array') {
    if (schema.minItems !== undefined && schema.minItems > 0) {
      parts.push(schema.minItems === 1 ? 'at least one item' : `at least ${schema.minItems} items`);
    }
    const item = schema.items?.type === 'object' ? 'any' : allowedOf(schema.items ?? {});
    if (item !== 'any') parts.push(`each: ${item}`);
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.exclusiveMinimum !== undefined) {
      parts.push(
        schema.type === 'integer' ? `≥ ${schema.exclusiveMinimum + 1}` : `> ${schema.exclusiveMinimum}`,
      );
    }
    if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) {
      parts.push(`≤ ${schema.maximum}`);
    }
  }
  if (schema.pattern !== undefined)
    parts.push(PATTERN_NAMES[schema.pattern] ?? `matches ${code(schema.pattern)}`);
  else if (schema.type === 'string' && schema.minLength === 1 && !schema.enum) parts.push('not empty');
  return parts.length > 0 ? parts.join('; ') : 'any';
}

/** An inline code span that survives a table cell. */
function code(text: string): string {
  return `\`${text}\``;
}

/** The anchor GitHub gives a heading. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}

/** Escapes what would break a Markdown table cell: pipes, line breaks, and `<` `>` outside code spans. */
function cell(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replaceAll('<', '&lt;').replaceAll('>', '&gt;')))
    .join('')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

const EXAMPLE_INPUT = [
  'kafka:',
  '  broker: ["127.0.0.1:9092"]',
  'opensearch:',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: `${VAR}` is the configuration syntax shown.
  '  url: ${OPENSEARCH_URL}',
  'collector:',
  '  files:',
  '    - paths: ["/var/log/auth.log"]',
  '      start_at: begining',
  '',
].join('\n');

/** The message Vigil prints for EXAMPLE_INPUT, so the example in the docs is the real one. */
function exampleError(): string {
  try {
    parseConfig(EXAMPLE_INPUT, 'vigil.yaml', { env: {} });
  } catch (error) {
    if (isVigilError(error)) return `vigil: ${error.message}`;
    throw error;
  }
  throw new Error('The example configuration in scripts/config-docs.ts was expected to be rejected.');
}

function intro(): string {
  return `# Configuration reference

<!-- Generated by \`npm run docs:config\` (scripts/config-docs.ts) from core/config/schema.ts.
     Do not edit by hand: change the schema's descriptions and run the script again. -->

Vigil reads one YAML file, \`vigil.yaml\`, with a section per component. Every
command takes it with \`-c <file>\` (\`--config <file>\`); without the option it
reads \`vigil.yaml\` in the working directory. The same file serves every part:
\`vigil run\` uses \`collector\`, \`processor\`, \`opensearch\` and \`standalone\`;
\`vigil collector\` uses \`collector\` and \`kafka\`; \`vigil processor\` uses
\`processor\`, \`kafka\` and \`opensearch\`; all of them use \`http\` and \`log\`.
Every command validates the whole file, including sections it does not use.

Every section is optional and almost every key has a default, so an empty
file is valid: it means "all defaults". A section whose keys are all
commented out counts as empty. Unknown keys are errors, so a misspelt key
never goes unnoticed. A complete, commented example for a real host is
[examples/vigil.yaml](../examples/vigil.yaml); the demo's configuration is
[examples/demo.yaml](../examples/demo.yaml).

Relative paths (\`collector.data_dir\`, \`collector.files[].paths\`,
\`processor.output_dir\`, \`*_file\` keys) are resolved against the working
directory of the process, not against the folder of the configuration file.
Use absolute paths on a real host.

## Environment variables

String values may refer to environment variables:

| Syntax | Becomes |
| --- | --- |
| \`\${VAR}\` | the value of \`VAR\`; an error when \`VAR\` is unset or empty |
| \`\${VAR:-default}\` | the value of \`VAR\`, or \`default\` when \`VAR\` is unset or empty |
| \`$$\` | a literal \`$\` (a \`$\` followed by anything else is kept as it is) |

Expansion happens after the YAML is parsed and only inside string values:
keys are never expanded, and an expanded value is not read as YAML again, so
a variable cannot add keys or list items. Where an option expects a number or
\`true\`/\`false\`, an expanded value that reads as one is converted, e.g.
\`partitions: \${KAFKA_PARTITIONS:-6}\`.

## Files and secrets

Keys ending in \`_file\` name a file. When the configuration is loaded, Vigil
checks that every such file, in every section, can be read, and reports each
one that cannot. Secrets are never written into \`vigil.yaml\` itself: the
keys for them (\`password_file\`, \`secret_file\`, and any \`token_file\` or
\`api_key_file\`) name a file that holds the secret. The file is read when the
client that needs it is created, one trailing newline is dropped, and the
value never appears in a log line, an error message or a JSON dump. See
[security.md](security.md).

## Errors

Vigil checks the whole file in one pass and reports every problem at once:
YAML syntax errors, unknown keys (with a "did you mean" suggestion), wrong
types and values, missing required values, unset environment variables and
unreadable \`*_file\` files. Each problem names the file, the line and column,
and the key path. A configuration problem stops the command before it does
any work, with exit code 2 (see [errors.md](errors.md)). For example:

\`\`\`yaml
${EXAMPLE_INPUT.trimEnd()}
\`\`\`

\`\`\`
${exampleError()}
\`\`\`

## Checking a file, and editor support

\`vigil config check -c vigil.yaml\` validates a file without running
anything and prints \`Configuration file vigil.yaml is valid.\` or the problems.

\`vigil config schema\` prints the JSON Schema (draft 2020-12) of the file,
with these descriptions and defaults. Editors use it for completion and
checking as you type; with the YAML language server, save it as
\`vigil.schema.json\` and start \`vigil.yaml\` with
\`# yaml-language-server: $schema=vigil.schema.json\`. The Helm chart
(planned) will use it as its \`values.schema.json\`.

## Reading the tables

Key paths are written the way error messages write them, with \`[]\` standing
for every item of a list: \`collector.files[].paths\` is the \`paths\` key of
each item of \`collector.files\`. *Required* means the key must be given
whenever the mapping that holds it is present. *unset* means the option has
no default and is simply absent unless you give it. *Planned* marks options
that are validated today but not used yet; a file that sets them keeps
working when they arrive.
`;
}

function renderSection(section: string, schema: JsonSchema, options: ConfigOption[]): string {
  const planned = plannedNote(section);
  const lines = [`## \`${section}\`${planned === undefined ? '' : ' (planned)'}`, ''];
  const about = [schema.description ?? ''];
  about.push(
    schema.default === undefined
      ? 'The section is optional and has no default: leave it out to go without it.'
      : 'The section is optional; every key not given takes its default.',
  );
  if (NOTES[section]) about.push(NOTES[section]);
  if (planned !== undefined) about.push(planned);
  lines.push(about.filter((s) => s !== '').join(' '), '');
  lines.push('| Key | Type | Default | Required | Allowed values | Description |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const option of options) {
    lines.push(
      `| ${[
        code(option.path),
        option.type,
        option.default,
        option.required ? 'yes' : 'no',
        option.allowed,
        option.description,
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The full text of docs/configuration.md. */
export function renderConfigDocs(): string {
  const root = configJsonSchema() as JsonSchema;
  const options = configOptions();
  const sections = Object.entries(root.properties ?? {});
  const contents = sections.map(([section, schema]) => {
    const planned = plannedNote(section) === undefined ? '' : ' (planned)';
    return `- [\`${section}\`](#${slug(`${section}${planned}`)})${planned}: ${schema.description ?? ''}`;
  });
  const parts = [intro(), '## Sections\n', `${contents.join('\n')}\n`];
  for (const [section, schema] of sections) {
    parts.push(
      renderSection(
        section,
        schema,
        options.filter((o) => o.section === section),
      ),
    );
  }
  return parts.join('\n');
}

/** Runs the script; returns the exit code. */
export function main(args: readonly string[], file = CONFIG_DOCS_FILE): number {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument ${unknown[0]}. Usage: node scripts/config-docs.ts [--check]\n`);
    return 2;
  }
  const expected = renderConfigDocs();
  const name = relative(ROOT, file);
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // A missing file is out of date like any other.
    }
    if (current === expected) return 0;
    process.stderr.write(`${name} is out of date; run \`npm run docs:config\` and commit the result.\n`);
    return 1;
  }
  writeFileSync(file, expected);
  process.stdout.write(`Wrote ${name}.\n`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = main(process.argv.slice(2));
}
