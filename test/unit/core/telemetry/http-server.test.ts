import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/log.ts';
import {
  type ReadinessCheck,
  splitAddress,
  TelemetryServer,
} from '../../../../core/telemetry/http-server.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';

describe('TelemetryServer', () => {
  let metrics: Metrics;
  let checks: ReadinessCheck[];
  let server: TelemetryServer;

  beforeEach(async () => {
    metrics = new Metrics({ defaultMetrics: false });
    checks = [];
    server = new TelemetryServer({
      address: '127.0.0.1:0',
      metrics,
      checks: () => checks,
      logger: silentLogger(),
    });
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  it('listens on loopback on a port chosen by the system', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
  });

  it('serves the metrics registered through Metrics at /metrics', async () => {
    metrics
      .counter('vigil_test_events_total', 'Events seen by the test.', ['source'])
      .inc({ source: 'file' }, 3);
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# HELP vigil_test_events_total Events seen by the test.');
    expect(text).toContain('# TYPE vigil_test_events_total counter');
    expect(text).toContain('vigil_test_events_total{source="file"} 3');
  });

  it('serves no process metrics when default metrics are off', async () => {
    const text = await (await get('/metrics')).text();
    expect(text).not.toContain('vigil_process_');
  });

  it('answers /healthz with 200', async () => {
    const response = await get('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('ignores the query string', async () => {
    expect((await get('/healthz?probe=liveness')).status).toBe(200);
  });

  it('answers /readyz with 200 when every component is ready', async () => {
    checks = [
      { name: 'file-source', ready: () => true },
      { name: 'kafka-sink', ready: () => true },
    ];
    const response = await get('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      components: [
        { name: 'file-source', ready: true },
        { name: 'kafka-sink', ready: true },
      ],
    });
  });

  it('answers /readyz with 200 when there are no components', async () => {
    expect((await get('/readyz')).status).toBe(200);
  });

  it('answers /readyz with 503 naming the component that is not ready', async () => {
    checks = [
      { name: 'file-source', ready: () => true },
      { name: 'kafka-sink', ready: () => false },
    ];
    const response = await get('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not ready',
      components: [
        { name: 'file-source', ready: true },
        { name: 'kafka-sink', ready: false },
      ],
    });
  });

  it('asks the checks again on every /readyz request', async () => {
    let ready = false;
    checks = [{ name: 'kafka-sink', ready: () => ready }];
    expect((await get('/readyz')).status).toBe(503);
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('answers an unknown path with 404', async () => {
    const response = await get('/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not found' });
  });

  it('answers a method other than GET or HEAD with 405', async () => {
    const response = await get('/metrics', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD like GET without a body', async () => {
    const response = await get('/healthz', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('stops listening when stopped', async () => {
    const url = server.url;
    await server.stop();
    expect(server.url).toBe('');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('can be stopped twice', async () => {
    await server.stop();
    await expect(server.stop()).resolves.toBeUndefined();
  });
});

describe('TelemetryServer before start', () => {
  it('has no URL', () => {
    const server = new TelemetryServer({
      address: '127.0.0.1:0',
      metrics: new Metrics({ defaultMetrics: false }),
      checks: () => [],
      logger: silentLogger(),
    });
    expect(server.url).toBe('');
  });

  it('can be stopped without having started', async () => {
    const server = new TelemetryServer({
      address: '127.0.0.1:0',
      metrics: new Metrics({ defaultMetrics: false }),
      checks: () => [],
      logger: silentLogger(),
    });
    await expect(server.stop()).resolves.toBeUndefined();
  });
});

describe('TelemetryServer on a busy port', () => {
  it('fails to start when the port is taken', async () => {
    const first = new TelemetryServer({
      address: '127.0.0.1:0',
      metrics: new Metrics({ defaultMetrics: false }),
      checks: () => [],
      logger: silentLogger(),
    });
    await first.start();
    try {
      const port = new URL(first.url).port;
      const second = new TelemetryServer({
        address: `127.0.0.1:${port}`,
        metrics: new Metrics({ defaultMetrics: false }),
        checks: () => [],
        logger: silentLogger(),
      });
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });
});

describe('splitAddress', () => {
  it('splits a host and port', () => {
    expect(splitAddress('127.0.0.1:9600')).toEqual({ host: '127.0.0.1', port: 9600 });
  });

  it('splits a host name and port', () => {
    expect(splitAddress('localhost:9600')).toEqual({ host: 'localhost', port: 9600 });
  });

  it('removes the brackets of an IPv6 address', () => {
    expect(splitAddress('[::1]:9600')).toEqual({ host: '::1', port: 9600 });
  });
});
