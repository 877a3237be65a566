/**
 * The telemetry endpoint: /metrics (Prometheus), /healthz (the process is
 * alive and its event loop turns) and /readyz (every component is ready to
 * take work). Kubernetes probes and Prometheus scrape it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  ready(): boolean;
}

export interface TelemetryServerOptions {
  address: string;
  metrics: Metrics;
  checks: () => readonly ReadinessCheck[];
  logger: Logger;
}

export class TelemetryServer {
  readonly #options: TelemetryServerOptions;
  #server: Server | undefined;

  constructor(options: TelemetryServerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { metrics, checks } = this.#options;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/readyz') {
        const components = checks().map((c) => ({ name: c.name, ready: c.ready() }));
        const ready = components.every((c) => c.ready);
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ready ? 'ready' : 'not ready', components }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }
    });
    const { host, port } = splitAddress(this.#options.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#options.logger.info({ address: this.url }, 'Telemetry endpoint is listening.');
  }

  /** Base URL of the running server, e.g. http://127.0.0.1:9600. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) return '';
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function splitAddress(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  const host = address.slice(0, index).replace(/^\[|\]$/g, '');
  return { host, port: Number(address.slice(index + 1)) };
}
