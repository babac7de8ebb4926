// Plain-HTTP access to a running simulator for tests: no client library, so the tests see exactly
// what goes over the wire.
import http from 'node:http';

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON, or undefined when the body is empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface WireRequest {
  method?: string;
  /** Path (and query) on the simulator's origin, or an absolute URL (e.g. a nextLink or Location). */
  path: string;
  /** Appended as ?api-version=… unless undefined or the path already has a query. */
  apiVersion?: string;
  /** Serialised as JSON unless it is a string (sent as-is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export const API = '2022-08-01-preview';
export const RBAC_API = '2022-04-01';

/**
 * Sends one request with node:http, which (unlike fetch/URL) leaves the path exactly as given, so
 * traversal attempts reach the simulator unnormalised.
 */
export function wire(origin: string, req: WireRequest): Promise<WireResponse> {
  let target = req.path;
  if (req.apiVersion !== undefined) target += `${target.includes('?') ? '&' : '?'}api-version=${req.apiVersion}`;
  const absolute = /^https?:\/\//i.test(target);
  const base = new URL(absolute ? target : origin);
  const path = absolute ? target.slice(target.indexOf('/', target.indexOf('//') + 2)) : target;
  const payload = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const r = http.request({ host: base.hostname, port: base.port, method: req.method ?? 'GET', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: text === '' ? undefined : JSON.parse(text) });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}

/** `/{scope}/providers/Microsoft.Authorization/{rest}` */
export function authz(scope: string, rest: string): string {
  return `/${scope}/providers/Microsoft.Authorization/${rest}`;
}

/** Follows nextLink until the end and returns every item. */
export async function readAll(origin: string, first: WireRequest): Promise<{ items: any[]; pages: number }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const items: unknown[] = [];
  let res = await wire(origin, first);
  let pages = 1;
  for (;;) {
    if (res.status !== 200) throw new Error(`Page ${pages} answered ${res.status}: ${res.text}`);
    items.push(...(res.body.value as unknown[]));
    if (!res.body.nextLink) break;
    res = await wire(origin, { path: res.body.nextLink as string });
    pages++;
  }
  return { items, pages };
}
