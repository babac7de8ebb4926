// The HTTP pipeline every ARM and every Microsoft Graph request goes through (one pipeline per
// service, each bound to its own origin). Built from an empty pipeline so that each policy is
// chosen on purpose:
//   client request id → user agent → host guard → retry → bearer token → host guard → wire
// The host guard sits on both sides of the token policy: the outer one stops a foreign URL before a
// token is even fetched, the inner one is the last thing before the socket, so nothing a retry
// strategy or a later policy does can send the token anywhere but the configured origin. The token
// is asked for `<origin>/.default`, so the ARM token only ever goes to ARM and the Graph token only
// to Graph.
import {
  bearerTokenAuthenticationPolicy,
  createEmptyPipeline,
  proxyPolicy,
  retryPolicy,
  setClientRequestIdPolicy,
  userAgentPolicy,
  type HttpHeaders,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  type RestError,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { ArmError, PimErrorCode, PimValidationError } from './errors';
import { parseArmEndpoint, type ArmEndpoint } from './validate';
import { serviceInfo, type ServiceKind } from './service';

export interface RetryOptions {
  /** Retries after the first attempt for 429, 408 and 5xx (not 501/505) and connection errors. Default 4. */
  maxRetries?: number;
  /** Base of the exponential backoff when the service gives no Retry-After. Default 1 s. */
  retryDelayMs?: number;
  /** Ceiling of one backoff delay. Default 30 s. */
  maxRetryDelayMs?: number;
  /** A Retry-After above this is capped to it rather than obeyed. Default 60 s. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxRetries: 4,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface ArmPipelineOptions {
  /** The service's origin, e.g. https://management.azure.com or https://graph.microsoft.com (sovereign clouds: theirs). */
  endpoint: string;
  /** Which API the origin serves; default 'arm'. Names the policies and the messages. */
  service?: ServiceKind;
  /** Required for https; must be undefined for an http loopback endpoint (the simulator), which gets no Authorization header. */
  credential?: TokenCredential;
  retry?: RetryOptions;
  /** Prepended to the User-Agent. */
  userAgentPrefix?: string;
  /** Current time in ms, for HTTP-date Retry-After values. Default Date.now. */
  now?: () => number;
}

export const DEFAULT_USER_AGENT_PREFIX = 'pim-alerts-for-teams/0.1.0';

/** Token scope for an endpoint: its origin + `/.default` (management.chinacloudapi.cn → https://management.chinacloudapi.cn/.default, graph.microsoft.com → https://graph.microsoft.com/.default). */
export function tokenScopeFor(endpoint: string, service: ServiceKind = 'arm'): string {
  return `${parseArmEndpoint(endpoint, service).origin}/.default`;
}

/** Origin of a URL, or undefined if it is not an absolute URL. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export function foreignHostError(url: string, origin: string, what = 'A request', service: ServiceKind = 'arm'): ArmError {
  const shown = originOf(url) ?? 'an unparsable URL';
  const info = serviceInfo(service);
  return new ArmError({
    service,
    status: 0,
    code: PimErrorCode.ForeignHost,
    url,
    message: `${what} pointed at ${shown} instead of the configured ${info.short} endpoint ${origin}, so the bot did not send it: check ${info.endpointVariable} or report the response to Microsoft.`,
  });
}

/** Refuses any request whose origin is not exactly the configured one; also allows plain http for the loopback simulator only. */
export function hostGuardPolicy(endpoint: ArmEndpoint, name = 'armHostGuardPolicy', service: ServiceKind = 'arm'): PipelinePolicy {
  return {
    name,
    sendRequest(request, next) {
      if (originOf(request.url) !== endpoint.origin) return Promise.reject(foreignHostError(request.url, endpoint.origin, 'A request', service));
      if (endpoint.insecureLoopback) request.allowInsecureConnection = true;
      return next(request);
    },
  };
}

const RETRY_AFTER_MS_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * Milliseconds the response asks us to wait, from `retry-after-ms`, `x-ms-retry-after-ms` or
 * `Retry-After` (seconds or an HTTP date); undefined when absent or unreadable. Never negative.
 */
export function parseRetryAfterMs(headers: HttpHeaders, now: number): number | undefined {
  for (const h of RETRY_AFTER_MS_HEADERS) {
    const v = headers.get(h);
    if (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v))) return Math.max(0, Number(v));
  }
  const ra = headers.get('retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function isRetriableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

const SYSTEM_ERROR_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

function isTransientNetworkError(err: RestError | undefined): boolean {
  return !!err && !err.response && typeof err.code === 'string' && SYSTEM_ERROR_CODES.has(err.code);
}

/**
 * One strategy for everything retriable. The library's throttlingRetryStrategy obeys any
 * Retry-After however large and ignores a 429 without one (the exponential strategy then skips
 * 429 too), so ARM throttling could either stall a handler for an hour or not be retried at all.
 * Here: Retry-After is honoured but capped; without it, exponential backoff with jitter. Other 4xx
 * are never retried: the same request would fail the same way.
 */
export function armRetryStrategy(options: RetryOptions = {}, now: () => number = Date.now): RetryStrategy {
  const o = { ...DEFAULT_RETRY, ...options };
  return {
    name: 'armRetryStrategy',
    retry({ retryCount, response, responseError }) {
      const retriable = response ? isRetriableStatus(response.status) : isTransientNetworkError(responseError);
      if (!retriable) return { skipStrategy: true };
      const asked = response ? parseRetryAfterMs(response.headers, now()) : undefined;
      if (asked !== undefined) return { retryAfterInMs: Math.min(asked, o.maxRetryAfterMs) };
      return { retryAfterInMs: backoffMs(retryCount, o.retryDelayMs, o.maxRetryDelayMs) };
    },
  };
}

/** Exponential backoff with "equal jitter": half fixed, half random, so parallel clients spread out. */
export function backoffMs(retryCount: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retryCount);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function createArmPipeline(options: ArmPipelineOptions): Pipeline {
  const service = options.service ?? 'arm';
  const endpoint = parseArmEndpoint(options.endpoint, service);
  if (options.credential && endpoint.insecureLoopback) {
    // The bearer policy refuses http anyway; say why in our words, at construction time.
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `A token is never sent over plain http, so the loopback endpoint ${endpoint.origin} must be used without a credential: set PIM_CREDENTIAL=none for the simulator.`,
    );
  }
  if (!options.credential && !endpoint.insecureLoopback) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `Requests to ${endpoint.origin} need a credential: use PIM_CREDENTIAL=managedIdentity in Azure or default on a developer machine (none is only for the loopback simulator).`,
    );
  }
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const pipeline = createEmptyPipeline();
  pipeline.addPolicy(setClientRequestIdPolicy());
  pipeline.addPolicy(userAgentPolicy({ userAgentPrefix: options.userAgentPrefix ?? DEFAULT_USER_AGENT_PREFIX }));
  if (!endpoint.insecureLoopback) pipeline.addPolicy(proxyPolicy());
  pipeline.addPolicy(hostGuardPolicy(endpoint, `${service}HostGuardOuter`, service));
  pipeline.addPolicy(retryPolicy([armRetryStrategy(retry, options.now)], { maxRetries: retry.maxRetries }));
  if (options.credential) {
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: `${endpoint.origin}/.default` }));
  }
  pipeline.addPolicy(hostGuardPolicy(endpoint, `${service}HostGuardInner`, service));
  return pipeline;
}

export type { PipelineResponse };
