// Test doubles for the ARM client: an HttpClient that records every request that reached the wire
// and answers from a script, and a TokenCredential that hands out a fixed token; and the check that
// a call failed with one of the clients' coded errors.
import assert from 'node:assert/strict';
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { ArmError, PimValidationError } from '../../bot/azure/errors';

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is; undefined as an empty body. */
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Request body as sent (string), if any. */
  body?: string;
  /** Date.now() when the request reached the client (fake time under sinon). */
  at: number;
}

export type Responder = (req: RecordedRequest) => FakeResponse | Error;

export class FakeHttpClient implements HttpClient {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Array<FakeResponse | Error> = [];

  constructor(private readonly responder?: Responder) {}

  /** Queues answers, consumed in order; used when no responder was given. */
  reply(...responses: Array<FakeResponse | Error>): this {
    this.queue.push(...responses);
    return this;
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const headers: Record<string, string> = {};
    for (const [k, v] of request.headers) headers[k.toLowerCase()] = v;
    const rec: RecordedRequest = {
      method: request.method,
      url: request.url,
      headers,
      ...(typeof request.body === 'string' ? { body: request.body } : {}),
      at: Date.now(),
    };
    this.requests.push(rec);
    const answer = this.responder ? this.responder(rec) : this.queue.shift();
    if (answer === undefined) throw new Error(`FakeHttpClient: unexpected request ${request.method} ${request.url}`);
    if (answer instanceof Error) throw answer;
    const bodyAsText = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return {
      request,
      status: answer.status,
      headers: createHttpHeaders({ ...(answer.body !== undefined && typeof answer.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...answer.headers }),
      bodyAsText,
    };
  }
}

export class FakeCredential implements TokenCredential {
  readonly scopesAsked: string[][] = [];
  constructor(readonly token = 'fake-arm-token') {}
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopesAsked.push(Array.isArray(scopes) ? scopes : [scopes]);
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

export const SUB = 'afa2a084-766f-4003-8ae1-c4aeb893a99f';
export const SCOPE = `subscriptions/${SUB}`;
export const ARM = 'https://management.azure.com';

export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'x-ms-request-id': `req-${status}-${code}`, ...headers }, body: { error: { code, message } } };
}

/** Settles a promise while advancing sinon fake time in steps, so timers inside it fire. */
export async function settle<T>(clock: { tickAsync(ms: number): Promise<number> }, p: Promise<T>, stepMs = 1_000, maxMs = 3_600_000): Promise<T> {
  let done = false;
  const tracked = p.then(
    (v) => {
      done = true;
      return v;
    },
    (e: unknown) => {
      done = true;
      throw e;
    },
  );
  tracked.catch(() => undefined);
  for (let t = 0; t < maxMs && !done; t += stepMs) await clock.tickAsync(stepMs);
  return tracked;
}

export const GRAPH = 'https://graph.microsoft.com';
/** The directory of the Graph examples (test/fixtures/graph). */
export const TENANT = '19356be4-7e93-4ed6-a7c6-0ae28454d125';
export const DIRECTORY_ALERT = `DirectoryRole_${TENANT}_TooManyGlobalAdminsAssignedToTenantAlert`;

/** A Graph error answer: `{error:{code,message,innerError}}` with Graph's request-id header. */
export function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse {
  const requestId = `graph-${status}-${code}`;
  return { status, headers: { 'request-id': requestId, 'client-request-id': requestId, ...headers }, body: { error: { code, message, innerError: { 'request-id': requestId, date: '2025-03-01T10:00:00' } } } };
}

/** A credential that hands out a different token per audience, so a test can tell which token went where. */
export class AudienceCredential implements TokenCredential {
  readonly scopesAsked: string[][] = [];
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const list = Array.isArray(scopes) ? scopes : [scopes];
    this.scopesAsked.push(list);
    return { token: `token-for ${list.join(' ')}`, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** For assert.throws/rejects: the error is the clients' PimValidationError or ArmError with this code (and message). */
export function isCode(code: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof PimValidationError || e instanceof ArmError, String(e));
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  };
}
