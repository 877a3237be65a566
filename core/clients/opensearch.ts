/** OpenSearch client factory (@opensearch-project/opensearch). */
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../config/schema.ts';
import { readSecretFile } from '../config/secret.ts';

export function createOpenSearch(config: OpenSearchConfig): Client {
  const options: ClientOptions = {
    node: config.url,
    requestTimeout: config.request_timeout_ms,
    // Vigil retries bulk requests itself, item by item, with backoff.
    maxRetries: 0,
    compression: 'gzip',
  };
  if (config.username !== undefined) {
    const password = config.password_file ? readSecretFile(config.password_file).reveal() : '';
    options.auth = { username: config.username, password };
  }
  if (config.ca_file !== undefined) options.ssl = { ca: readFileSync(config.ca_file) };
  return new Client(options);
}
