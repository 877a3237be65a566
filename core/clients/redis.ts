/** Redis client factory (ioredis, the client BullMQ builds on). */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/schema.ts';
import { readSecretFile } from '../config/secret.ts';

export function createRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    // BullMQ needs blocking commands to wait indefinitely.
    maxRetriesPerRequest: null,
    ...overrides,
  };
  if (config.password_file !== undefined) options.password = readSecretFile(config.password_file).reveal();
  return new Redis(config.url, options);
}
