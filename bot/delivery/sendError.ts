// The one error shape a `send` function throws, whatever client it wraps: delivery decides retry,
// give-up and "the bot was removed" from these fields alone.

export class SendError extends Error {
  override readonly name = 'SendError';
  /** HTTP status of the answer; undefined when no answer came (network failure). */
  readonly status: number | undefined;
  /** What the service asked us to wait (Retry-After), in ms, when it said. */
  readonly retryAfterMs: number | undefined;
  /** Service error code from the body, e.g. BotNotInConversationRoster. */
  readonly code: string | undefined;
  /** True when the request may not have reached the service (reset, refused, timed out). */
  readonly network: boolean;

  constructor(message: string, fields: { status?: number; retryAfterMs?: number; code?: string; network?: boolean; cause?: unknown } = {}) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.status = fields.status;
    this.retryAfterMs = fields.retryAfterMs;
    this.code = fields.code;
    this.network = fields.network ?? false;
  }
}

/** Error codes of a request that failed before any answer: worth another attempt. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
]);

/**
 * Retry-After as milliseconds: delta-seconds (decimals tolerated) or an HTTP date. Returns
 * undefined for a missing or unreadable value, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (!Number.isFinite(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** `retry-after-ms` / `x-ms-retry-after-ms` (Azure style) win over `retry-after` when present. */
export function retryAfterFromHeaders(get: (name: string) => string | undefined | null, nowMs: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = get(name)?.trim();
    if (v && /^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v));
  }
  return parseRetryAfter(get('retry-after'), nowMs);
}

function headerGetter(headers: unknown): (name: string) => string | undefined {
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    const h = headers as { get(name: string): string | undefined | null };
    return (name) => h.get(name) ?? undefined;
  }
  if (headers && typeof headers === 'object') {
    const record = headers as Record<string, unknown>;
    return (name) => {
      const key = Object.keys(record).find((k) => k.toLowerCase() === name);
      const v = key !== undefined ? record[key] : undefined;
      return typeof v === 'string' ? v : undefined;
    };
  }
  return () => undefined;
}

/**
 * Maps what an HTTP client threw to a SendError. Reads the shape of @azure/core-rest-pipeline's
 * RestError (which botframework-connector throws): `statusCode`, `code`, `details` (parsed body)
 * and `response.headers.get()`; a plain `status` number is accepted too.
 */
export function toSendError(err: unknown, nowMs: number): SendError {
  if (err instanceof SendError) return err;
  const e = (err ?? {}) as {
    statusCode?: unknown;
    status?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
    response?: { status?: unknown; headers?: unknown; bodyAsText?: unknown };
  };
  const status =
    typeof e.statusCode === 'number'
      ? e.statusCode
      : typeof e.status === 'number'
        ? e.status
        : typeof e.response?.status === 'number'
          ? e.response.status
          : undefined;
  let code: string | undefined;
  const detailsCode = (e.details as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (typeof detailsCode === 'string') code = detailsCode;
  else if (typeof e.response?.bodyAsText === 'string') {
    try {
      const parsed = JSON.parse(e.response.bodyAsText) as { error?: { code?: unknown } };
      if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    } catch {
      // A non-JSON error body carries no code.
    }
  }
  const systemCode = typeof e.code === 'string' ? e.code : undefined;
  if (code === undefined && status !== undefined && systemCode !== undefined) code = systemCode;
  const network = status === undefined && systemCode !== undefined && NETWORK_ERROR_CODES.has(systemCode);
  const retryAfterMs = status !== undefined ? retryAfterFromHeaders(headerGetter(e.response?.headers), nowMs) : undefined;
  const detail = typeof e.message === 'string' && e.message ? e.message : String(err);
  const message =
    status !== undefined
      ? `The Bot Connector answered ${status}${code ? ` (${code})` : ''}: ${detail}`
      : network
        ? `The Bot Connector could not be reached (${systemCode}): ${detail}`
        : `Sending the activity failed: ${detail}`;
  return new SendError(message, {
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(code !== undefined ? { code } : systemCode !== undefined ? { code: systemCode } : {}),
    network,
    cause: err,
  });
}

