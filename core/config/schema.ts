/**
 * The schema of vigil.yaml. Every option carries a one-line description and
 * its default; `docs/configuration.md` and the JSON Schema exported by
 * `vigil config schema` are generated from these descriptions.
 *
 * Keys are snake_case with units in the name. The top-level keys and the keys
 * shown in DESIGN.md are the fixed user interface.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { assetConfigSchema } from '../../processor/enrichers/asset/asset-config.ts';
import { geoipConfigSchema } from '../../processor/enrichers/geoip/config.ts';
import { indicatorsConfigSchema } from '../../processor/enrichers/threat-intel/config.ts';

const hostPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'expected "host:port"')
  .describe('An address as "host:port".');

const positiveInt = () => z.number().int().positive();

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const kafkaTopics = z
  .strictObject({
    raw: z.string().min(1).default('vigil.raw').describe('Topic collectors produce raw records to.'),
    signals: z
      .string()
      .min(1)
      .default('vigil.signals')
      .describe('Topic of detection signals for correlation.'),
    alerts: z.string().min(1).default('vigil.alerts').describe('Topic of alerts for the alerter.'),
    dlq: z
      .string()
      .min(1)
      .default('vigil.dlq')
      .describe('Topic of records that could not be processed, with the reason.'),
  })
  .describe('Names of the Kafka topics Vigil uses.');

export const kafkaSchema = z
  .strictObject({
    brokers: z.array(hostPort).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers.'),
    client_id: z.string().min(1).default('vigil').describe('Client id prefix reported to the brokers.'),
    topics: kafkaTopics.default(kafkaTopics.parse({})),
    compression: z
      .enum(['none', 'gzip'])
      .default('gzip')
      .describe(
        'Compression of produced batches (gzip is built into the client; none saves CPU on fast links).',
      ),
    records_per_message: positiveInt()
      .max(10_000)
      .default(200)
      .describe(
        'Most consecutive records of one stream sent as one Kafka message (a bundle); 1 sends each alone.',
      ),
    max_request_bytes: positiveInt()
      .default(900_000)
      .describe(
        "Most bytes of records in one produce request; keep it below the brokers' message.max.bytes.",
      ),
    partitions: positiveInt().default(6).describe('Partitions per topic when `vigil setup` creates topics.'),
    min_insync_replicas: positiveInt()
      .optional()
      .describe(
        'min.insync.replicas of the topics `vigil setup` creates or updates (default: 2, or the replication factor when it is lower).',
      ),
    retention_hours: z
      .strictObject({
        raw: positiveInt().default(168).describe('How long vigil.raw keeps records.'),
        signals: positiveInt().default(168).describe('How long vigil.signals keeps signals.'),
        alerts: positiveInt().default(720).describe('How long vigil.alerts keeps alerts.'),
        dlq: positiveInt().default(720).describe('How long vigil.dlq keeps dead letters.'),
      })
      .default({ raw: 168, signals: 168, alerts: 720, dlq: 720 })
      .describe('retention.ms of each topic, in hours, as `vigil setup` sets it.'),
    topic_compression: z
      .enum(['producer', 'gzip', 'snappy', 'lz4', 'zstd', 'uncompressed'])
      .default('producer')
      .describe("compression.type of Vigil's topics: `producer` keeps what producers sent."),
    replication_factor: positiveInt()
      .default(1)
      .describe('Replication factor when `vigil setup` creates topics.'),
    connection_timeout_ms: positiveInt().default(3000).describe('Time allowed to open a broker connection.'),
    request_timeout_ms: positiveInt().default(30000).describe('Time allowed for one broker request.'),
  })
  .describe('Kafka, the transport between collectors, processors and the correlator.');

export const opensearchSchema = z
  .strictObject({
    url: z.url().describe('OpenSearch endpoint, e.g. http://127.0.0.1:9200.'),
    username: z.string().optional().describe('User for HTTP basic authentication.'),
    password_file: z.string().optional().describe('File holding the basic-authentication password.'),
    username_file: z
      .string()
      .optional()
      .describe('File holding the user for basic authentication (instead of `username`).'),
    ca_file: z.string().optional().describe('PEM file of the certificate authority to trust for https.'),
    cert_file: z.string().optional().describe('PEM client certificate, for OpenSearch that requires one.'),
    key_file: z.string().optional().describe('PEM private key of `cert_file`.'),
    index_prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lowercase index-name prefix')
      .default('vigil')
      .describe('Prefix of every index Vigil writes: <prefix>-<dataset>-<yyyy.mm.dd>.'),
    index_replicas: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('Replicas of each event index (0 on a single node).'),
    bulk_max_docs: positiveInt().default(1000).describe('Most documents in one bulk request.'),
    bulk_max_bytes: positiveInt().default(5_000_000).describe('Most bytes in one bulk request.'),
    request_timeout_ms: positiveInt().default(30000).describe('Time allowed for one request.'),
    retry_max_ms: positiveInt().default(30000).describe('Longest pause between retries of a rejected bulk.'),
    compression: z
      .enum(['none', 'gzip'])
      .default('none')
      .describe(
        'Compression of request bodies (gzip saves bandwidth on slow links and costs processor CPU).',
      ),
    bulk_max_wait_ms: positiveInt()
      .default(1000)
      .describe('Longest a processor waits to fill a batch before indexing what it has.'),
    retention_days: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe('Days an event index is kept (by its date); 0 keeps indices forever.'),
    read_only_after_days: positiveInt()
      .optional()
      .describe('Make a day index read-only and force-merge it to one segment after this many days.'),
    max_event_age_days: positiveInt()
      .optional()
      .describe(
        'An event dated more than this many days before the collector read it is indexed at the time it was read, tagged `vigil_timestamp_out_of_range` (default: retention_days, or 3650).',
      ),
    max_event_future_minutes: positiveInt()
      .default(1440)
      .describe(
        'An event dated more than this many minutes after the collector read it is indexed at the time it was read, tagged `vigil_timestamp_out_of_range`.',
      ),
  })
  .describe(
    'OpenSearch, where every event is indexed. Absent in standalone mode: events go to NDJSON files.',
  );

export const redisSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379')
      .describe('Redis endpoint, e.g. redis://127.0.0.1:6379; rediss:// for TLS.'),
    password_file: z.string().optional().describe('File holding the Redis password.'),
  })
  .describe('Redis, the store behind the notification queue.');

export const httpSchema = z
  .strictObject({
    address: hostPort.default('127.0.0.1:9600').describe('Where /metrics, /healthz and /readyz are served.'),
    enabled: z.boolean().default(true).describe('Serve the telemetry endpoints.'),
  })
  .describe('The telemetry HTTP endpoint.');

export const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info')
      .describe('Lowest level written to the log.'),
  })
  .describe("Vigil's own structured JSON log on standard output.");

export const fileInputSchema = z
  .strictObject({
    paths: z.array(z.string().min(1)).min(1).describe('Files to tail; glob patterns are allowed.'),
    exclude: z.array(z.string().min(1)).default([]).describe('Glob patterns of files to leave alone.'),
    dataset: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lowercase dataset name such as "linux.auth"')
      .default('generic')
      .describe('Routing hint for the processor, e.g. linux.auth or apache.access.'),
    start_at: z
      .enum(['beginning', 'end'])
      .default('beginning')
      .describe('Where to start in a file seen for the first time.'),
    max_line_bytes: positiveInt()
      .max(400_000)
      .default(262_144)
      .describe(
        'Longer lines are truncated and flagged; at most 400,000 so a record fits in one Kafka message.',
      ),
    encoding: z
      .enum(['utf-8', 'utf-16le', 'utf-16be', 'latin1'])
      .default('utf-8')
      .describe('Text encoding of the files; a Unicode byte order mark at the start of a file overrides it.'),
    fingerprint_bytes: positiveInt()
      .max(1_048_576)
      .default(1024)
      .describe('How many first bytes of a file identify it (its fingerprint).'),
    flush_partial_after_ms: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe(
        'A last line without newline is emitted, flagged unterminated, once the file has not grown for this long; 0 waits forever.',
      ),
    rotate_wait_ms: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe(
        'A file that left the paths (renamed away, deleted, link swapped) is read to its end and released once it has not grown for this long.',
      ),
    forget_after_ms: positiveInt()
      .default(86_400_000)
      .describe('Checkpoints of files not seen for this long are forgotten.'),
    multiline: z
      .strictObject({
        mode: z
          .enum(['start', 'continuation'])
          .describe(
            'start: a line matching pattern begins an event, others join it; continuation: a line matching pattern joins the event before it.',
          ),
        pattern: z
          .string()
          .min(1)
          .refine(isRegExp, 'expected a JavaScript regular expression')
          .describe('Regular expression (JavaScript syntax) tested against each line.'),
        negate: z.boolean().default(false).describe('Invert the match of pattern.'),
        max_lines: positiveInt()
          .default(500)
          .describe('Most lines in one event; the next line starts a new event flagged continuation.'),
        timeout_ms: positiveInt()
          .default(1000)
          .describe('An event is emitted when no line joined it for this long.'),
      })
      .optional()
      .describe('Join lines into multiline events, e.g. stack traces; absent: every line is an event.'),
  })
  .describe('One group of files to tail.');

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const syslogInputSchema = z
  .strictObject({
    protocol: z.enum(['udp', 'tcp', 'tls']).describe('Transport of the listener.'),
    address: hostPort.describe('Where to listen, e.g. 0.0.0.0:5514.'),
    dataset: z.string().default('syslog').describe('Routing hint for the processor.'),
    tls: z
      .strictObject({
        cert_file: z.string().describe('PEM certificate of the listener.'),
        key_file: z.string().describe('PEM private key of the listener.'),
        ca_file: z.string().optional().describe('PEM certificate authority for client certificates.'),
        client_auth: z
          .enum(['none', 'optional', 'required'])
          .default('none')
          .describe('Whether clients must present a certificate.'),
      })
      .optional()
      .describe('TLS settings; required when protocol is tls.'),
    framing: z
      .enum(['auto', 'octet_counting', 'newline'])
      .default('auto')
      .describe('TCP/TLS framing (RFC 6587); auto decides per connection from its first frame.'),
    max_frame_bytes: positiveInt()
      .default(65_536)
      .describe('Longest message accepted; longer frames are refused.'),
    max_connections: positiveInt()
      .default(1000)
      .describe('Most TCP/TLS connections open at once; more are refused.'),
    idle_timeout_ms: positiveInt()
      .default(300_000)
      .describe('A TCP/TLS connection silent this long is closed.'),
    handshake_timeout_ms: positiveInt().default(10_000).describe('Time allowed for a TLS handshake.'),
    default_time_zone: z
      .string()
      .refine(isTimeZone, 'expected an IANA time zone such as "UTC" or "Europe/Berlin"')
      .default('UTC')
      .describe('IANA time zone of syslog timestamps that carry no offset (RFC 3164).'),
    spool: z
      .strictObject({
        max_bytes: positiveInt()
          .default(256 * 1024 * 1024)
          .describe('Most bytes the disk spool may hold.'),
        when_full: z
          .enum(['block', 'drop_oldest'])
          .default('block')
          .describe(
            'When the spool is full: stop reading senders (block) or drop the oldest messages, counted.',
          ),
      })
      .default({ max_bytes: 256 * 1024 * 1024, when_full: 'block' })
      .describe('The on-disk spool that TCP/TLS messages are accepted into before they are shipped.'),
  })
  .describe('One syslog listener.');

export const collectorSchema = z
  .strictObject({
    id: z.string().min(1).default(hostname()).describe('Identity of this collector; default: the host name.'),
    data_dir: z.string().min(1).default('.vigil/collector').describe('Where checkpoints and the spool live.'),
    files: z.array(fileInputSchema).default([]).describe('Files to tail.'),
    syslog: z.array(syslogInputSchema).default([]).describe('Syslog listeners.'),
    poll_interval_ms: positiveInt().default(250).describe('How often tailed files are checked for growth.'),
    batch_max_records: positiveInt().default(2000).describe('Most records shipped in one batch.'),
    batch_max_bytes: positiveInt().default(1_000_000).describe('Most bytes shipped in one batch.'),
    max_buffered_bytes: positiveInt()
      .default(524_288)
      .describe(
        'Most bytes of lines the collector buffers before sources wait (UDP drops, counted); a batch never exceeds it; default 524288.',
      ),
    flush_interval_ms: positiveInt().default(200).describe('Longest time a record waits to be shipped.'),
  })
  .describe('The collector: what it reads and where it keeps its state.');

export const processorSchema = z
  .strictObject({
    group_id: z
      .string()
      .min(1)
      .default('vigil-processor')
      .describe('Kafka consumer group of the processors.'),
    session_timeout_ms: z
      .number()
      .int()
      .min(6000)
      .default(30000)
      .describe('A processor silent this long is taken out of the group and its partitions reassigned.'),
    partitions_concurrently: positiveInt()
      .max(64)
      .default(2)
      .describe(
        'Partitions of vigil.raw one processor works on at the same time: while one batch waits for OpenSearch, the next is parsed.',
      ),
    pipelines_dir: z
      .string()
      .optional()
      .describe(
        'Folder (or file) of your pipeline YAML files; they are tried before the built-in ones and replace a built-in pipeline with the same id.',
      ),
    patterns_dir: z
      .string()
      .optional()
      .describe('Folder of your grok pattern files (logstash format), loaded after the built-in ones.'),
    builtin_pipelines: z
      .boolean()
      .default(true)
      .describe(
        "Use Vigil's built-in pipelines (syslog, sshd, sudo, web servers, firewalls, …); default true.",
      ),
    reload_interval_ms: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe(
        'How often your pipeline and pattern files are checked for changes and reloaded; 0 turns it off.',
      ),
    output_dir: z
      .string()
      .default('.vigil/events')
      .describe('Where events are written as NDJSON files when no OpenSearch is configured.'),
    keep_original: z.boolean().default(true).describe('Keep the raw line as event.original.'),
    geoip: geoipConfigSchema
      .default(geoipConfigSchema.parse({}))
      .describe(
        'GeoIP enrichment of source, destination, client and server addresses; works without configuration with the embedded DB-IP Lite country database.',
      ),
    assets: assetConfigSchema
      .optional()
      .describe(
        'Asset inventories (CSV, JSON, YAML) for source, destination, client, server and host asset context.',
      ),
    indicators: indicatorsConfigSchema
      .optional()
      .describe(
        'Threat-intel indicator files (plain lists, CSV, STIX 2.1 bundles); matches become threat.enrichments.',
      ),
  })
  .describe('The processor: parsing, enrichment, detection and indexing.');

export const rulesSchema = z
  .strictObject({
    paths: z
      .array(z.string())
      .default([])
      .describe('Files or folders of Sigma detection, correlation and filter rules.'),
    pipelines: z
      .array(z.string())
      .default([])
      .describe("Sigma mapping pipeline files, applied after Vigil's ECS pipeline."),
    builtin_pipeline: z
      .boolean()
      .default(true)
      .describe("Apply Vigil's ECS mapping pipeline (rules/pipelines/vigil-ecs.yaml) first."),
    placeholders: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe('Values of `%name%` placeholders used with the `expand` modifier.'),
    reload_interval_ms: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe('How often rule files are checked for changes; 0 turns hot reload off.'),
  })
  .describe('Detection rules.');

export const correlatorSchema = z
  .strictObject({
    group_id: z
      .string()
      .min(1)
      .default('vigil-correlator')
      .describe('Kafka consumer group of the correlators.'),
    session_timeout_ms: z
      .number()
      .int()
      .min(6000)
      .default(30000)
      .describe('A correlator silent this long is taken out of the group and its partitions reassigned.'),
    allowed_lateness_ms: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe(
        'How far an event may be behind the newest event time seen and still count as on time; older events are late.',
      ),
    late_policy: z
      .enum(['drop', 'admit'])
      .default('drop')
      .describe(
        'What happens to a late event (always counted): drop ignores it; admit places it among the events the group still holds.',
      ),
    max_groups_per_rule: positiveInt()
      .default(100_000)
      .describe(
        'Most groups one correlation rule holds per partition; the least recently active is evicted.',
      ),
    max_events_per_group: positiveInt()
      .max(10_000)
      .default(1000)
      .describe('Most events one group holds; the oldest is evicted.'),
    rebuild_margin_ms: z
      .number()
      .int()
      .min(0)
      .default(60_000)
      .describe(
        'Extra time re-read on a partition assignment, beyond the longest timespan plus the allowed lateness.',
      ),
    idle_advance_ms: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe(
        'After this long without signals on a partition, its watermark follows the clock (minus the allowed lateness); 0 turns it off.',
      ),
  })
  .describe('The correlator: Sigma correlation rules over vigil.signals.');

export const webhookSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1 to 64 letters, digits, "_" or "-"')
      .describe('Name of the destination, used in job ids, logs and metrics.'),
    url: z
      .url()
      .refine((url) => /^https?:\/\//i.test(url), 'expected an http:// or https:// URL')
      .describe('Where alerts are POSTed; https unless `allow_http` is set.'),
    secret_file: z.string().optional().describe('File holding the HMAC secret that signs each delivery.'),
    allow_http: z.boolean().default(false).describe('Permit a plain http:// URL (default: https only).'),
    allow_private: z
      .boolean()
      .default(false)
      .describe(
        'Permit loopback, private (RFC 1918, ULA), link-local and CGNAT addresses (refused by default).',
      ),
    allow_cidrs: z
      .array(z.string().refine(isCidr, 'expected an address range such as "10.20.0.0/16" or "fd00:1::/48"'))
      .default([])
      .describe('Address ranges permitted although they are not public, e.g. ["10.20.0.0/16"].'),
    min_level: z
      .enum(['informational', 'low', 'medium', 'high', 'critical'])
      .default('informational')
      .describe('Lowest rule level notified to this destination.'),
    rate_limit_max: positiveInt()
      .default(10)
      .describe('Most requests to this destination per `rate_limit_window_ms`, across all alerters.'),
    rate_limit_window_ms: positiveInt().default(1000).describe('Window of `rate_limit_max`.'),
    timeout_ms: positiveInt()
      .default(10_000)
      .describe('Time allowed for the receiver to answer one request.'),
    connect_timeout_ms: positiveInt().default(5000).describe('Time allowed to connect (and finish TLS).'),
    concurrency: positiveInt().default(4).describe('Requests in flight to this destination per alerter.'),
  })
  .superRefine((webhook, ctx) => {
    if (/^http:\/\//i.test(webhook.url) && !webhook.allow_http) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'expected an https:// URL (set allow_http: true to permit plain http)',
      });
    }
  })
  .describe('One webhook destination.');

function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

const suppressionSchema = z
  .strictObject({
    rule: z.string().min(1).describe('Rule id or title, or a glob over them (`*`, `?`).'),
    by: z
      .array(z.string().min(1))
      .default([])
      .describe('Fields naming the entity, e.g. [source.ip]; empty: the rule alone.'),
    for_ms: positiveInt().describe('How long later alerts of the rule and entity are not notified.'),
  })
  .describe('One suppression: later alerts of a rule for the same entity are indexed but not notified.');

export const alerterSchema = z
  .strictObject({
    webhooks: z
      .array(webhookSchema)
      .default([])
      .superRefine((webhooks, ctx) => {
        const seen = new Set<string>();
        webhooks.forEach((webhook, i) => {
          if (seen.has(webhook.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate destination name "${webhook.name}"`,
            });
          seen.add(webhook.name);
        });
      })
      .describe('Webhook destinations for alerts.'),
    group_id: z.string().min(1).default('vigil-alerter').describe('Kafka consumer group of the alerters.'),
    session_timeout_ms: z
      .number()
      .int()
      .min(6000)
      .default(30000)
      .describe('An alerter silent this long is taken out of the group and its partitions reassigned.'),
    suppression: z.array(suppressionSchema).default([]).describe('Alert suppression per rule and entity.'),
    attempts: positiveInt()
      .max(100)
      .default(12)
      .describe('Most attempts of one notification, the first included.'),
    backoff_initial_ms: positiveInt()
      .default(1000)
      .describe('Pause after the first failed attempt; it doubles each time.'),
    backoff_max_ms: positiveInt()
      .default(300_000)
      .describe('Longest pause between attempts (a Retry-After may be longer).'),
    redis_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-"')
      .default('vigil')
      .describe('Prefix of the Redis keys of notification queues and suppression state.'),
    keep_completed_hours: positiveInt()
      .default(24)
      .describe('How long delivered notification jobs are kept in Redis.'),
    keep_failed_hours: positiveInt()
      .default(168)
      .describe('How long failed notification jobs are kept for `vigil alerts retry`.'),
    reconcile_interval_ms: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe(
        'How often pending notifications are checked against Redis and lost jobs added again; 0 turns it off.',
      ),
    reconcile_after_ms: positiveInt()
      .default(60_000)
      .describe('A notification still pending this long after its alert was indexed is checked.'),
    reconcile_lookback_hours: positiveInt()
      .default(72)
      .describe('Alerts indexed longer ago than this are not checked.'),
  })
  .describe('The alerter: alert indexing, suppression and notification.');

export const standaloneSchema = z
  .strictObject({
    queue_max_records: positiveInt()
      .default(10_000)
      .describe('Capacity of the in-process queue between stages in `vigil run`.'),
  })
  .describe('Standalone mode (`vigil run`).');

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema.default(kafkaSchema.parse({})),
    opensearch: opensearchSchema.optional(),
    redis: redisSchema.default(redisSchema.parse({})),
    http: httpSchema.default(httpSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    collector: collectorSchema.default(collectorSchema.parse({})),
    processor: processorSchema.default(processorSchema.parse({})),
    rules: rulesSchema.default(rulesSchema.parse({})),
    correlator: correlatorSchema.default(correlatorSchema.parse({})),
    alerter: alerterSchema.default(alerterSchema.parse({})),
    standalone: standaloneSchema.default(standaloneSchema.parse({})),
  })
  .describe('Vigil configuration (vigil.yaml).');

export type VigilConfig = z.output<typeof configSchema>;
export type KafkaConfig = VigilConfig['kafka'];
export type OpenSearchConfig = NonNullable<VigilConfig['opensearch']>;
export type RedisConfig = VigilConfig['redis'];
export type CollectorConfig = VigilConfig['collector'];
export type FileInputConfig = CollectorConfig['files'][number];
export type SyslogInputConfig = CollectorConfig['syslog'][number];
export type ProcessorConfig = VigilConfig['processor'];
export type CorrelatorConfig = VigilConfig['correlator'];

/** The configuration's JSON Schema, for editors and the Helm chart's values.schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
