/**
 * Integration tests need the real Kafka, OpenSearch and Redis. A missing
 * service is a failure, never a skip: this setup fails the whole run with a
 * message saying how to start the stack.
 */
import { connect } from 'node:net';
import { KAFKA_BROKERS, OPENSEARCH_URL, REDIS_URL } from '../helpers/services.ts';

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export default async function setup(): Promise<void> {
  const missing: string[] = [];
  const [kafkaHost, kafkaPort] = (KAFKA_BROKERS[0] as string).split(':');
  if (!(await tcpAnswers(kafkaHost as string, Number(kafkaPort))))
    missing.push(`Kafka at ${KAFKA_BROKERS[0]}`);
  try {
    const response = await fetch(`${OPENSEARCH_URL}/_cluster/health`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) missing.push(`OpenSearch at ${OPENSEARCH_URL} (HTTP ${response.status})`);
  } catch {
    missing.push(`OpenSearch at ${OPENSEARCH_URL}`);
  }
  const redis = new URL(REDIS_URL);
  if (!(await tcpAnswers(redis.hostname, Number(redis.port)))) missing.push(`Redis at ${REDIS_URL}`);
  if (missing.length > 0) {
    throw new Error(
      `Integration tests need real services, and these do not answer: ${missing.join('; ')}. ` +
        'Start them with `npm run stack:up`.',
    );
  }
}
