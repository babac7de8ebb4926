// The embedded BotStore: one SQLite file in DATA_DIR, shared safely by every bot process on the
// host. Each claim, lease and "mark once" is a single statement whose WHERE clause or unique key
// decides the winner inside an IMMEDIATE transaction, so the answer comes from SQLite's write lock
// and not from what a process read a moment earlier. WAL lets readers run beside the one writer;
// busy_timeout makes a second process wait for the lock instead of failing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Clock } from '../security/clock';
import type { OperationResult } from '../azure/api';
import { MAX_REFUSED_AUDIT_ENTRIES, STORE_LIMITS, capText, capActor, capAuditEntry, capAuditOutcome, capConversationId, capDetail, capJsonStrings, capConversationReference, capPendingOperation, capSubscription } from './limits';
import { OPERATION_ENDS, OUTCOME_TASKS, STEP_BEFORE, canonicalInstant, compact, operationData, toMs, type OperationData } from './types';
import type { AuditEntry, BotStore, NewPendingOperation, OperationStep, PendingOperation, SharedLease, StoreContents, StoredConversationReference, Subscription } from './types';

export interface SqliteStoreOptions {
  /** Folder for the database; created (mode 0700) if missing. Default `data` in the working directory. */
  dataDir?: string;
  /** File name inside dataDir, an absolute path, or ':memory:' (tests). Default `pim-alerts.sqlite`. */
  file?: string;
  /** Used for pruning and completion times. */
  clock?: Clock;
  /** How long a process waits for another's write lock before failing; default 5 s. */
  busyTimeoutMs?: number;
  /** Refused audit entries kept (the newest); default MAX_REFUSED_AUDIT_ENTRIES. */
  maxRefusedAudit?: number;
}

export interface SqliteBotStore extends BotStore {
  /** The database file in use (':memory:' for an in-memory store). */
  readonly file: string;
  /** The schema version after migrations. */
  readonly schemaVersion: number;
  /** Everything store:copy carries to another backend, read in one transaction. */
  readContents(): StoreContents;
}

export const DEFAULT_DB_FILE = 'pim-alerts.sqlite';
/** A shared lease nobody has renewed for this long is deleted. */
const LEASE_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Ended operations (reported, gone, gave up) are kept this long for the record, then pruned. */
const FINISHED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Ordered; a released migration is never edited, only followed by a new one.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE kv (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_object_id TEXT,
        actor_name TEXT,
        tenant_id TEXT,
        action TEXT NOT NULL,
        scope TEXT,
        alert_id TEXT,
        incident_id TEXT,
        result TEXT NOT NULL,
        detail TEXT,
        arm_request_id TEXT,
        conversation_id TEXT
      );
      CREATE TABLE action_claims (
        key TEXT PRIMARY KEY,
        by_object_id TEXT,
        by_name TEXT,
        at TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        result TEXT
      );
      CREATE INDEX action_claims_expiry ON action_claims (expires_ms);
      CREATE TABLE used_nonces (
        nonce TEXT PRIMARY KEY,
        expires_ms INTEGER NOT NULL
      );
      CREATE INDEX used_nonces_expiry ON used_nonces (expires_ms);
      CREATE TABLE pending_operations (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        lease_owner TEXT,
        lease_until TEXT,
        lease_until_ms INTEGER,
        reported_at TEXT,
        reported_ms INTEGER
      );
      CREATE INDEX pending_operations_unreported ON pending_operations (reported_ms);
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        ref TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        cron TEXT NOT NULL,
        label TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        scopes TEXT NOT NULL,
        severity TEXT,
        mode TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        disabled_reason TEXT,
        last_run_at TEXT,
        last_snapshot TEXT
      );
      CREATE INDEX subscriptions_conversation ON subscriptions (conversation_id);
      CREATE TABLE digest_runs (
        subscription_id TEXT NOT NULL,
        run_at TEXT NOT NULL,
        owner TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        completed_at TEXT,
        outcome TEXT,
        PRIMARY KEY (subscription_id, run_at)
      );
    `,
  },
  {
    // A refresh becomes a state machine persisted step by step: the outcome is stored the moment it
    // is seen, and each task after it (audit, claim release, card update, reply) is recorded when
    // done. "Reported" becomes "finished", since gone and gave-up end an operation too.
    version: 2,
    name: 'refresh state machine',
    sql: `
      ALTER TABLE pending_operations RENAME COLUMN reported_at TO finished_at;
      ALTER TABLE pending_operations RENAME COLUMN reported_ms TO finished_ms;
      ALTER TABLE pending_operations ADD COLUMN step TEXT NOT NULL DEFAULT 'started';
      ALTER TABLE pending_operations ADD COLUMN outcome TEXT;
      ALTER TABLE pending_operations ADD COLUMN outcome_at TEXT;
      ALTER TABLE pending_operations ADD COLUMN tasks_done TEXT NOT NULL DEFAULT '{}';
      UPDATE pending_operations SET step = 'reported' WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'audit outcomes and refusal reasons; subscriptions paused by the bot',
    sql: `
      ALTER TABLE audit ADD COLUMN reason TEXT;
      ALTER TABLE audit ADD COLUMN completed_at TEXT;
      CREATE INDEX audit_refused ON audit (id) WHERE result = 'refused';
      ALTER TABLE subscriptions ADD COLUMN paused_for TEXT;
    `,
  },
  {
    version: 4,
    name: 'shared leases (the Teams send budget of several processes)',
    sql: `
      CREATE TABLE leases (
        grp TEXT NOT NULL,
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        until TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        usable_from TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (grp, name)
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function migrate(db: Database.Database, file: string): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  // IMMEDIATE: two processes starting together must not both apply the same migration.
  return db
    .transaction(() => {
      const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
      const current = row.v ?? 0;
      if (current > SCHEMA_VERSION) {
        throw new Error(`The database ${file} was written by a newer version of this bot (schema ${current}); upgrade the bot or use another DATA_DIR.`);
      }
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }
      return SCHEMA_VERSION;
    })
    .immediate();
}

function resolveFile(opts: SqliteStoreOptions): string {
  const file = opts.file ?? DEFAULT_DB_FILE;
  if (file === ':memory:') return file;
  return path.isAbsolute(file) ? file : path.resolve(opts.dataDir ?? 'data', file);
}

/** The database holds the action signing key: only the bot's user may read the folder or file. */
function prepareFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function parseJson<T>(text: string | null | undefined): T | undefined {
  return text === null || text === undefined ? undefined : (JSON.parse(text) as T);
}

interface AuditRow {
  id: number;
  at: string;
  actor_object_id: string | null;
  actor_name: string | null;
  tenant_id: string | null;
  action: string;
  scope: string | null;
  alert_id: string | null;
  incident_id: string | null;
  result: AuditEntry['result'];
  reason: AuditEntry['reason'] | null;
  detail: string | null;
  arm_request_id: string | null;
  conversation_id: string | null;
  completed_at: string | null;
}

interface ClaimRow {
  by_object_id: string | null;
  by_name: string | null;
  at: string;
  result: string | null;
}

interface OperationRow {
  id: string;
  data: string;
  created_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  finished_at: string | null;
  step: OperationStep;
  outcome: string | null;
  outcome_at: string | null;
  tasks_done: string;
}

interface SubscriptionRow {
  id: string;
  conversation_id: string;
  cron: string;
  label: string;
  time_zone: string;
  scopes: string;
  severity: Subscription['severity'] | null;
  mode: Subscription['mode'];
  created_by: string;
  created_at: string;
  enabled: number;
  disabled_reason: string | null;
  paused_for: Subscription['pausedFor'] | null;
  last_run_at: string | null;
  last_snapshot: string | null;
}

function auditFromRow(r: AuditRow): AuditEntry {
  return compact({
    id: String(r.id),
    at: r.at,
    actorObjectId: opt(r.actor_object_id),
    actorName: opt(r.actor_name),
    tenantId: opt(r.tenant_id),
    action: r.action,
    scope: opt(r.scope),
    alertId: opt(r.alert_id),
    incidentId: opt(r.incident_id),
    result: r.result,
    reason: opt(r.reason),
    detail: opt(r.detail),
    armRequestId: opt(r.arm_request_id),
    conversationId: opt(r.conversation_id),
    completedAt: opt(r.completed_at),
  });
}

function operationFromRow(r: OperationRow): PendingOperation {
  return compact({
    id: r.id,
    ...operationData(JSON.parse(r.data) as OperationData),
    createdAt: r.created_at,
    step: r.step,
    leaseOwner: opt(r.lease_owner),
    leaseUntil: opt(r.lease_until),
    outcome: parseJson<OperationResult>(r.outcome),
    outcomeAt: opt(r.outcome_at),
    tasksDone: JSON.parse(r.tasks_done) as PendingOperation['tasksDone'],
    finishedAt: opt(r.finished_at),
  });
}

function subscriptionFromRow(r: SubscriptionRow): Subscription {
  return compact({
    id: r.id,
    conversationId: r.conversation_id,
    cron: r.cron,
    label: r.label,
    timeZone: r.time_zone,
    scopes: JSON.parse(r.scopes) as string[],
    severity: opt(r.severity),
    mode: r.mode,
    createdBy: JSON.parse(r.created_by) as Subscription['createdBy'],
    createdAt: r.created_at,
    enabled: r.enabled === 1,
    disabledReason: opt(r.disabled_reason),
    pausedFor: opt(r.paused_for),
    lastRunAt: opt(r.last_run_at),
    lastSnapshot: parseJson<unknown>(r.last_snapshot),
  });
}

export function openSqliteStore(opts: SqliteStoreOptions = {}): SqliteBotStore {
  const file = resolveFile(opts);
  const clock: Clock = opts.clock ?? { now: () => Date.now() };
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  const maxRefused = Math.max(1, Math.floor(opts.maxRefusedAudit ?? MAX_REFUSED_AUDIT_ENTRIES));
  if (file !== ':memory:') prepareFile(file);

  const db = new Database(file, { timeout: busyTimeoutMs });
  let schemaVersion: number;
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    // A claim must survive a power cut once it is answered, since a card is sent on its strength.
    db.pragma('synchronous = FULL');
    schemaVersion = migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }

  const nowIso = () => new Date(clock.now()).toISOString();
  const write = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = db.transaction(fn);
    return (...args: A): R => tx.immediate(...args);
  };

  const stmts = {
    ping: db.prepare('SELECT 1'),
    getSecret: db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE name = ?'),
    insertSecret: db.prepare('INSERT INTO kv (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING'),

    insertAudit: db.prepare(`INSERT INTO audit (at, actor_object_id, actor_name, tenant_id, action, scope, alert_id, incident_id, result, reason, detail, arm_request_id, conversation_id)
      VALUES (@at, @actorObjectId, @actorName, @tenantId, @action, @scope, @alertId, @incidentId, @result, @reason, @detail, @armRequestId, @conversationId)`),
    completeAudit: db.prepare(`UPDATE audit SET result = @result, completed_at = @at, detail = COALESCE(@detail, detail), arm_request_id = COALESCE(@armRequestId, arm_request_id)
      WHERE id = @id`),
    pruneRefused: db.prepare(`DELETE FROM audit WHERE result = 'refused'
      AND id <= (SELECT id FROM audit WHERE result = 'refused' ORDER BY id DESC LIMIT 1 OFFSET ?)`),
    latestAudit: db.prepare<[number], AuditRow>('SELECT * FROM audit ORDER BY id DESC LIMIT ?'),

    pruneClaims: db.prepare('DELETE FROM action_claims WHERE expires_ms <= ?'),
    pruneNonces: db.prepare('DELETE FROM used_nonces WHERE expires_ms <= ?'),
    pruneFinished: db.prepare('DELETE FROM pending_operations WHERE finished_ms IS NOT NULL AND finished_ms <= ?'),
    dropExpiredClaim: db.prepare('DELETE FROM action_claims WHERE key = ? AND expires_ms <= ?'),
    insertClaim: db.prepare('INSERT INTO action_claims (key, by_object_id, by_name, at, expires_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING'),
    getClaim: db.prepare<[string], ClaimRow>('SELECT by_object_id, by_name, at, result FROM action_claims WHERE key = ?'),
    completeClaim: db.prepare('UPDATE action_claims SET result = ? WHERE key = ?'),
    releaseClaim: db.prepare('DELETE FROM action_claims WHERE key = ?'),
    nonceUsed: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM used_nonces WHERE nonce = ?'),
    insertNonce: db.prepare('INSERT INTO used_nonces (nonce, expires_ms) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING'),

    insertOperation: db.prepare('INSERT INTO pending_operations (id, data, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    unreported: db.prepare<[], OperationRow>('SELECT * FROM pending_operations WHERE finished_at IS NULL ORDER BY created_at, id'),
    getOperation: db.prepare<[string], OperationRow>('SELECT * FROM pending_operations WHERE id = ?'),
    // Every write below is one UPDATE whose WHERE clause is the whole condition: the lease holder,
    // an operation that has not ended, and the step or outcome the change needs.
    lease: db.prepare(`UPDATE pending_operations SET lease_owner = @owner, lease_until = @until, lease_until_ms = @untilMs
      WHERE id = @id AND finished_at IS NULL AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until_ms IS NULL OR lease_until_ms <= @nowMs)`),
    markStep: db.prepare(`UPDATE pending_operations SET step = @step
      WHERE id = @id AND lease_owner = @owner AND finished_at IS NULL AND step IN (@from, @step)`),
    recordOutcome: db.prepare(`UPDATE pending_operations SET outcome = @outcome, outcome_at = @at, step = 'outcomeKnown'
      WHERE id = @id AND lease_owner = @owner AND finished_at IS NULL AND outcome IS NULL`),
    outcomeFor: db.prepare<{ id: string; owner: string }, { outcome: string | null }>(
      'SELECT outcome FROM pending_operations WHERE id = @id AND lease_owner = @owner AND finished_at IS NULL',
    ),
    markTask: db.prepare(`UPDATE pending_operations SET tasks_done = json_set(tasks_done, @path, COALESCE(json_extract(tasks_done, @path), @at))
      WHERE id = @id AND lease_owner = @owner AND finished_at IS NULL AND outcome IS NOT NULL`),
    finish: db.prepare(`UPDATE pending_operations SET step = @end, finished_at = @at, finished_ms = @atMs
      WHERE id = @id AND lease_owner = @owner AND finished_at IS NULL AND outcome IS NOT NULL`),

    upsertConversation: db.prepare(`INSERT INTO conversations (id, ref, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at`),
    getConversation: db.prepare<[string], { ref: string }>('SELECT ref FROM conversations WHERE id = ?'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ?'),
    deleteRunsOfConversation: db.prepare('DELETE FROM digest_runs WHERE subscription_id IN (SELECT id FROM subscriptions WHERE conversation_id = ?)'),
    deleteSubscriptionsOf: db.prepare('DELETE FROM subscriptions WHERE conversation_id = ?'),

    insertSubscription: db.prepare(`INSERT INTO subscriptions (id, conversation_id, cron, label, time_zone, scopes, severity, mode, created_by, created_at, enabled, disabled_reason, paused_for, last_run_at, last_snapshot)
      VALUES (@id, @conversationId, @cron, @label, @timeZone, @scopes, @severity, @mode, @createdBy, @createdAt, @enabled, @disabledReason, @pausedFor, @lastRunAt, @lastSnapshot)`),
    deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE id = ?'),
    deleteRunsOf: db.prepare('DELETE FROM digest_runs WHERE subscription_id = ?'),
    // A subscription paused for its tenant is disabled for good too: there is nothing left to resume.
    disableSubscriptionsOf: db.prepare('UPDATE subscriptions SET enabled = 0, disabled_reason = ?, paused_for = NULL WHERE conversation_id = ? AND (enabled = 1 OR paused_for IS NOT NULL)'),
    pauseSubscription: db.prepare('UPDATE subscriptions SET enabled = 0, disabled_reason = ?, paused_for = ? WHERE id = ? AND enabled = 1'),
    resumeSubscription: db.prepare('UPDATE subscriptions SET enabled = 1, disabled_reason = NULL, paused_for = NULL WHERE id = ? AND enabled = 0 AND paused_for = ?'),
    claimRun: db.prepare(`INSERT INTO digest_runs (subscription_id, run_at, owner, claimed_at)
      SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM subscriptions WHERE id = ?)
      ON CONFLICT (subscription_id, run_at) DO NOTHING`),
    lastRunOf: db.prepare<[string], { last_run_at: string | null }>('SELECT last_run_at FROM subscriptions WHERE id = ?'),
    setLastRun: db.prepare('UPDATE subscriptions SET last_run_at = ? WHERE id = ?'),
    completeRun: db.prepare('UPDATE digest_runs SET completed_at = ?, outcome = ? WHERE subscription_id = ? AND run_at = ?'),
    setSnapshot: db.prepare('UPDATE subscriptions SET last_snapshot = ? WHERE id = ?'),
    incompleteRuns: db.prepare<[], { subscription_id: string; run_at: string; owner: string }>(
      'SELECT subscription_id, run_at, owner FROM digest_runs WHERE completed_at IS NULL ORDER BY run_at, subscription_id',
    ),

    listLeases: db.prepare<[string], { name: string; owner: string; until: string; usable_from: string; version: number }>(
      'SELECT name, owner, until, usable_from, version FROM leases WHERE grp = ? ORDER BY name',
    ),
    insertLease: db.prepare(`INSERT INTO leases (grp, name, owner, until, until_ms, usable_from, version) VALUES (@grp, @name, @owner, @until, @untilMs, @usableFrom, 1)
      ON CONFLICT (grp, name) DO NOTHING`),
    updateLease: db.prepare(`UPDATE leases SET owner = @owner, until = @until, until_ms = @untilMs, usable_from = @usableFrom, version = version + 1
      WHERE grp = @grp AND name = @name AND version = @version`),
    // A lease nobody renewed for a day is no one's budget any more.
    pruneLeases: db.prepare('DELETE FROM leases WHERE until_ms <= ?'),
  };

  // Expired claims and nonces are cleared on the way past rather than by a timer, so a store needs
  // no background work and a stopped process leaves nothing half-done.
  // Claims are judged by the time their callers give (claimAction's `at`), everything else by the
  // store's clock; mixing the two would let a caller whose `at` lags the clock lose fresh claims.
  const prune = (claimsNow?: number) => {
    const now = clock.now();
    if (claimsNow !== undefined) stmts.pruneClaims.run(claimsNow);
    stmts.pruneNonces.run(now);
    stmts.pruneFinished.run(now - FINISHED_RETENTION_MS);
  };

  const ensureSecretTx = write((name: string, value: string): string => {
    stmts.insertSecret.run(name, value, nowIso());
    return stmts.getSecret.get(name)!.value;
  });

  type ClaimOutcome = Awaited<ReturnType<BotStore['claimAction']>>;
  const claimTx = write((key: string, by: { objectId?: string; name?: string }, at: string, atMs: number, ttlMs: number): ClaimOutcome => {
    prune(atMs);
    // A claim whose holder died (never completed or released) lapses at its expiry.
    stmts.dropExpiredClaim.run(key, atMs);
    if (stmts.insertClaim.run(key, by.objectId ?? null, by.name ?? null, at, atMs + ttlMs).changes === 1) return { claimed: true };
    const row = stmts.getClaim.get(key)!;
    return compact({ claimed: false as const, by: compact({ objectId: opt(row.by_object_id), name: opt(row.by_name) }), at: row.at, result: opt(row.result) });
  });

  const appendAuditTx = write((entry: AuditEntry): string => {
    const r = stmts.insertAudit.run({
      at: entry.at,
      actorObjectId: entry.actorObjectId ?? null,
      actorName: entry.actorName ?? null,
      tenantId: entry.tenantId ?? null,
      action: entry.action,
      scope: entry.scope ?? null,
      alertId: entry.alertId ?? null,
      incidentId: entry.incidentId ?? null,
      result: entry.result,
      reason: entry.reason ?? null,
      detail: entry.detail ?? null,
      armRequestId: entry.armRequestId ?? null,
      conversationId: entry.conversationId ?? null,
    });
    if (entry.result === 'refused') stmts.pruneRefused.run(maxRefused);
    return String(r.lastInsertRowid);
  });

  // One statement decides: the insert's unique key, or the update's version in its WHERE clause.
  const putLeaseTx = write((grp: string, lease: Omit<SharedLease, 'version'>, version: string | undefined): string | undefined => {
    const row = { grp, name: lease.name, owner: capText(lease.owner, STORE_LIMITS.name), until: canonicalInstant(lease.until, 'lease end'), untilMs: toMs(lease.until, 'lease end'), usableFrom: canonicalInstant(lease.usableFrom, 'lease start') };
    stmts.pruneLeases.run(clock.now() - LEASE_RETENTION_MS);
    if (version === undefined) return stmts.insertLease.run(row).changes === 1 ? '1' : undefined;
    if (!/^[1-9][0-9]{0,15}$/.test(version)) return undefined;
    return stmts.updateLease.run({ ...row, version: Number(version) }).changes === 1 ? String(Number(version) + 1) : undefined;
  });

  const markNonceTx = write((nonce: string, expiresMs: number) => {
    prune();
    stmts.insertNonce.run(nonce, expiresMs);
  });

  const recordOutcomeTx = write((id: string, owner: string, outcome: string, at: string): OperationResult | undefined => {
    stmts.recordOutcome.run({ id, owner, outcome, at });
    return parseJson<OperationResult>(stmts.outcomeFor.get({ id, owner })?.outcome);
  });

  const addOperationTx = write((op: NewPendingOperation) => {
    prune();
    stmts.insertOperation.run(op.id, JSON.stringify(operationData(op)), op.createdAt);
  });

  const removeConversationTx = write((conversationId: string): number => {
    stmts.deleteRunsOfConversation.run(conversationId);
    const removed = stmts.deleteSubscriptionsOf.run(conversationId).changes;
    stmts.deleteConversation.run(conversationId);
    return removed;
  });

  const deleteSubscriptionTx = write((id: string): boolean => {
    stmts.deleteRunsOf.run(id);
    return stmts.deleteSubscription.run(id).changes > 0;
  });

  const claimRunTx = write((subscriptionId: string, runAt: string, owner: string): boolean => {
    if (stmts.claimRun.run(subscriptionId, runAt, owner, nowIso(), subscriptionId).changes !== 1) return false;
    const last = stmts.lastRunOf.get(subscriptionId)?.last_run_at;
    if (!last || Date.parse(last) < Date.parse(runAt)) stmts.setLastRun.run(runAt, subscriptionId);
    return true;
  });

  const completeRunTx = write((subscriptionId: string, runAt: string, outcome: string, snapshot: unknown) => {
    stmts.completeRun.run(nowIso(), outcome, subscriptionId, runAt);
    if (snapshot !== undefined) stmts.setSnapshot.run(JSON.stringify(snapshot), subscriptionId);
  });

  const readContents = db.transaction((): StoreContents => {
    const now = clock.now();
    const all = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[];
    return {
      secrets: all<{ name: string; value: string }>('SELECT name, value FROM kv ORDER BY name'),
      audit: all<AuditRow>('SELECT * FROM audit ORDER BY id').map((r) => ({ ...auditFromRow(r), id: String(r.id) })),
      conversations: all<{ ref: string; updated_at: string }>('SELECT ref, updated_at FROM conversations ORDER BY id').map((r) => ({
        ref: JSON.parse(r.ref) as StoredConversationReference,
        updatedAt: r.updated_at,
      })),
      subscriptions: all<SubscriptionRow>('SELECT * FROM subscriptions ORDER BY created_at, id').map(subscriptionFromRow),
      pendingOperations: stmts.unreported.all().map((r) => {
        const { leaseOwner: _owner, leaseUntil: _until, ...op } = operationFromRow(r);
        return op;
      }),
      claims: all<ClaimRow & { key: string; expires_ms: number }>('SELECT * FROM action_claims WHERE expires_ms > ? ORDER BY key', now).map((r) =>
        compact({ key: r.key, by: compact({ objectId: opt(r.by_object_id), name: opt(r.by_name) }), at: r.at, expiresAt: new Date(r.expires_ms).toISOString(), result: opt(r.result) }),
      ),
      nonces: all<{ nonce: string; expires_ms: number }>('SELECT nonce, expires_ms FROM used_nonces WHERE expires_ms > ? ORDER BY nonce', now).map((r) => ({
        nonce: r.nonce,
        expiresAt: new Date(r.expires_ms).toISOString(),
      })),
    };
  });

  return {
    file,
    schemaVersion,
    readContents: () => readContents(),

    async getSecret(name) {
      return stmts.getSecret.get(name)?.value;
    },

    async ensureSecret(name, create) {
      const existing = stmts.getSecret.get(name)?.value;
      if (existing !== undefined) return existing;
      const value = create();
      if (typeof value !== 'string' || value === '') throw new Error(`The generated value for secret "${name}" was empty; the generator must return a non-empty string.`);
      return ensureSecretTx(name, value);
    },

    async appendAudit(entry) {
      return appendAuditTx(capAuditEntry(entry));
    },

    async completeAudit(id, outcome) {
      // Ids are this store's row ids; anything else names no entry.
      if (!/^[1-9][0-9]{0,15}$/.test(id)) return false;
      const o = capAuditOutcome(outcome);
      return stmts.completeAudit.run({ id: Number(id), result: o.result, at: o.at, detail: o.detail ?? null, armRequestId: o.armRequestId ?? null }).changes === 1;
    },

    async latestAudit(limit) {
      const n = Math.max(0, Math.floor(limit));
      return stmts.latestAudit.all(n).map(auditFromRow);
    },

    async claimAction(key, by, at, ttlMs) {
      const atMs = toMs(at, 'claim time');
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`A claim lifetime must be a positive number of milliseconds, not ${ttlMs}.`);
      return claimTx(key, capActor(by), at, atMs, ttlMs);
    },

    async completeAction(key, result) {
      stmts.completeClaim.run(result, key);
    },

    async releaseAction(key) {
      stmts.releaseClaim.run(key);
    },

    async isNonceUsed(nonce) {
      return stmts.nonceUsed.get(nonce) !== undefined;
    },

    async markNonceUsed(nonce, expiresAt) {
      markNonceTx(nonce, toMs(expiresAt, 'nonce expiry'));
    },

    async addPendingOperation(op) {
      addOperationTx(capPendingOperation(op));
    },

    async listUnreportedOperations() {
      return stmts.unreported.all().map(operationFromRow);
    },

    async getPendingOperation(id) {
      const row = stmts.getOperation.get(id);
      return row ? operationFromRow(row) : undefined;
    },

    async leasePendingOperation(id, owner, until, now) {
      const r = stmts.lease.run({ id, owner, until, untilMs: toMs(until, 'lease end'), nowMs: toMs(now, 'current time') });
      return r.changes === 1;
    },

    async markOperationStep(id, owner, step, at) {
      const from = Object.hasOwn(STEP_BEFORE, step) ? STEP_BEFORE[step] : undefined;
      if (!from) throw new Error(`"${String(step)}" is not a step an operation is moved to; use polling or reporting.`);
      toMs(at, 'step time');
      return stmts.markStep.run({ id, owner, step, from }).changes === 1;
    },

    async recordOperationOutcome(id, owner, outcome, at) {
      toMs(at, 'outcome time');
      // ARM's status details and error messages are stored cut like every other untrusted string.
      return recordOutcomeTx(id, owner, JSON.stringify(capJsonStrings(outcome)), at);
    },

    async markOutcomeTaskDone(id, owner, task, at) {
      if (!OUTCOME_TASKS.has(task)) throw new Error(`"${String(task)}" is not a task done after a refresh outcome; use one of ${[...OUTCOME_TASKS].join(', ')}.`);
      toMs(at, 'task time');
      return stmts.markTask.run({ id, owner, path: `$.${task}`, at }).changes === 1;
    },

    async finishOperation(id, owner, end, at) {
      if (!OPERATION_ENDS.has(end)) throw new Error(`"${String(end)}" is not an end of an operation; use one of ${[...OPERATION_ENDS].join(', ')}.`);
      return stmts.finish.run({ id, owner, end, at, atMs: toMs(at, 'finish time') }).changes === 1;
    },

    async upsertConversation(ref: StoredConversationReference, at) {
      const id = ref?.conversation?.id;
      if (typeof id !== 'string' || id === '') throw new Error('A conversation reference without conversation.id cannot be stored; pass the reference from the incoming activity.');
      const capped = capConversationReference(ref);
      stmts.upsertConversation.run(capped.conversation.id, JSON.stringify(capped), at);
    },

    async getConversation(conversationId) {
      return parseJson<StoredConversationReference>(stmts.getConversation.get(capConversationId(conversationId))?.ref);
    },

    async removeConversation(conversationId) {
      return removeConversationTx(capConversationId(conversationId));
    },

    async addSubscription(given) {
      const sub = capSubscription(given);
      stmts.insertSubscription.run({
        id: sub.id,
        conversationId: sub.conversationId,
        cron: sub.cron,
        label: sub.label,
        timeZone: sub.timeZone,
        scopes: JSON.stringify(sub.scopes ?? []),
        severity: sub.severity ?? null,
        mode: sub.mode,
        createdBy: JSON.stringify(sub.createdBy ?? {}),
        createdAt: sub.createdAt,
        enabled: sub.enabled ? 1 : 0,
        disabledReason: sub.disabledReason ?? null,
        pausedFor: sub.pausedFor ?? null,
        lastRunAt: sub.lastRunAt ?? null,
        lastSnapshot: sub.lastSnapshot === undefined ? null : JSON.stringify(sub.lastSnapshot),
      });
    },

    async listSubscriptions(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.conversationId !== undefined) {
        where.push('conversation_id = ?');
        params.push(capConversationId(filter.conversationId));
      }
      if (filter.enabledOnly) where.push('enabled = 1');
      const columns = filter.withoutSnapshots ? 'id, conversation_id, cron, label, time_zone, scopes, severity, mode, created_by, created_at, enabled, disabled_reason, paused_for, last_run_at, NULL AS last_snapshot' : '*';
      const sql = `SELECT ${columns} FROM subscriptions${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
      return (db.prepare(sql).all(...params) as SubscriptionRow[]).map(subscriptionFromRow);
    },

    async deleteSubscription(id) {
      return deleteSubscriptionTx(id);
    },

    async disableSubscriptionsOf(conversationId, reason) {
      return stmts.disableSubscriptionsOf.run(capDetail(reason), capConversationId(conversationId)).changes;
    },

    async pauseSubscription(id, pausedFor, reason) {
      return stmts.pauseSubscription.run(capDetail(reason), pausedFor, id).changes === 1;
    },

    async resumeSubscription(id, pausedFor) {
      return stmts.resumeSubscription.run(id, pausedFor).changes === 1;
    },

    async claimDigestRun(subscriptionId, runAt, owner) {
      return claimRunTx(subscriptionId, canonicalInstant(runAt, 'digest run time'), owner);
    },

    async completeDigestRun(subscriptionId, runAt, outcome, snapshot) {
      completeRunTx(subscriptionId, canonicalInstant(runAt, 'digest run time'), outcome, snapshot);
    },

    async listIncompleteDigestRuns() {
      return stmts.incompleteRuns.all().map((r) => ({ subscriptionId: r.subscription_id, runAt: r.run_at, owner: r.owner }));
    },

    async ping() {
      stmts.ping.get();
    },

    async listLeases(group) {
      return stmts.listLeases.all(group).map((r) => ({ name: r.name, owner: r.owner, until: r.until, usableFrom: r.usable_from, version: String(r.version) }));
    },

    async putLease(group, lease, version) {
      return putLeaseTx(group, lease, version);
    },

    async close() {
      if (db.open) db.close();
    },
  };
}
