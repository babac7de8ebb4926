// What every Azure client of the bot shares (the ARM PIM alerts and RBAC clients, the Graph PIM
// alerts and directory role clients): one pipeline per service, request building, turning non-2xx
// answers into ArmError, and paging (`nextLink` on ARM, `@odata.nextLink` on Graph) that never
// leaves the service's origin.
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  type HttpClient,
  type HttpHeaders,
  type HttpMethods,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { ArmError, PimErrorCode } from './errors';
import { createArmPipeline, foreignHostError, type RetryOptions } from './pipeline';
import { parseArmEndpoint, type ArmEndpoint } from './validate';
import { serviceInfo, type ServiceInfo, type ServiceKind } from './service';

/** Time source for polling; tests pass one driven by sinon fake timers. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with an AbortError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortError(): Error {
  const e = new Error('The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

/** Real time. Looks up setTimeout at call time so that installed fake timers apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface ArmClientOptions {
  /** Which API; default 'arm'. */
  service?: ServiceKind;
  /** The service's origin. Default https://management.azure.com (Graph: https://graph.microsoft.com); http only on loopback (simulator). */
  endpoint?: string;
  /** Token source; undefined only with an http loopback endpoint. */
  credential?: TokenCredential;
  /** Default createDefaultHttpClient(); tests pass a fake that records requests. */
  httpClient?: HttpClient;
  retry?: RetryOptions;
  /** Most pages a list may follow before giving up with TooManyPages. Default 50. */
  maxPages?: number;
  /** Per-request timeout. Default 60 s. */
  requestTimeoutMs?: number;
  clock?: Clock;
  userAgentPrefix?: string;
}

export const DEFAULT_MAX_PAGES = 50;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface SendOptions {
  method: HttpMethods;
  url: string;
  body?: unknown;
  /** Extra request headers (e.g. Graph's ConsistencyLevel). */
  headers?: Record<string, string>;
  /** For error messages: the scope the request is about. */
  scope?: string;
  /** For error messages: what is asked for, e.g. "alert 'DuplicateRoleCreated'". */
  subject?: string;
  abortSignal?: AbortSignal;
}

export interface ArmResponse {
  status: number;
  headers: HttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  json: unknown;
}

interface ArmErrorBodyShape {
  error?: { code?: unknown; message?: unknown };
  code?: unknown;
  message?: unknown;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isIdentityError(e: unknown): e is Error {
  return e instanceof Error && ['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError'].includes(e.name);
}

/** The transport of one service (ARM or Graph; the name is ARM's, which came first). */
export class ArmTransport {
  readonly service: ServiceInfo;
  readonly endpoint: ArmEndpoint;
  readonly clock: Clock;
  readonly maxPages: number;
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly timeout: number;

  constructor(options: ArmClientOptions = {}) {
    this.service = serviceInfo(options.service);
    this.endpoint = parseArmEndpoint(options.endpoint ?? this.service.defaultOrigin, this.service.kind);
    this.clock = options.clock ?? systemClock;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
    this.pipeline = createArmPipeline({
      service: this.service.kind,
      endpoint: this.endpoint.origin,
      credential: options.credential,
      retry: options.retry,
      userAgentPrefix: options.userAgentPrefix,
      now: () => this.clock.now(),
    });
  }

  get origin(): string {
    return this.endpoint.origin;
  }

  /** `${origin}/${path}?query`, values encoded in the given order (ARM puts api-version last); `path` segments must already be validated/encoded. */
  url(path: string, query: Record<string, string> = {}): string {
    const qs = Object.entries(query)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    return `${this.origin}/${path.replace(/^\//, '')}${qs ? `?${qs}` : ''}`;
  }

  /** Resolves a Location/nextLink against the origin and refuses it unless it stays on the origin. */
  sameOriginUrl(raw: string, what: string): string {
    let resolved: URL;
    try {
      resolved = new URL(raw, `${this.origin}/`);
    } catch {
      throw foreignHostError(raw, this.origin, what, this.service.kind);
    }
    if (resolved.origin !== this.origin) throw foreignHostError(raw, this.origin, what, this.service.kind);
    // An absolute URL is kept exactly as sent (it may carry another api-version); only a relative one is rebuilt.
    return /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : resolved.toString();
  }

  /** Sends one request through the pipeline; any non-2xx answer becomes an ArmError. */
  async send(opts: SendOptions): Promise<ArmResponse> {
    const request = createPipelineRequest({
      url: opts.url,
      method: opts.method,
      headers: createHttpHeaders({ ...opts.headers, accept: 'application/json' }),
      timeout: this.timeout,
      abortSignal: opts.abortSignal,
    });
    if (opts.body !== undefined) {
      request.headers.set('content-type', 'application/json');
      request.body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await this.pipeline.sendRequest(this.httpClient, request);
    } catch (e) {
      throw this.wrapFailure(e, opts);
    }
    const text = response.bodyAsText ?? '';
    if (response.status >= 200 && response.status < 300) {
      return { status: response.status, headers: response.headers, text, json: parseJson(text) };
    }
    const parsed = (parseJson(text) ?? {}) as ArmErrorBodyShape;
    const err = typeof parsed === 'object' && parsed !== null ? (parsed.error ?? parsed) : {};
    const code = typeof err.code === 'string' && err.code ? err.code : `Http${response.status}`;
    const armMessage = typeof err.message === 'string' ? err.message : text.trim() ? text.trim().slice(0, 500) : undefined;
    throw new ArmError({
      service: this.service.kind,
      status: response.status,
      code,
      armMessage,
      requestId: response.headers.get(this.service.requestIdHeader),
      correlationId: response.headers.get(this.service.correlationIdHeader),
      method: opts.method,
      url: opts.url,
      scope: opts.scope,
      subject: opts.subject,
    });
  }

  private wrapFailure(e: unknown, opts: SendOptions): unknown {
    if (e instanceof ArmError) return e;
    if (e instanceof Error && e.name === 'AbortError') return e;
    if (isIdentityError(e)) {
      return new ArmError({
        service: this.service.kind,
        status: 0,
        code: PimErrorCode.AuthenticationFailed,
        armMessage: e.message,
        method: opts.method,
        url: opts.url,
        scope: opts.scope,
        message: `The bot could not get a token for ${this.origin}: check that its managed identity is enabled (and AZURE_CLIENT_ID names it if user-assigned), or sign in with az login when PIM_CREDENTIAL=default.`,
        cause: e,
      });
    }
    const code = isRestError(e) && e.code ? e.code : e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : 'Unknown';
    return new ArmError({
      service: this.service.kind,
      status: 0,
      code: PimErrorCode.RequestFailed,
      armMessage: e instanceof Error ? `${code}: ${e.message}` : String(e),
      method: opts.method,
      url: opts.url,
      scope: opts.scope,
      message: `The bot could not reach ${this.service.name} at ${this.origin} (${code}): check the network and any proxy, then try again.`,
      cause: e,
    });
  }

  /** The service's request id of an answer, for the audit log. */
  requestIdOf(res: { headers: { get(name: string): string | undefined } }): string | undefined {
    return res.headers.get(this.service.requestIdHeader);
  }

  /** GETs `firstUrl` and follows the service's next link (same origin only) up to maxPages, returning every `value` item. */
  async listAll<T>(firstUrl: string, ctx: { scope?: string; subject: string; abortSignal?: AbortSignal; headers?: Record<string, string> }): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = firstUrl;
    let pages = 0;
    while (url !== undefined) {
      if (pages >= this.maxPages) {
        throw new ArmError({
          service: this.service.kind,
          status: 0,
          code: PimErrorCode.TooManyPages,
          url,
          scope: ctx.scope,
          message: `Listing ${ctx.subject} at ${ctx.scope ?? this.origin} went past ${this.maxPages} pages, so the bot stopped: narrow the scope or raise the page limit.`,
        });
      }
      const res = await this.send({ method: 'GET', url, headers: ctx.headers, scope: ctx.scope, subject: ctx.subject, abortSignal: ctx.abortSignal });
      pages += 1;
      const body = res.json as Record<string, unknown> | undefined;
      if (typeof body !== 'object' || body === null || !Array.isArray(body.value)) {
        throw this.invalidResponse(url, ctx.scope, `the list of ${ctx.subject}`);
      }
      for (const item of body.value) if (typeof item === 'object' && item !== null) items.push(item as T);
      const next = body[this.service.nextLinkField];
      url = typeof next === 'string' && next !== '' ? this.sameOriginUrl(next, `The next page of ${ctx.subject}`) : undefined;
    }
    return items;
  }

  /** A 2xx whose body is not what the API documents. */
  invalidResponse(url: string, scope: string | undefined, what: string): ArmError {
    return new ArmError({
      service: this.service.kind,
      status: 0,
      code: PimErrorCode.InvalidResponse,
      url,
      scope,
      message: `${this.service.name} answered with something other than ${what}, so the bot ignored it: try again, and report it if it persists.`,
    });
  }
}
