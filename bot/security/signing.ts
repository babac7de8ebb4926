// Signed, expiring data for card buttons. A button's `data` travels through the Teams client and
// comes back in an invoke; anyone who can post to the bot can craft one. Signing it means the bot
// only acts on what it put on a card itself, on the scope and alert it named, and not after the card
// has gone stale. The nonce lets the store refuse a replay of a completed action.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BotStore } from '../store/types';
import { systemClock, type Clock } from './clock';

export const SIGNED_ACTION_VERSION = 1;
export const DEFAULT_ACTION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Name of the generated key in the store's secrets. */
export const ACTION_SECRET_NAME = 'actionSigningKey';
export const ACTION_SECRET_ENV = 'PIM_ACTION_SECRET';
export const MIN_SECRET_LENGTH = 32;
/** Far above any real card payload; bounds the work an attacker can make verify do. */
export const MAX_PAYLOAD_CHARS = 16 * 1024;
const MAX_DEPTH = 32;

const NONCE_BYTES = 16;
const SIG_BYTES = 32;
const SIGNED_KEYS = new Set(['v', 'p', 'exp', 'n', 'sig']);

export interface SignedAction<P extends object = Record<string, unknown>> {
  v: 1;
  p: P;
  /** Expiry, milliseconds since the epoch. */
  exp: number;
  /** Random nonce, base64url of 16 bytes. */
  n: string;
  /** base64url HMAC-SHA256 over the canonical JSON of { v, p, exp, n }. */
  sig: string;
}

export type VerifyFailureCode = 'Unsigned' | 'Malformed' | 'BadSignature' | 'Expired';

export type VerifyResult =
  | {
      ok: true;
      payload: Record<string, unknown>;
      nonce: string;
      expiresAt: number;
      /** Card inputs Teams merged next to the signed data: user-supplied, never part of the payload. */
      inputs: Record<string, unknown>;
    }
  | { ok: false; code: VerifyFailureCode; message: string };

export interface ActionSigner {
  sign<P extends object>(payload: P): SignedAction<P>;
  verify(data: unknown): VerifyResult;
}

export interface ActionSignerOptions {
  secret: Buffer | string;
  ttlMs?: number;
  clock?: Clock;
}

// Shown as an error card's message, where Markdown shows literally: commands are in double quotes.
export const TAMPERED_MESSAGE = 'This button\'s data was changed or is not from this bot; open a fresh card with "alerts".';
export const EXPIRED_MESSAGE = 'This card expired; type "alerts" for a fresh one.';
export const UNSIGNED_MESSAGE = 'This button is from a card I cannot verify; open a fresh card with "alerts".';

class CanonicalError extends Error {}

/**
 * JSON with object keys sorted (recursively) and no whitespace, so that the same data gives the
 * same bytes whatever key order a client sends back. Follows JSON.stringify for what JSON cannot
 * hold (undefined members dropped, non-finite numbers as null) because the signed data only ever
 * reaches us after a JSON round trip.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, 0);
}

function canonical(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new CanonicalError('nested too deeply');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : canonical(v, depth + 1))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        parts.push(`${JSON.stringify(key)}:${canonical(v, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new CanonicalError(`cannot sign a ${typeof value}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strict base64url of exactly `bytes` bytes: lenient decoding would let one MAC have many spellings. */
function decodeBase64Url(value: unknown, bytes: number): Buffer | undefined {
  if (typeof value !== 'string' || value.length !== Math.ceil((bytes * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const buf = Buffer.from(value, 'base64url');
  if (buf.length !== bytes || buf.toString('base64url') !== value) return undefined;
  return buf;
}

export function createActionSigner(opts: ActionSignerOptions): ActionSigner {
  const key = typeof opts.secret === 'string' ? Buffer.from(opts.secret, 'utf8') : Buffer.from(opts.secret);
  if (key.length < MIN_SECRET_LENGTH) {
    throw new Error(`The action signing secret is ${key.length} bytes long; use at least ${MIN_SECRET_LENGTH}.`);
  }
  const ttlMs = opts.ttlMs ?? DEFAULT_ACTION_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`The signed action lifetime must be a positive number of milliseconds, not ${ttlMs}.`);
  const clock = opts.clock ?? systemClock;

  const mac = (v: number, p: unknown, exp: number, n: string): Buffer =>
    createHmac('sha256', key).update(canonicalJson({ v, p, exp, n }), 'utf8').digest();

  const fail = (code: VerifyFailureCode): VerifyResult => ({
    ok: false,
    code,
    message: code === 'Expired' ? EXPIRED_MESSAGE : code === 'Unsigned' ? UNSIGNED_MESSAGE : TAMPERED_MESSAGE,
  });

  return {
    sign<P extends object>(payload: P): SignedAction<P> {
      if (!isPlainObject(payload)) throw new TypeError('A signed action payload must be a plain object.');
      // What is signed is exactly what comes back after Teams' JSON round trip.
      const p = JSON.parse(JSON.stringify(payload)) as P;
      if (canonicalJson(p).length > MAX_PAYLOAD_CHARS) {
        throw new RangeError(`A signed action payload must stay under ${MAX_PAYLOAD_CHARS} characters; put less on the button.`);
      }
      const exp = clock.now() + ttlMs;
      const n = randomBytes(NONCE_BYTES).toString('base64url');
      const sig = mac(SIGNED_ACTION_VERSION, p, exp, n).toString('base64url');
      return { v: SIGNED_ACTION_VERSION, p, exp, n, sig };
    },

    verify(data: unknown): VerifyResult {
      if (!isPlainObject(data)) return fail('Malformed');
      if (!('sig' in data) && !('v' in data)) return fail('Unsigned');
      const { v, p, exp, n, sig } = data;
      if (v !== SIGNED_ACTION_VERSION) return fail('Malformed');
      if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp <= 0) return fail('Malformed');
      if (typeof n !== 'string' || !decodeBase64Url(n, NONCE_BYTES)) return fail('Malformed');
      const given = decodeBase64Url(sig, SIG_BYTES);
      if (!given) return fail('Malformed');
      if (!isPlainObject(p)) return fail('Malformed');
      let expected: Buffer;
      try {
        if (canonicalJson(p).length > MAX_PAYLOAD_CHARS) return fail('Malformed');
        expected = mac(v, p, exp, n);
      } catch (err) {
        if (err instanceof CanonicalError) return fail('Malformed');
        throw err;
      }
      if (!timingSafeEqual(expected, given)) return fail('BadSignature');
      // Checked after the MAC so "expired" is only ever said about a card this bot really made.
      if (clock.now() >= exp) return fail('Expired');
      const inputs: Record<string, unknown> = {};
      for (const k of Object.keys(data)) if (!SIGNED_KEYS.has(k)) inputs[k] = data[k];
      return { ok: true, payload: p, nonce: n, expiresAt: exp, inputs };
    },
  };
}

/**
 * The signing secret: PIM_ACTION_SECRET when configured (so several instances without a shared
 * store agree), else one generated once and kept in the store (insert-if-absent, so two processes
 * starting together still end up with the same key).
 */
export async function loadOrCreateSecret(store: Pick<BotStore, 'ensureSecret'>, configured?: string): Promise<string> {
  const value = configured?.trim();
  if (value) {
    if (value.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `${ACTION_SECRET_ENV} is ${value.length} characters long; set it to at least ${MIN_SECRET_LENGTH} random characters (for example from \`openssl rand -base64 32\`) or leave it unset to let the bot create one.`,
      );
    }
    return value;
  }
  return store.ensureSecret(ACTION_SECRET_NAME, () => randomBytes(32).toString('base64'));
}
