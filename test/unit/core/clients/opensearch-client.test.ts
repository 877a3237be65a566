/**
 * The OpenSearch client's TLS and authentication settings, checked against a
 * real HTTPS server (node:https on port 0) that requires a client certificate
 * signed by the test CA and answers like OpenSearch's bulk endpoint.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenSearch } from '../../../../core/clients/opensearch.ts';
import { opensearchSchema } from '../../../../core/config/schema.ts';
import { makeCertificates, type TestCertificates } from '../../../helpers/tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-os-tls-'));
let certs: TestCertificates;
let server: Server;
let url: string;
const seen: Array<{ authorization?: string; clientCertificate?: string }> = [];

beforeAll(async () => {
  certs = makeCertificates(dir);
  server = createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const peer = (request.socket as import('node:tls').TLSSocket).getPeerCertificate();
      seen.push({
        authorization: request.headers.authorization,
        clientCertificate: String(peer.subject?.CN),
      });
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ took: 1, errors: false, items: [{ create: { status: 201 } }] }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://localhost:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'user'), 'vigil-writer\n');
  writeFileSync(join(dir, 'password'), 's3cret\n');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const bulk = { body: '{"create":{"_index":"vigil-x-2026.11.24","_id":"a"}}\n{"message":"m"}\n' };

describe('createOpenSearch', () => {
  it('trusts ca_file, presents cert_file/key_file and sends credentials read from files', async () => {
    const client = createOpenSearch(
      opensearchSchema.parse({
        url,
        ca_file: certs.ca,
        cert_file: certs.clientCert,
        key_file: certs.clientKey,
        username_file: join(dir, 'user'),
        password_file: join(dir, 'password'),
      }),
    );
    const response = await client.bulk(bulk as never);
    await client.close();
    expect(response.statusCode).toBe(200);
    const last = seen.at(-1);
    expect(last?.clientCertificate).toBe('vigil-test-client');
    expect(last?.authorization).toBe(`Basic ${Buffer.from('vigil-writer:s3cret').toString('base64')}`);
  });

  it('fails the handshake without the client certificate the server requires', async () => {
    const client = createOpenSearch(opensearchSchema.parse({ url, ca_file: certs.ca }));
    await expect(client.bulk(bulk as never)).rejects.toThrow();
    await client.close();
  });

  it('does not trust the server without ca_file', async () => {
    const client = createOpenSearch(
      opensearchSchema.parse({ url, cert_file: certs.clientCert, key_file: certs.clientKey }),
    );
    await expect(client.bulk(bulk as never)).rejects.toThrow(/certificate/i);
    await client.close();
  });

  it('refuses cert_file without key_file with a message naming both keys', () => {
    expect(() => createOpenSearch(opensearchSchema.parse({ url, cert_file: certs.clientCert }))).toThrow(
      'opensearch.cert_file and opensearch.key_file go together',
    );
  });

  it('names the key and the file when ca_file cannot be read', () => {
    expect(() =>
      createOpenSearch(opensearchSchema.parse({ url, ca_file: join(dir, 'missing.pem') })),
    ).toThrow(/opensearch\.ca_file: cannot read .*missing\.pem/);
  });
});
