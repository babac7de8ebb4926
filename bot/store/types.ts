// The bot's durable state, behind one small interface. The embedded default is SQLite
// (better-sqlite3, in DATA_DIR); a distributed backend (Table Storage, Cosmos, Postgres) implements
// the same methods. Every method is synchronous-looking async so that a network backend fits.
// Claims (claimAction, claimDigestRun) are the concurrency primitives: they must be atomic in any
// backend (a unique key insert), because two bot instances or two clicks race on them.
import type { OperationHandle } from '../azure/api';

export interface AuditEntry {
  id?: number;
  /** ISO time. */
  at: string;
  actorObjectId?: string;
  actorName?: string;
  tenantId?: string;
  /** e.g. dismiss, remediate, refresh, configure, subscribe, unsubscribe. */
  action: string;
  scope?: string;
  alertId?: string;
  incidentId?: string;
  /** allowed+succeeded, refused, failed … */
  result: 'succeeded' | 'failed' | 'refused' | 'started' | 'awaitingConfirmation';
  /** One sentence: why refused / what failed / what changed. */
  detail?: string;
  armRequestId?: string;
  conversationId?: string;
}

/** Minimal Bot Framework conversation reference, as botbuilder's ConversationReference (JSON). */
export type StoredConversationReference = Record<string, unknown> & {
  conversation: { id: string; conversationType?: string; tenantId?: string; isGroup?: boolean };
  serviceUrl: string;
  channelId: string;
};

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
  /** The action claim that keeps a second refresh of the same target from starting; released when reported. */
  claimKey?: string;
  /** Poll lease: set when a process starts polling; lets a restarted process take over. */
  leaseOwner?: string;
  leaseUntil?: string;
  /** When the result was reported (exactly once): set atomically by completePendingOperation. */
  reportedAt?: string;
}

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
  /** ISO time of the last scheduled run that was claimed (sent or skipped). */
  lastRunAt?: string;
  /** Snapshot of what the last digest showed, for change detection (opaque JSON). */
  lastSnapshot?: unknown;
}

export interface BotStore {
  // secrets / key-value
  getSecret(name: string): Promise<string | undefined>;
  /** Sets the secret only if absent; returns the value in force (so two processes agree). */
  ensureSecret(name: string, create: () => string): Promise<string>;

  // audit
  appendAudit(entry: AuditEntry): Promise<number>;
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

  // pending long-running operations
  addPendingOperation(op: PendingOperation): Promise<void>;
  listUnreportedOperations(): Promise<PendingOperation[]>;
  /** Atomically takes/extends the poll lease if free or expired or already ours. */
  leasePendingOperation(id: string, owner: string, until: string, now: string): Promise<boolean>;
  /** Atomically marks reported; returns false if it was already reported (so report nothing). */
  markOperationReported(id: string, at: string): Promise<boolean>;

  // conversations (issue: digests)
  upsertConversation(ref: StoredConversationReference, at: string): Promise<void>;
  getConversation(conversationId: string): Promise<StoredConversationReference | undefined>;
  /** Deletes the conversation's reference and its subscriptions; returns how many subscriptions went. */
  removeConversation(conversationId: string): Promise<number>;

  // subscriptions
  addSubscription(sub: Subscription): Promise<void>;
  listSubscriptions(filter?: { conversationId?: string; enabledOnly?: boolean }): Promise<Subscription[]>;
  deleteSubscription(id: string): Promise<boolean>;
  disableSubscriptionsOf(conversationId: string, reason: string): Promise<number>;
  /**
   * Claims the run of a subscription at a scheduled instant: true for exactly one caller ever per
   * (subscription, runAt). The claim is durable before anything is sent.
   */
  claimDigestRun(subscriptionId: string, runAt: string, owner: string): Promise<boolean>;
  /** Marks a claimed run delivered (or skipped) and stores the snapshot for the next diff. */
  completeDigestRun(subscriptionId: string, runAt: string, outcome: 'sent' | 'skipped' | 'failed', snapshot?: unknown): Promise<void>;
  /** Runs claimed but never completed (the process died mid-run): to finish on start-up. */
  listIncompleteDigestRuns(): Promise<Array<{ subscriptionId: string; runAt: string; owner: string }>>;

  close(): Promise<void>;
}
