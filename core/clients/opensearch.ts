/**
 * OpenSearch client factory (@opensearch-project/opensearch): basic
 * authentication with credentials read from files, TLS with a custom
 * certificate authority and an optional client certificate.
 */
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../config/schema.ts';
import { readSecretFile } from '../config/secret.ts';
import { VigilError } from '../errors.ts';

export function createOpenSearch(config: OpenSearchConfig): Client {
  const options: ClientOptions = {
    node: config.url,
    requestTimeout: config.request_timeout_ms,
    // Vigil retries bulk requests itself, item by item, with backoff.
    maxRetries: 0,
    ...(config.compression === 'gzip' ? { compression: 'gzip' as const } : {}),
  };
  const username =
    config.username_file !== undefined ? readSecretFile(config.username_file).reveal() : config.username;
  if (username !== undefined) {
    const password = config.password_file ? readSecretFile(config.password_file).reveal() : '';
    options.auth = { username, password };
  }
  if ((config.cert_file === undefined) !== (config.key_file === undefined)) {
    throw new VigilError(
      'CONFIG_INVALID',
      'opensearch.cert_file and opensearch.key_file go together: set both for a client certificate, or neither.',
    );
  }
  const ssl: NonNullable<ClientOptions['ssl']> = {};
  if (config.ca_file !== undefined) ssl.ca = readPem(config.ca_file, 'opensearch.ca_file');
  if (config.cert_file !== undefined && config.key_file !== undefined) {
    ssl.cert = readPem(config.cert_file, 'opensearch.cert_file');
    ssl.key = readSecretFile(config.key_file).reveal();
  }
  if (Object.keys(ssl).length > 0) options.ssl = ssl;
  return new Client(options);
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new VigilError('CONFIG_INVALID', `${key}: cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
