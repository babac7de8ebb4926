// The bot's durable state, behind one small interface. The embedded default is SQLite
// (better-sqlite3, in DATA_DIR); a distributed backend (Table Storage, Cosmos, Postgres) implements
// the same methods. Every method is synchronous-looking async so that a network backend fits.
// Claims (claimAction, claimDigestRun) are the concurrency primitives: they must be atomic in any
// backend (a unique key insert), because two bot instances or two clicks race on them.
// The pending-operation methods are the steps of a refresh's state machine. Each one is a single
// conditional write on the operation's one record, so any backend can implement it: an
// insert-once, or an update applied only if the record still is as the caller read it (SQLite: one
// UPDATE whose WHERE clause states the condition; Azure Table Storage: read the entity, check the
// condition, replace it with If-Match on the ETag read, and on 412 read again and re-check). The
// condition always includes the lease owner ("holds the lease" below means: is its owner; a lapsed
// lease stays its owner's until another process takes it), so a process whose lease was taken
// over can change nothing.
import type { OperationHandle, OperationResult } from '../azure/api';
import type { ConversationRef } from '../core/conversation';

/**
 * Why a request was refused, one code per check (stored in its own field, so refusals can be
 * counted and filtered without parsing sentences).
 */
export const REFUSAL_REASONS = [
  /** The activity's tenant is not in PIM_ALLOWED_TENANTS. */
  'tenantNotAllowed',
  /** channelData.tenant.id and conversation.tenantId disagree: a forged or confused activity. */
  'tenantMismatch',
  /** Button data without a signature. */
  'unsigned',
  /** A signature that does not match the data. */
  'badSignature',
  /** A signed button past its expiry. */
  'expired',
  /** Button data that is not a signed envelope, or signed data with a missing or malformed field. */
  'malformed',
  /** The invoke's verb is not the verb its signed data names. */
  'verbMismatch',
  /** Signed data naming a scope that is no longer configured. */
  'scopeNotConfigured',
  /** An id inside signed data that fails validation. */
  'invalidId',
  /** A button whose change has already completed. */
  'replay',
  /** The person's Azure rights (or PIM_OPERATORS) do not allow the change. */
  'notAuthorized',
  /** A deny assignment at or above the scope blocks the person. */
  'denyAssignment',
  /** Teams sent no Entra object id, so nobody can be authorized. */
  'missingObjectId',
  /** A colleague claimed the same change first. */
  'claimLost',
  /** Form input that fails validation. */
  'invalidInput',
  /** A button used outside the conversation it belongs to. */
  'wrongConversation',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface AuditEntry {
  /**
   * Opaque, assigned by the store (appendAudit returns it): a backend may pack whatever it needs
   * to find the entry again (SQLite: its row id; a day-partitioned table: partition and row key).
   */
  id?: string;
  /** ISO time of the attempt (or refusal). */
  at: string;
  actorObjectId?: string;
  actorName?: string;
  tenantId?: string;
  /** e.g. dismiss, remediate, refresh, configure, subscribe, unsubscribe, message. */
  action: string;
  scope?: string;
  alertId?: string;
  incidentId?: string;
  /**
   * `attempted` is written before an ARM write and completed (completeAudit) with its outcome; one
   * left `attempted` means the process stopped before it knew the outcome.
   */
  result: 'attempted' | 'succeeded' | 'failed' | 'refused' | 'started' | 'awaitingConfirmation';
  /** Set on every `refused` entry. */
  reason?: RefusalReason;
  /** One sentence: why refused / what failed / what changed. */
  detail?: string;
  armRequestId?: string;
  conversationId?: string;
  /** ISO time the outcome of an `attempted` entry was recorded. */
  completedAt?: string;
}

/** What completes an `attempted` audit entry. */
export interface AuditOutcome {
  result: 'succeeded' | 'failed' | 'started';
  /** ISO time the outcome was known. */
  at: string;
  detail?: string;
  armRequestId?: string;
}

/** A stored conversation reference: the bot's own shape (core/conversation.ts), kept as JSON. */
export type StoredConversationReference = ConversationRef;

/**
 * Where a refresh stands. started → polling → outcomeKnown → reporting, then one of the ends:
 * reported (the reply and the card update are both done), gone (the bot was removed from the
 * conversation: 403/404), gaveUp (Teams did not take the report before the give-up time).
 */
export type OperationStep = 'started' | 'polling' | 'outcomeKnown' | 'reporting' | OperationEnd;
export type OperationEnd = 'reported' | 'gone' | 'gaveUp';

/**
 * What is done once the outcome is known, each recorded the moment it is done so that a restart
 * does not repeat it: the audit row, the release of the refresh claim, the card update (PUT) and
 * the reply in the thread (POST).
 */
export type OutcomeTask = 'audit' | 'releaseClaim' | 'updateCard' | 'reply';

export interface PendingOperation {
  /** Our id (uuid). */
  id: string;
  handle: OperationHandle;
  requester: { objectId?: string; name?: string };
  conversation: StoredConversationReference;
  /** The card to update when the result is in (activity id of the card message). */
  cardActivityId?: string;
  /** The thread root to reply into (channels). */
  replyToId?: string;
  createdAt: string;
  /** The action claim that keeps a second refresh of the same target from starting; released once the outcome is known. */
  claimKey?: string;
  /**
   * The alerts that were active when the refresh started (id and incident count), so the report
   * can say which the scan cleared or raised; absent when they could not be read.
   */
  activeBefore?: Array<{ alertId: string; incidentCount: number }>;
  /** The state machine's step; 'started' when added. */
  step: OperationStep;
  /** Lease: the process working on the operation (polling or reporting) and until when. */
  leaseOwner?: string;
  leaseUntil?: string;
  /** The outcome, stored the moment it was seen and before anything is reported: a restart reports this, never a fresh guess. */
  outcome?: OperationResult;
  outcomeAt?: string;
  /** When each task after the outcome was done (ISO). */
  tasksDone: Partial<Record<OutcomeTask, string>>;
  /** When the operation reached its end (reported, gone or gaveUp). */
  finishedAt?: string;
}

/** The step an operation must be at (besides the target itself) to be moved to polling or reporting. */
export const STEP_BEFORE: Readonly<Record<'polling' | 'reporting', OperationStep>> = { polling: 'started', reporting: 'outcomeKnown' };
export const OUTCOME_TASKS: ReadonlySet<OutcomeTask> = new Set(['audit', 'releaseClaim', 'updateCard', 'reply']);
export const OPERATION_ENDS: ReadonlySet<OperationEnd> = new Set(['reported', 'gone', 'gaveUp']);

/**
 * What of an operation both backends keep as one JSON value, set when it is added and never changed.
 * claimKey travels with the operation so whichever process reports it also frees the refresh button.
 * One list, so a field added here is stored and read back by every backend.
 */
export type OperationData = Pick<PendingOperation, 'handle' | 'requester' | 'conversation' | 'cardActivityId' | 'replyToId' | 'claimKey' | 'activeBefore'>;

/** The stored part of an operation: on the way in from a new operation, on the way out from the parsed value. */
export function operationData(op: OperationData): OperationData {
  return {
    handle: op.handle,
    requester: op.requester,
    conversation: op.conversation,
    cardActivityId: op.cardActivityId,
    replyToId: op.replyToId,
    claimKey: op.claimKey,
    activeBefore: op.activeBefore,
  };
}

/** What a refresh is stored with when it starts. */
export type NewPendingOperation = Pick<PendingOperation, 'id' | 'handle' | 'requester' | 'conversation' | 'cardActivityId' | 'replyToId' | 'createdAt' | 'claimKey' | 'activeBefore'>;

/** Why the bot paused a subscription on its own: its conversation's tenant is no longer allowed. */
export type SubscriptionPause = 'tenantNotAllowed';

/** A digest subscription of one conversation. */
export interface Subscription {
  id: string;
  conversationId: string;
  /** 5-field cron expression and its human label. */
  cron: string;
  label: string;
  timeZone: string;
  scopes: string[]; // normalised scope ids; empty = all configured scopes
  severity?: 'High' | 'Medium' | 'Low';
  mode: 'changes' | 'always';
  createdBy: { objectId?: string; name?: string };
  createdAt: string;
  enabled: boolean;
  disabledReason?: string;
  /** Set when the bot paused the subscription itself and will resume it when the cause goes away. */
  pausedFor?: SubscriptionPause;
  /** ISO time of the last scheduled run that was claimed (sent or skipped). */
  lastRunAt?: string;
  /** Snapshot of what the last digest showed, for change detection (opaque JSON). */
  lastSnapshot?: unknown;
}

/**
 * A small shared record with a holder and an expiry, written only if unchanged since it was read:
 * the slices of a tenant's Teams send budget that instances take and hand over
 * (delivery/budget.ts), and each instance's note that it wants some.
 */
export interface SharedLease {
  /** Unique within its group. */
  name: string;
  /** Who holds it ('' when nobody does). */
  owner: string;
  /** ISO time the holder's right ends unless renewed. */
  until: string;
  /** ISO time from which a new holder may use it (what the last holder used has aged out by then). */
  usableFrom: string;
  /** Opaque; changes with every write. Pass it back to putLease to write only over what was read. */
  version: string;
}

/**
 * What `npm run store:copy` carries from one backend to another: everything a running bot needs to
 * go on where the other left off. Digest runs are not carried (each subscription's lastRunAt is),
 * nor are reported operations or expired claims and nonces.
 */
export interface StoreContents {
  secrets: Array<{ name: string; value: string }>;
  /** Oldest first, each with the id it has in the source. */
  audit: Array<AuditEntry & { id: string }>;
  conversations: Array<{ ref: StoredConversationReference; updatedAt: string }>;
  subscriptions: Subscription[];
  /** Refreshes not yet reported, without their poll lease (the source process is stopped). */
  pendingOperations: PendingOperation[];
  /** Unexpired action claims, so "already dismissed by …" carries over. */
  claims: Array<{ key: string; by: { objectId?: string; name?: string }; at: string; expiresAt: string; result?: string }>;
  /** Unexpired used nonces, so a completed button cannot be replayed on the new backend. */
  nonces: Array<{ nonce: string; expiresAt: string }>;
}

/** Per kind: rows written, and rows the target had already (a copy run twice changes nothing). */
export type CopyReport = Record<keyof StoreContents, { copied: number; present: number }>;

export interface BotStore {
  // secrets / key-value
  getSecret(name: string): Promise<string | undefined>;
  /** Sets the secret only if absent; returns the value in force (so two processes agree). */
  ensureSecret(name: string, create: () => string): Promise<string>;

  // audit
  /** Writes one entry (any `id` given is ignored) and returns its id. Strings are capped (capAuditEntry). */
  appendAudit(entry: AuditEntry): Promise<string>;
  /**
   * Records the outcome on the entry `id` (written as `attempted`): one write to that entry, which
   * must exist; false if there is no such entry.
   */
  completeAudit(id: string, outcome: AuditOutcome): Promise<boolean>;
  /** Newest first. */
  latestAudit(limit: number): Promise<AuditEntry[]>;

  // action claims: one ARM write per (action key); the second gets the first's record.
  /** Returns { claimed: true } if this caller won the key, else the existing claim. */
  claimAction(key: string, by: { objectId?: string; name?: string }, at: string, ttlMs: number): Promise<
    { claimed: true } | { claimed: false; by: { objectId?: string; name?: string }; at: string; result?: string }
  >;
  /** Records the outcome on a claim (so later clicks see 'already dismissed by …'). */
  completeAction(key: string, result: string): Promise<void>;
  /** Releases a claim whose action failed, so it can be tried again. */
  releaseAction(key: string): Promise<void>;
  /** True once a signed action token (its nonce) has completed: replays are refused. */
  isNonceUsed(nonce: string): Promise<boolean>;
  markNonceUsed(nonce: string, expiresAt: string): Promise<void>;

  // pending long-running operations (refreshes): see OperationStep
  /** Inserts once (a retried add is harmless); the operation starts at step 'started' with nothing done. */
  addPendingOperation(op: NewPendingOperation): Promise<void>;
  /** Operations that have not reached their end (reported, gone or gaveUp), oldest first. */
  listUnreportedOperations(): Promise<PendingOperation[]>;
  getPendingOperation(id: string): Promise<PendingOperation | undefined>;
  /**
   * Takes or extends the lease if it is free, lapsed (leaseUntil <= now) or already `owner`'s, and
   * the operation has not ended; true when `owner` holds it afterwards. Setting `until` = `now`
   * hands it over at once.
   */
  leasePendingOperation(id: string, owner: string, until: string, now: string): Promise<boolean>;
  /**
   * Moves the step forward: 'polling' from started (or polling), 'reporting' from outcomeKnown (or
   * reporting). True when `owner` holds the lease and the operation is at `step` afterwards.
   */
  markOperationStep(id: string, owner: string, step: 'polling' | 'reporting', at: string): Promise<boolean>;
  /**
   * Stores the outcome once (step becomes outcomeKnown, outcomeAt = at) if `owner` holds the lease
   * and none is stored yet. Returns the outcome in force (this one, or the one stored earlier) to
   * the lease holder; undefined when `owner` does not hold the lease or the operation has ended.
   */
  recordOperationOutcome(id: string, owner: string, outcome: OperationResult, at: string): Promise<OperationResult | undefined>;
  /**
   * Records `task` as done at `at` (the first time only) if `owner` holds the lease, the outcome is
   * stored and the operation has not ended. True when the task is recorded done afterwards.
   */
  markOutcomeTaskDone(id: string, owner: string, task: OutcomeTask, at: string): Promise<boolean>;
  /**
   * Ends the operation (reported, gone or gaveUp) if `owner` holds the lease, the outcome is stored
   * and it has not ended: true exactly once. An ended operation is no longer listed or leased.
   */
  finishOperation(id: string, owner: string, end: OperationEnd, at: string): Promise<boolean>;

  // conversations (issue: digests)
  upsertConversation(ref: StoredConversationReference, at: string): Promise<void>;
  getConversation(conversationId: string): Promise<StoredConversationReference | undefined>;
  /** Deletes the conversation's reference and its subscriptions; returns how many subscriptions went. */
  removeConversation(conversationId: string): Promise<number>;

  // subscriptions
  addSubscription(sub: Subscription): Promise<void>;
  /**
   * Oldest first. `withoutSnapshots` leaves lastSnapshot out: what a scheduler that re-reads every
   * subscription each minute needs, without the snapshots' kilobytes.
   */
  listSubscriptions(filter?: { conversationId?: string; enabledOnly?: boolean; withoutSnapshots?: boolean }): Promise<Subscription[]>;
  deleteSubscription(id: string): Promise<boolean>;
  /** Disables the conversation's enabled subscriptions, and ends any pause there (nothing is resumed); returns how many changed. */
  disableSubscriptionsOf(conversationId: string, reason: string): Promise<number>;
  /** Disables an enabled subscription, recording why (pausedFor and the sentence); false if it was not enabled. */
  pauseSubscription(id: string, pausedFor: SubscriptionPause, reason: string): Promise<boolean>;
  /** Enables a subscription the bot paused for exactly this cause; false otherwise (others stay as they are). */
  resumeSubscription(id: string, pausedFor: SubscriptionPause): Promise<boolean>;
  /**
   * Claims the run of a subscription at a scheduled instant: true for exactly one caller ever per
   * (subscription, runAt). The claim is durable before anything is sent.
   */
  claimDigestRun(subscriptionId: string, runAt: string, owner: string): Promise<boolean>;
  /** Marks a claimed run delivered (or skipped) and stores the snapshot for the next diff. */
  completeDigestRun(subscriptionId: string, runAt: string, outcome: 'sent' | 'skipped' | 'failed', snapshot?: unknown): Promise<void>;
  /** Runs claimed but never completed (the process died mid-run): to finish on start-up. */
  listIncompleteDigestRuns(): Promise<Array<{ subscriptionId: string; runAt: string; owner: string }>>;

  /**
   * Resolves when the store answers, rejects when it does not: the readiness probe (/readyz). One
   * cheap round trip (SQLite: a trivial query; a network store: one small request).
   */
  ping(): Promise<void>;

  // shared leases (the Teams send budget of several instances)
  /** Every lease of the group, in name order. */
  listLeases(group: string): Promise<SharedLease[]>;
  /**
   * Writes the lease only if it is still at `version` (as listed), or, without a version, only if
   * it does not exist yet: its new version when written, undefined when someone else wrote first.
   */
  putLease(group: string, lease: Omit<SharedLease, 'version'>, version?: string): Promise<string | undefined>;

  close(): Promise<void>;
}

// Helpers both backends share.

/** Milliseconds of an ISO date-time, refused with a plain sentence when it is not one. */
export function toMs(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`The ${what} "${value}" is not an ISO date-time; pass one like 2025-01-31T09:00:00Z.`);
  return ms;
}

/**
 * One spelling per instant, so `…T09:00Z` and `…T09:00:00.000Z` claim the same digest run (and,
 * fixed width, ISO strings sort and compare as times do).
 */
export function canonicalInstant(value: string, what: string): string {
  return new Date(toMs(value, what)).toISOString();
}

/** Drops the members that are undefined, so a value read back equals the one written. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
