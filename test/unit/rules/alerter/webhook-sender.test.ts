import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../../rules/alerter/alert.ts';
import { verifySignature, webhookPayload } from '../../../../rules/alerter/payload.ts';
import { type WebhookDestination, WebhookSender } from '../../../../rules/alerter/webhook-sender.ts';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
const senders: WebhookSender[] = [];

afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function receiver(
  answer: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      answer(req, res, received.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

function sender(url: string, overrides: Partial<WebhookDestination> = {}): WebhookSender {
  const s = new WebhookSender({
    name: 'soc',
    url,
    secret: 'correct horse',
    timeoutMs: 2000,
    connectTimeoutMs: 1000,
    policy: { allowHttp: true, allowPrivate: true, allowCidrs: [] },
    ...overrides,
  });
  senders.push(s);
  return s;
}

const alert: AlertRecord = {
  id: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n',
  kind: 'detection',
  '@timestamp': '2026-05-01T10:00:00.000Z',
  rule: { id: 'ssh-brute', title: 'SSH brute force', level: 'high', tags: ['attack.t1110'] },
  first_event_at: '2026-05-01T10:00:00.000Z',
  last_event_at: '2026-05-01T10:00:00.000Z',
  event_ids: ['e1'],
  fields: { 'source.ip': '203.0.113.7' },
};

describe('WebhookSender against a real HTTP server', () => {
  it('posts the payload, signed, with the idempotency key', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(204).end());
    const result = await sender(url).send(webhookPayload(alert, 'soc'));
    expect(result).toMatchObject({ kind: 'delivered', status: 204 });
    const [request] = received as [Received];
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe(`${alert.id}:soc`);
    expect(JSON.parse(request.body)).toEqual(webhookPayload(alert, 'soc'));
    const timestamp = request.headers['x-vigil-timestamp'] as string;
    expect(
      verifySignature(
        'correct horse',
        timestamp,
        request.body,
        request.headers['x-vigil-signature'] as string,
      ),
    ).toBe(true);
  });

  it('sends the same body and idempotency key on every attempt', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(500).end());
    const s = sender(url);
    const payload = webhookPayload(alert, 'soc');
    for (let attempt = 1; attempt <= 3; attempt++)
      expect((await s.send(payload, attempt)).kind).toBe('retry');
    expect(new Set(received.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`${alert.id}:soc`]));
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(received.map((r) => r.headers['x-vigil-attempt'])).toEqual(['1', '2', '3']);
  });

  it('sends no signature without a secret', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(200).end('ok'));
    await sender(url, { secret: undefined }).send(webhookPayload(alert, 'soc'));
    expect(received[0]?.headers['x-vigil-signature']).toBeUndefined();
  });

  it('retries a 429 after the receiver’s Retry-After', async () => {
    const { url } = await receiver((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end());
    expect(await sender(url).send(webhookPayload(alert, 'soc'))).toMatchObject({
      kind: 'retry',
      status: 429,
      retryAfterMs: 7000,
    });
  });

  it('fails a 400 at once', async () => {
    const { url } = await receiver((_req, res) => res.writeHead(400).end());
    expect(await sender(url).send(webhookPayload(alert, 'soc'))).toMatchObject({ kind: 'fail', status: 400 });
  });

  it('does not follow a redirect, and fails it at once', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end());
    const { url } = await receiver((_req, res) => res.writeHead(302, { location: target.url }).end());
    expect(await sender(url).send(webhookPayload(alert, 'soc'))).toMatchObject({ kind: 'fail', status: 302 });
    expect(target.received).toHaveLength(0);
  });

  it('retries when the receiver does not answer in time', async () => {
    const { url } = await receiver(() => {});
    const result = await sender(url, { timeoutMs: 300 }).send(webhookPayload(alert, 'soc'));
    expect(result.kind).toBe('retry');
  });

  it('retries when nothing listens', async () => {
    const { url } = await receiver((_req, res) => res.end());
    await new Promise((r) => servers.pop()?.close(r));
    expect((await sender(url).send(webhookPayload(alert, 'soc'))).kind).toBe('retry');
  });

  it('refuses a loopback receiver unless allowed, and the receiver sees nothing', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(200).end());
    const result = await sender(url, {
      policy: { allowHttp: true, allowPrivate: false, allowCidrs: [] },
    }).send(webhookPayload(alert, 'soc'));
    expect(result).toMatchObject({ kind: 'fail' });
    expect(result.kind === 'fail' && result.reason).toMatch(/loopback/);
    expect(received).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback, and connects to nothing', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(200).end());
    const named = url.replace('127.0.0.1', 'localhost');
    const result = await sender(named, {
      policy: { allowHttp: true, allowPrivate: false, allowCidrs: [] },
    }).send(webhookPayload(alert, 'soc'));
    expect(result).toMatchObject({ kind: 'fail' });
    expect(received).toHaveLength(0);
  });

  it('connects to a name that resolves to an allowed range', async () => {
    const { url, received } = await receiver((_req, res) => res.writeHead(200).end());
    const named = url.replace('127.0.0.1', 'localhost');
    const result = await sender(named, {
      policy: { allowHttp: true, allowPrivate: false, allowCidrs: ['127.0.0.0/8', '::1/128'] },
    }).send(webhookPayload(alert, 'soc'));
    expect(result.kind).toBe('delivered');
    expect(received[0]?.headers.host).toMatch(/^localhost:/);
  });
});
