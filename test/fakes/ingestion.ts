// A loopback fake of Application Insights' ingestion endpoint (what a connection string's
// IngestionEndpoint names): HTTPS with the test certificate in test/fixtures/tls, accepting the
// Breeze `v2.1/track` POSTs that Azure Monitor's exporter sends, and keeping every envelope and
// every raw request (headers and body as received) for a test to read.
import https from 'node:https';
import path from 'node:path';
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';

export const TEST_CERTIFICATE = path.join(__dirname, '..', 'fixtures', 'tls', 'loopback.crt');
const TEST_KEY = path.join(__dirname, '..', 'fixtures', 'tls', 'loopback.key');

export interface Envelope {
  name: string;
  time: string;
  iKey?: string;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface FakeIngestion {
  /** https://127.0.0.1:<port>/ */
  readonly url: string;
  /** A connection string that sends everything here. */
  readonly connectionString: string;
  readonly envelopes: readonly Envelope[];
  /** Every request as it arrived: path, headers and the (decompressed) body. */
  readonly raw: ReadonlyArray<{ path: string; headers: Record<string, unknown>; body: string }>;
  close(): Promise<void>;
}

export async function startFakeIngestion(): Promise<FakeIngestion> {
  const envelopes: Envelope[] = [];
  const raw: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];
  const server = https.createServer({ cert: fs.readFileSync(TEST_CERTIFICATE), key: fs.readFileSync(TEST_KEY) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) body = zlib.gunzipSync(body);
      const text = body.toString('utf8');
      raw.push({ path: req.url ?? '', headers: { ...req.headers }, body: text });
      let items: Envelope[] = [];
      try {
        const parsed: unknown = JSON.parse(text);
        items = (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[];
      } catch {
        // newline-delimited JSON
        items = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Envelope);
      }
      if (/\/track$/.test(new URL(req.url ?? '/', 'https://fake').pathname)) envelopes.push(...items);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}/`;
  return {
    url,
    connectionString: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=${url}`,
    envelopes,
    raw,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
