// Length caps at the store boundary. Names, verbs, ids, tenant ids and error messages come from
// people, from Teams activities or from ARM; none of them may decide how much the store keeps.
// Every backend passes what it writes through these helpers, so a 480 KB verb or display name
// costs the store a few hundred bytes whichever backend holds it.
import type { AuditEntry, AuditOutcome, PendingOperation, StoredConversationReference, Subscription } from './types';

/** The most characters a stored field keeps; longer values are cut and end with an ellipsis. */
export const STORE_LIMITS = {
  /** Entra object ids, tenant ids, ARM request ids: GUIDs, with room for odd spellings. */
  id: 128,
  /** A person's display name. */
  name: 256,
  /** An action or verb (the longest real one is 16 characters). */
  action: 64,
  /** ARM scopes and alert / incident ids: resource group names alone may be 90 characters. */
  resource: 512,
  /** Teams conversation ids (a channel thread's id carries the message id); also a lookup key. */
  conversation: 1024,
  /** One sentence of detail: a refusal reason, an ARM error message. */
  detail: 1000,
  /** ISO times. */
  time: 40,
  /** Any string inside a stored JSON document (a conversation reference). */
  jsonString: 1024,
} as const;

/**
 * At least this many refused audit entries are kept; a backend may drop older refused entries
 * beyond it (SQLite does, in the same transaction as the insert). Refusals are written on behalf
 * of anyone who can reach the bot, so they must not be able to fill the store; attempts and
 * their outcomes are never dropped.
 */
export const MAX_REFUSED_AUDIT_ENTRIES = 20_000;

/** Cuts a string to `max` characters (the last one an ellipsis), never inside a surrogate pair. */
export function capText(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}…`;
}

/** One sentence of detail: a refusal reason, an ARM error, why a subscription is paused. */
export function capDetail(value: string): string {
  return capText(value, STORE_LIMITS.detail);
}

function capOpt(value: string | undefined, max: number): string | undefined {
  return typeof value === 'string' ? capText(value, max) : value;
}

export function capAuditEntry(e: AuditEntry): AuditEntry {
  return {
    ...e,
    at: capText(e.at, STORE_LIMITS.time),
    actorObjectId: capOpt(e.actorObjectId, STORE_LIMITS.id),
    actorName: capOpt(e.actorName, STORE_LIMITS.name),
    tenantId: capOpt(e.tenantId, STORE_LIMITS.id),
    action: capText(e.action, STORE_LIMITS.action),
    scope: capOpt(e.scope, STORE_LIMITS.resource),
    alertId: capOpt(e.alertId, STORE_LIMITS.resource),
    incidentId: capOpt(e.incidentId, STORE_LIMITS.resource),
    detail: capOpt(e.detail, STORE_LIMITS.detail),
    armRequestId: capOpt(e.armRequestId, STORE_LIMITS.id),
    conversationId: capOpt(e.conversationId, STORE_LIMITS.conversation),
    completedAt: capOpt(e.completedAt, STORE_LIMITS.time),
  };
}

export function capAuditOutcome(o: AuditOutcome): AuditOutcome {
  return { ...o, at: capText(o.at, STORE_LIMITS.time), detail: capOpt(o.detail, STORE_LIMITS.detail), armRequestId: capOpt(o.armRequestId, STORE_LIMITS.id) };
}

/** Who claimed an action or asked for a refresh or a digest. */
export function capActor<T extends { objectId?: string; name?: string }>(by: T): T {
  return { ...by, objectId: capOpt(by.objectId, STORE_LIMITS.id), name: capOpt(by.name, STORE_LIMITS.name) };
}

/** Every string inside a JSON document, at any depth. */
export function capJsonStrings<T>(value: T): T {
  if (typeof value === 'string') return capText(value, STORE_LIMITS.jsonString) as T;
  if (Array.isArray(value)) return value.map((v) => capJsonStrings(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = capJsonStrings(v);
    return out as T;
  }
  return value;
}

/** A conversation id as stored and as looked up: the same cut both ways, so lookups still match. */
export function capConversationId(id: string): string {
  return capText(id, STORE_LIMITS.conversation);
}

/** Its conversation id is cut exactly as capConversationId cuts it (the same limit). */
export function capConversationReference(ref: StoredConversationReference): StoredConversationReference {
  return capJsonStrings(ref);
}

export function capPendingOperation<T extends Pick<PendingOperation, 'requester' | 'conversation'>>(op: T): T {
  return { ...op, requester: capActor(op.requester), conversation: capConversationReference(op.conversation) };
}

export function capSubscription(sub: Subscription): Subscription {
  return {
    ...sub,
    conversationId: capConversationId(sub.conversationId),
    createdBy: capActor(sub.createdBy ?? {}),
    label: capText(sub.label, STORE_LIMITS.detail),
    disabledReason: capOpt(sub.disabledReason, STORE_LIMITS.detail),
  };
}
