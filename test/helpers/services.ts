/**
 * Addresses of the real services integration tests run against, started on
 * loopback by `npm run stack:up` (scripts/stack.ts). Overridable by the same
 * environment variables the stack script reads.
 */
export const KAFKA_BROKERS = [`127.0.0.1:${process.env.VIGIL_KAFKA_PORT ?? '9092'}`];
export const OPENSEARCH_URL = `http://127.0.0.1:${process.env.VIGIL_OPENSEARCH_PORT ?? '9200'}`;
export const REDIS_URL = `redis://127.0.0.1:${process.env.VIGIL_REDIS_PORT ?? '6379'}`;

/** A name no other test run uses: for topics, indices, groups and queues. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

const handedOut = new Set<number>();

/**
 * A port for a listener a test starts: below Linux's ephemeral range
 * (32768–60999), so that no outgoing connection of the run (Kafka, OpenSearch
 * and Redis clients open many) can be holding it, and never the same port
 * twice in one test file.
 */
export function listenPort(): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12700);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
