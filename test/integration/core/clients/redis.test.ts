import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../../../core/clients/redis.ts';
import { redisSchema } from '../../../../core/config/schema.ts';
import { REDIS_URL, uniqueName } from '../../../helpers/services.ts';

const redis = createRedis(redisSchema.parse({ url: REDIS_URL }));
const key = uniqueName('it-redis');

describe('Redis (real server)', () => {
  afterAll(async () => {
    await redis.del(key, `${key}:list`);
    redis.disconnect();
  });

  it('connects and round-trips a value', async () => {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    await redis.set(key, 'vigil', 'EX', 60);
    expect(await redis.get(key)).toBe('vigil');
  });

  it('keeps list order, as the notification queue relies on', async () => {
    await redis.rpush(`${key}:list`, 'a', 'b', 'c');
    expect(await redis.lrange(`${key}:list`, 0, -1)).toEqual(['a', 'b', 'c']);
  });
});
