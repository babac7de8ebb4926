// The distributed BotStore: Azure Table Storage, shared by every instance of the bot. Table Storage
// has no transactions across entities and no "UPDATE … WHERE", so every decision that two
// instances could race on is a conditional write whose answer comes from the service:
// - insert-once (createEntity): 409 means someone else has the key;
// - update or delete with the ETag that was read: 412 means someone changed it since, so the
//   caller reads again and decides again (or has lost).
// Nothing is read, changed and written back without the ETag of what was read. Blind writes are
// kept to values with one writer or where the last writer is right (a conversation reference).
//
// Tables (each name is PIM_TABLE_PREFIX + the suffix), with their keys; README "Running more than
// one instance" has the same list:
// - secrets:        PK "secret", RK name. Insert-once, so two instances starting together agree.
// - audit:          PK inverted UTC day of the entry (99999999 - yyyymmdd), RK inverted epoch ms +
//                   inverted sequence + random suffix. The service returns entities in key order,
//                   so "the latest n" is the first n of one query, newest first. An entry's id is
//                   "PK-RK", so completing an attempt is one merge on that entity. Refused entries
//                   beyond the newest MAX_REFUSED_AUDIT_ENTRIES are deleted by the sweep.
// - claims:         PK the claim key, RK "". Insert-once; an expired claim is taken over with its ETag.
// - nonces:         PK the nonce, RK "". Insert-once.
// - operations:     PK "operation", RK operation id. Every step of a refresh's state machine
//                   (lease, step, outcome, tasks, end) is an update with the ETag read, after
//                   checking the condition on what was read (types.ts says which).
// - conversations:  PK conversation id, RK "". Upsert: the newest reference is the right one.
// - subscriptions:  PK "subscription", RK subscription id. Every change after creation is an ETag
//                   update, so a snapshot written by one instance cannot undo a pause by another.
// - digestruns:     PK "open", RK runAt|subscription id: the claims of runs (insert-once), marked
//                   `completed` by one merge when finished. The sweep moves finished ones to PK
//                   "done" (same RK), kept RUN_RETENTION_MS so that a late instance cannot claim a
//                   finished run again. Listing the unfinished runs reads only the "open" partition.
// - leases:         PK the group (e.g. "budget:<tenant id>"), RK the lease name. Taken and renewed
//                   with the ETag read (insert-once for a new one); a group is one partition query.
//
// Keys are percent-encoded where Table Storage forbids a character (/ \ # ? and control
// characters), and hashed when too long. Values stay under Table Storage's limits (64 KiB per
// property, i.e. 32,768 UTF-16 characters; 1 MiB per entity): large JSON is split over several
// properties, and what would not fit is refused with an error that says so.
//
// Expired claims and nonces, long-ended operations and old finished runs are deleted by a sweep
// that runs at most every SWEEP_INTERVAL_MS per process, on the way past a write; each delete is
// conditional on the ETag that was read, so a row renewed meanwhile stays.
import { createHash, randomBytes } from 'node:crypto';
import type { PipelineRequest, SendRequest } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { odata, TableClient, type TableEntityResult } from '@azure/data-tables';
import type { Clock } from '../security/clock';
import type { OperationResult } from '../azure/api';
import {
  MAX_REFUSED_AUDIT_ENTRIES,
  STORE_LIMITS,
  capText,
  capActor,
  capAuditEntry,
  capAuditOutcome,
  capConversationId,
  capConversationReference,
  capDetail,
  capJsonStrings,
  capPendingOperation,
  capSubscription,
} from './limits';
import { OPERATION_ENDS, OUTCOME_TASKS, STEP_BEFORE, canonicalInstant, compact, operationData, toMs, type OperationData } from './types';
import type { AuditEntry, BotStore, CopyReport, NewPendingOperation, OperationStep, PendingOperation, RefusalReason, StoreContents, StoredConversationReference, Subscription, SubscriptionPause } from './types';

export const DEFAULT_TABLE_PREFIX = 'pimalerts';

/** The tables of one bot, by role; their names are the prefix plus the role. */
export const TABLE_SUFFIXES = ['secrets', 'audit', 'claims', 'nonces', 'operations', 'conversations', 'subscriptions', 'digestruns', 'leases'] as const;
export type TableRole = (typeof TABLE_SUFFIXES)[number];

/** Table names are 3-63 letters and digits starting with a letter; the longest suffix is 13. */
export const MAX_TABLE_PREFIX_LENGTH = 63 - Math.max(...TABLE_SUFFIXES.map((s) => s.length));
const TABLE_PREFIX = /^[A-Za-z][A-Za-z0-9]*$/;

/** Table Storage keeps at most 64 KiB per string property: 32,768 UTF-16 code units. */
export const MAX_PROPERTY_CHARS = 32_000;
/** One large JSON value may take this many properties; with the rest, the entity stays under 1 MiB. */
const MAX_PARTS = 14;
export const MAX_JSON_CHARS = MAX_PROPERTY_CHARS * MAX_PARTS;
/** Keys are at most 1 KiB (512 UTF-16 code units); longer ones are hashed. */
const MAX_KEY_CHARS = 400;

/** Ended operations are kept this long for the record, then deleted (as in SQLite). */
const FINISHED_RETENTION_MS = 30 * 24 * 60 * 60_000;
/** A finished digest run is remembered this long, far beyond the one scheduler tick a late claim can lag. */
export const RUN_RETENTION_MS = 35 * 24 * 60 * 60_000;
/** A shared lease nobody has renewed for this long is deleted. */
const LEASE_RETENTION_MS = 24 * 60 * 60_000;
/** Sweeps of expired rows run at most this often per process. */
export const SWEEP_INTERVAL_MS = 10 * 60_000;
/** How long ping (the readiness probe) waits for Table Storage. */
const PING_TIMEOUT_MS = 2_000;
/** A conditional write that keeps losing to other writers gives up after this many rounds. */
const MAX_ROUNDS = 25;

export type TableStoreConnection =
  | { url: string; credential: TokenCredential }
  /** A connection string (Azurite, or an account key where a team insists). */
  | { connectionString: string };

export interface TableStoreOptions {
  connection: TableStoreConnection;
  /** Prefix of every table name (PIM_TABLE_PREFIX); letters and digits. Default `pimalerts`. */
  prefix?: string;
  /** For nonce expiry and the sweeps. */
  clock?: Clock;
  /** Where a failed background sweep is reported (it is retried at the next interval). */
  onSweepError?: (err: Error) => void;
  /** Refused audit entries kept (the newest); default MAX_REFUSED_AUDIT_ENTRIES. */
  maxRefusedAudit?: number;
  /** Told of every request sent to Table Storage (the benchmark counts them: transactions are what an account bills). */
  onRequest?: (method: string) => void;
}

export interface TableBotStore extends BotStore {
  /** The table name of each role, prefix included. */
  readonly tables: Readonly<Record<TableRole, string>>;
  /** Runs the sweep of expired rows now and waits for it (tests, and the sweep's own schedule). */
  sweep(): Promise<void>;
  /** Writes what store:copy read from another backend; rows already here are left as they are. */
  copyIn(contents: StoreContents): Promise<CopyReport>;
}

export function tableNames(prefix = DEFAULT_TABLE_PREFIX): Record<TableRole, string> {
  const problem = tablePrefixProblem(prefix);
  if (problem) throw new Error(problem);
  return Object.fromEntries(TABLE_SUFFIXES.map((s) => [s, `${prefix}${s}`])) as Record<TableRole, string>;
}

/** Why a table prefix cannot be used, or undefined when it can. */
export function tablePrefixProblem(prefix: string): string | undefined {
  if (!TABLE_PREFIX.test(prefix)) return `"${prefix.slice(0, 80)}" is not a table name prefix: use letters and digits, starting with a letter.`;
  if (prefix.length > MAX_TABLE_PREFIX_LENGTH) return `"${prefix.slice(0, 80)}" is ${prefix.length} characters; a table name prefix may have at most ${MAX_TABLE_PREFIX_LENGTH}.`;
  return undefined;
}

// ---- keys and values ----

const KEY_FORBIDDEN = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

/**
 * A PartitionKey or RowKey for any string: forbidden characters percent-encoded (so distinct
 * strings stay distinct), too-long strings replaced by a hash. A hashed key starts with "%h",
 * which no encoded string can (every % it contains is followed by two hex digits).
 */
export function tableKey(value: string): string {
  const encoded = value.replace(KEY_FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (encoded.length <= MAX_KEY_CHARS) return encoded;
  return `%h${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

type Props = Record<string, string | boolean | number>;

/** A string property, refused with a plain sentence when Table Storage would not keep it. */
function text(what: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_PROPERTY_CHARS) {
    throw new Error(`The ${what} is ${value.length} characters long; Table Storage keeps at most ${MAX_PROPERTY_CHARS} in one value. Shorten it.`);
  }
  return value;
}

/**
 * JSON with every non-ASCII character escaped (\u00e9): still the same JSON, one byte per
 * character on the wire. Large values travel in large request bodies, and Azurite 3.35 decodes
 * a body buffer by buffer, breaking any multi-byte character that straddles two buffers.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON value as one property, or split over `name0…nameN` with `nameParts` when large. */
function jsonProps(name: string, what: string, value: unknown): Props {
  const json = asciiJson(value);
  if (json.length <= MAX_PROPERTY_CHARS) return { [name]: json };
  if (json.length > MAX_JSON_CHARS) {
    throw new Error(`The ${what} is ${json.length} characters of JSON; Table Storage keeps at most ${MAX_JSON_CHARS} in one entity. It was not stored.`);
  }
  const props: Props = { [`${name}Parts`]: Math.ceil(json.length / MAX_PROPERTY_CHARS) };
  for (let i = 0; i * MAX_PROPERTY_CHARS < json.length; i++) props[`${name}${i}`] = json.slice(i * MAX_PROPERTY_CHARS, (i + 1) * MAX_PROPERTY_CHARS);
  return props;
}

function readJson<T>(entity: Record<string, unknown>, name: string): T | undefined {
  const parts = entity[`${name}Parts`];
  if (typeof parts === 'number') {
    let json = '';
    for (let i = 0; i < parts; i++) json += String(entity[`${name}${i}`] ?? '');
    return JSON.parse(json) as T;
  }
  const one = entity[name];
  return typeof one === 'string' ? (JSON.parse(one) as T) : undefined;
}

/** The entity's own properties, without the JSON value `name` (either form) or the service's fields. */
function withoutJson(entity: Record<string, unknown>, name: string): Props {
  const out: Props = {};
  const part = new RegExp(`^${name}(\\d+|Parts)?$`);
  for (const [k, v] of Object.entries(entity)) {
    if (k === 'etag' || k === 'timestamp' || k === 'odata.metadata' || part.test(k)) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Drops undefined values: Table Storage has no null, an absent property is the absence. */
function defined(props: Record<string, string | boolean | number | undefined>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = v;
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Runs `status`-tolerant calls: the given statuses come back as the status, anything else throws. */
async function expect<T>(call: Promise<T>, ...statuses: number[]): Promise<T | number> {
  try {
    return await call;
  } catch (err) {
    const s = statusOf(err);
    if (s !== undefined && statuses.includes(s)) return s;
    throw err;
  }
}

/** Repeats a read-decide-write round until it settles; each round that loses a race reads again. */
async function rounds<T>(what: string, round: () => Promise<T | typeof AGAIN>): Promise<T> {
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const r = await round();
    if (r !== AGAIN) return r;
  }
  throw new Error(`Could not ${what}: other instances changed it ${MAX_ROUNDS} times while this one tried. Try again.`);
}
const AGAIN = Symbol('again');

// ---- audit keys ----

/** Epoch ms fit in 15 digits until the year 33658; inverting makes newer rows sort first. */
const MS_SPAN = 1e15;
const SEQ_SPAN = 1e6;
const ETAG = /^W\/"datetime'[0-9A-Za-z%.:-]+'"$/;
const AUDIT_ID = /^(\d{8})-(\d{15}-\d{6}-[0-9a-z]{8})$/;

function auditPartition(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  return String(99_999_999 - day).padStart(8, '0');
}

// ---- the store ----

const SECRET = 'secret';
const OPERATION = 'operation';
const SUBSCRIPTION = 'subscription';
/** A subscription's properties without its snapshot (a projection, so the snapshot is not even sent). */
const SUBSCRIPTION_COLUMNS = ['PartitionKey', 'RowKey', 'id', 'conversationId', 'cron', 'label', 'timeZone', 'scopes', 'severity', 'mode', 'createdBy', 'createdAt', 'enabled', 'disabledReason', 'pausedFor', 'lastRunAt'];
const OPEN = 'open';
const DONE = 'done';
/** A run's row key: the fixed-width instant first, so a row key range is a time range. */
const runKey = (runAt: string, subscriptionId: string) => `${runAt}|${tableKey(subscriptionId)}`;

type Entity = TableEntityResult<Record<string, unknown>>;

export async function openTableStore(opts: TableStoreOptions): Promise<TableBotStore> {
  const tables = tableNames(opts.prefix ?? DEFAULT_TABLE_PREFIX);
  const clock: Clock = opts.clock ?? { now: () => Date.now() };
  const conn = opts.connection;
  const counting = opts.onRequest
    ? {
        additionalPolicies: [
          {
            position: 'perCall' as const,
            policy: { name: 'pimCountRequests', sendRequest: (req: PipelineRequest, next: SendRequest) => (opts.onRequest!(req.method), next(req)) },
          },
        ],
      }
    : {};
  const client = (name: string): TableClient => {
    if ('connectionString' in conn) {
      // http is accepted only for a loopback endpoint (Azurite); config.ts refuses anything else.
      return TableClient.fromConnectionString(conn.connectionString, name, { allowInsecureConnection: true, ...counting });
    }
    return new TableClient(conn.url, name, conn.credential, counting);
  };
  const t = Object.fromEntries(TABLE_SUFFIXES.map((s) => [s, client(tables[s])])) as Record<TableRole, TableClient>;
  // Creating a table that exists is a no-op; the first instance to start creates them.
  await Promise.all(Object.values(t).map((c) => c.createTable()));

  const get = async (table: TableRole, pk: string, rk: string): Promise<Entity | undefined> => {
    const r = await expect(t[table].getEntity<Record<string, unknown>>(pk, rk), 404);
    return typeof r === 'number' ? undefined : r;
  };
  const list = async (table: TableRole, filter: string, select?: string[]): Promise<Entity[]> => {
    const out: Entity[] = [];
    for await (const e of t[table].listEntities<Record<string, unknown>>({ queryOptions: { filter, ...(select ? { select } : {}) } })) out.push(e);
    return out;
  };
  /** Insert-once: true when this call created the row, false when it existed. */
  const insert = async (table: TableRole, entity: Props & { partitionKey: string; rowKey: string }): Promise<string | false> => {
    const r = await expect(t[table].createEntity(entity), 409);
    return typeof r === 'number' ? false : (r.etag ?? '');
  };
  /** Replace or merge with the ETag that was read: false when someone changed (412) or deleted (404) it. */
  const update = async (table: TableRole, entity: Props & { partitionKey: string; rowKey: string }, etag: string, mode: 'Merge' | 'Replace' = 'Merge'): Promise<boolean> => {
    const r = await expect(t[table].updateEntity(entity, mode, { etag }), 412, 404);
    return typeof r !== 'number';
  };
  const remove = async (table: TableRole, pk: string, rk: string, etag = '*'): Promise<boolean> => {
    const r = await expect(t[table].deleteEntity(pk, rk, { etag }), 412, 404);
    return typeof r !== 'number';
  };

  // ---- sweeps ----
  let lastSweep = -Infinity;
  /**
   * Claims are judged by the times their callers give (claimAction's `at`), everything else by the
   * store's clock, as in SQLite: the latest `at` seen here says which claims have expired.
   */
  let latestClaimAt = -Infinity;
  let sweeping: Promise<void> | undefined;
  let closed = false;

  async function sweepNow(): Promise<void> {
    const now = clock.now();
    lastSweep = now;
    const nowIso = isoOf(now);
    const deleteAll = async (table: TableRole, rows: Entity[]) => {
      for (const r of rows) await remove(table, r.partitionKey!, r.rowKey!, r.etag);
    };
    if (latestClaimAt > -Infinity) await deleteAll('claims', await list('claims', odata`expiresAt le ${isoOf(latestClaimAt)}`, ['PartitionKey', 'RowKey']));
    await deleteAll('nonces', await list('nonces', odata`expiresAt le ${nowIso}`, ['PartitionKey', 'RowKey']));
    await deleteAll('operations', await list('operations', odata`PartitionKey eq ${OPERATION} and finished eq true and finishedAt le ${isoOf(now - FINISHED_RETENTION_MS)}`, ['PartitionKey', 'RowKey']));
    await deleteAll('digestruns', await list('digestruns', odata`PartitionKey eq ${DONE} and RowKey lt ${isoOf(now - RUN_RETENTION_MS)}`, ['PartitionKey', 'RowKey']));
    await deleteAll('leases', await list('leases', odata`until le ${isoOf(now - LEASE_RETENTION_MS)}`, ['PartitionKey', 'RowKey']));
    // Refusals are written for anyone who can reach the bot: beyond the newest maxRefused, they go.
    // Only after this process wrote some, so a quiet bot never scans its audit log.
    if (refusedSinceSweep > 0) {
      refusedSinceSweep = 0;
      const refused = await list('audit', odata`result eq 'refused'`, ['PartitionKey', 'RowKey']);
      await deleteAll('audit', refused.slice(maxRefused));
    }
    // Finished runs leave the open partition: a done row first, then the open row goes.
    for (const r of await list('digestruns', odata`PartitionKey eq ${OPEN} and completed eq true`)) {
      await t.digestruns.upsertEntity(doneRow(str(r.subscriptionId)!, str(r.runAt)!, str(r.owner) ?? '', str(r.outcome) ?? 'failed', str(r.completedAt) ?? nowIso), 'Replace');
      await remove('digestruns', OPEN, r.rowKey!, r.etag);
    }
  }

  /** Starts a sweep when the last one is old enough; the write that triggered it does not wait. */
  function maybeSweep(): void {
    if (closed || sweeping || clock.now() - lastSweep < SWEEP_INTERVAL_MS) return;
    sweeping = sweepNow()
      .catch((err: unknown) => opts.onSweepError?.(err as Error))
      .finally(() => {
        sweeping = undefined;
      });
  }

  // ---- rows ----

  function doneRow(subscriptionId: string, runAt: string, owner: string, outcome: string, completedAt: string) {
    return { partitionKey: DONE, rowKey: runKey(runAt, subscriptionId), subscriptionId, runAt, owner, outcome, completedAt };
  }

  function subscriptionRow(given: Subscription) {
    const sub = capSubscription(given);
    return {
      partitionKey: SUBSCRIPTION,
      rowKey: tableKey(sub.id),
      ...defined({
        id: text('subscription id', sub.id),
        conversationId: text('conversation id', sub.conversationId),
        cron: text('schedule', sub.cron),
        label: text('schedule label', sub.label),
        timeZone: text('time zone', sub.timeZone),
        scopes: text('scope list', JSON.stringify(sub.scopes ?? [])),
        severity: sub.severity,
        mode: sub.mode,
        createdBy: text('subscriber', JSON.stringify(sub.createdBy ?? {})),
        createdAt: sub.createdAt,
        enabled: sub.enabled,
        disabledReason: text('reason a subscription is paused', sub.disabledReason),
        pausedFor: sub.pausedFor,
        lastRunAt: sub.lastRunAt,
      }),
      ...(sub.lastSnapshot === undefined ? {} : jsonProps('snapshot', `digest snapshot of subscription ${sub.id}`, sub.lastSnapshot)),
    };
  }

  function subscriptionOf(e: Entity): Subscription {
    return compact({
      id: str(e.id)!,
      conversationId: str(e.conversationId)!,
      cron: str(e.cron)!,
      label: str(e.label)!,
      timeZone: str(e.timeZone)!,
      scopes: JSON.parse(str(e.scopes) ?? '[]') as string[],
      severity: str(e.severity) as Subscription['severity'],
      mode: str(e.mode) as Subscription['mode'],
      createdBy: JSON.parse(str(e.createdBy) ?? '{}') as Subscription['createdBy'],
      createdAt: str(e.createdAt)!,
      enabled: e.enabled === true,
      disabledReason: str(e.disabledReason),
      pausedFor: str(e.pausedFor) as SubscriptionPause | undefined,
      lastRunAt: str(e.lastRunAt),
      lastSnapshot: readJson<unknown>(e, 'snapshot'),
    });
  }

  function operationOf(e: Entity): PendingOperation {
    return compact({
      id: str(e.id)!,
      ...operationData(readJson<OperationData>(e, 'data')!),
      createdAt: str(e.createdAt)!,
      step: str(e.step) as OperationStep,
      leaseOwner: str(e.leaseOwner),
      leaseUntil: str(e.leaseUntil),
      outcome: readJson<OperationResult>(e, 'outcome'),
      outcomeAt: str(e.outcomeAt),
      tasksDone: readJson<PendingOperation['tasksDone']>(e, 'tasksDone') ?? {},
      finishedAt: str(e.finishedAt),
    });
  }

  function auditOf(e: Entity): AuditEntry {
    return compact({
      id: `${e.partitionKey}-${e.rowKey}`,
      at: str(e.at)!,
      actorObjectId: str(e.actorObjectId),
      actorName: str(e.actorName),
      tenantId: str(e.tenantId),
      action: str(e.action)!,
      scope: str(e.scope),
      alertId: str(e.alertId),
      incidentId: str(e.incidentId),
      result: str(e.result) as AuditEntry['result'],
      reason: str(e.reason) as RefusalReason | undefined,
      detail: str(e.detail),
      armRequestId: str(e.armRequestId),
      conversationId: str(e.conversationId),
      completedAt: str(e.completedAt),
    });
  }

  /** An audit row (strings capped); `seq` orders rows of one millisecond (newest first), `suffix` makes the key unique. */
  function auditRow(given: AuditEntry, seq: number, suffix: string) {
    const entry = capAuditEntry(given);
    const ms = toMs(entry.at, 'audit time');
    const invMs = String(MS_SPAN - 1 - ms).padStart(15, '0');
    const invSeq = String(SEQ_SPAN - 1 - seq).padStart(6, '0');
    return {
      partitionKey: auditPartition(ms),
      rowKey: `${invMs}-${invSeq}-${suffix}`,
      ...defined({
        at: entry.at,
        actorObjectId: entry.actorObjectId,
        actorName: entry.actorName,
        tenantId: entry.tenantId,
        action: entry.action,
        scope: entry.scope,
        alertId: entry.alertId,
        incidentId: entry.incidentId,
        result: entry.result,
        reason: entry.reason,
        detail: entry.detail,
        armRequestId: entry.armRequestId,
        conversationId: entry.conversationId,
        completedAt: entry.completedAt,
      }),
    };
  }

  function claimRow(key: string, given: { objectId?: string; name?: string }, at: string, expiresAt: string, result?: string) {
    const by = capActor(given);
    return {
      partitionKey: tableKey(key),
      rowKey: '',
      ...defined({ key: text('claim key', key), byObjectId: text('claimant id', by.objectId), byName: text('claimant name', by.name), at, expiresAt, result: text('claim result', result) }),
    };
  }

  const nonceRow = (nonce: string, expiresAt: string) => ({ partitionKey: tableKey(nonce), rowKey: '', nonce: text('nonce', nonce)!, expiresAt });

  /** A new operation (step started, nothing done), or one copied with its state (no lease). */
  function operationRow(given: NewPendingOperation & Partial<Pick<PendingOperation, 'step' | 'outcome' | 'outcomeAt' | 'tasksDone'>>) {
    const op = capPendingOperation(given);
    return {
      partitionKey: OPERATION,
      rowKey: tableKey(op.id),
      id: text('operation id', op.id)!,
      createdAt: op.createdAt,
      step: op.step ?? 'started',
      finished: false,
      ...jsonProps('data', `pending operation ${op.id}`, operationData(op)),
      ...jsonProps('tasksDone', `tasks of operation ${op.id}`, op.tasksDone ?? {}),
      ...(op.outcome ? { ...jsonProps('outcome', `outcome of operation ${op.id}`, capJsonStrings(op.outcome)), ...defined({ outcomeAt: op.outcomeAt }) } : {}),
    };
  }

  /**
   * One step of an operation's state machine: reads the operation, lets `decide` look at it, and
   * writes what it returns with the ETag read; a 412 reads and decides again. `decide` returns the
   * answer alone when nothing is to be written (the condition does not hold, or it holds already).
   */
  function operationStep<T>(id: string, what: string, decide: (op: PendingOperation) => { answer: T; write?: Props }, absent: T): Promise<T> {
    return rounds(what, async () => {
      const e = await get('operations', OPERATION, tableKey(id));
      if (!e) return absent;
      const { answer, write } = decide(operationOf(e));
      if (!write) return answer;
      return (await update('operations', { partitionKey: OPERATION, rowKey: e.rowKey!, ...write }, e.etag)) ? answer : AGAIN;
    });
  }

  /** The condition of every step after the lease: `owner` holds it and the operation has not ended. */
  const heldBy = (op: PendingOperation, owner: string) => op.leaseOwner === owner && op.finishedAt === undefined;

  function conversationRow(given: StoredConversationReference, at: string) {
    const ref = capConversationReference(given);
    return {
      partitionKey: tableKey(ref.conversation.id),
      rowKey: '',
      id: ref.conversation.id,
      updatedAt: at,
      ...jsonProps('ref', `reference of conversation ${ref.conversation.id.slice(0, 80)}`, ref),
    };
  }

  /**
   * Changes one subscription when `change` says so (it returns the new subscription, or undefined
   * to leave it): a Replace with the ETag read, so properties it drops are gone and a change made
   * meanwhile by another instance is read and judged again. True when it changed.
   */
  function changeSubscription(rowKey: string, what: string, change: (sub: Subscription) => Subscription | undefined): Promise<boolean> {
    return rounds(what, async () => {
      const e = await get('subscriptions', SUBSCRIPTION, rowKey);
      if (!e) return false;
      const next = change(subscriptionOf(e));
      if (!next) return false;
      return (await update('subscriptions', subscriptionRow(next), e.etag, 'Replace')) ? true : AGAIN;
    });
  }

  /** Deletes the unfinished runs of a subscription (its finished ones age out). */
  async function deleteOpenRunsOf(subscriptionId: string): Promise<void> {
    for (const r of await list('digestruns', odata`PartitionKey eq ${OPEN} and subscriptionId eq ${subscriptionId}`, ['PartitionKey', 'RowKey'])) {
      await remove('digestruns', OPEN, r.rowKey!);
    }
  }

  let auditSeq = 0;
  let refusedSinceSweep = 0;
  const maxRefused = Math.max(1, Math.floor(opts.maxRefusedAudit ?? MAX_REFUSED_AUDIT_ENTRIES));

  const store: TableBotStore = {
    tables,

    async sweep() {
      await sweeping;
      await sweepNow();
    },

    async getSecret(name) {
      return str((await get('secrets', SECRET, tableKey(name)))?.value);
    },

    async ensureSecret(name, create) {
      const existing = await store.getSecret(name);
      if (existing !== undefined) return existing;
      const value = create();
      if (typeof value !== 'string' || value === '') throw new Error(`The generated value for secret "${name}" was empty; the generator must return a non-empty string.`);
      // Insert-once: when another instance stored one first, its value is the one in force.
      if (await insert('secrets', { partitionKey: SECRET, rowKey: tableKey(name), name, value: text(`secret "${name}"`, value)!, createdAt: isoOf(clock.now()) })) return value;
      const stored = await store.getSecret(name);
      if (stored === undefined) throw new Error(`The secret "${name}" was created by another instance and then deleted; start the bot again.`);
      return stored;
    },

    async appendAudit(entry) {
      const seq = auditSeq++ % SEQ_SPAN;
      if (entry.result === 'refused') refusedSinceSweep++;
      maybeSweep();
      // The random suffix keeps rows of two instances in the same millisecond apart.
      return rounds('append the audit entry', async () => {
        const row = auditRow({ ...entry, completedAt: undefined }, seq, randomBytes(4).toString('hex'));
        return (await insert('audit', row)) === false ? AGAIN : `${row.partitionKey}-${row.rowKey}`;
      });
    },

    async completeAudit(id, outcome) {
      // Ids are "PK-RK" of this store's audit rows; anything else names no entry.
      const m = AUDIT_ID.exec(id);
      if (!m) return false;
      const o = capAuditOutcome(outcome);
      // One merge on the entry, only if it is there: the detail and request id stay when none is given.
      const r = await expect(
        t.audit.updateEntity({ partitionKey: m[1]!, rowKey: m[2]!, ...defined({ result: o.result, completedAt: o.at, detail: o.detail, armRequestId: o.armRequestId }) }, 'Merge', { etag: '*' }),
        404,
      );
      return typeof r !== 'number';
    },

    async latestAudit(limit) {
      const n = Math.max(0, Math.floor(limit));
      if (n === 0) return [];
      const out: AuditEntry[] = [];
      // The whole table in key order is newest first; pages stop as soon as n rows are in.
      for await (const page of t.audit.listEntities<Record<string, unknown>>().byPage({ maxPageSize: Math.min(n, 1000) })) {
        for (const e of page) {
          out.push(auditOf(e));
          if (out.length === n) return out;
        }
      }
      return out;
    },

    async claimAction(key, by, at, ttlMs) {
      const atMs = toMs(at, 'claim time');
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`A claim lifetime must be a positive number of milliseconds, not ${ttlMs}.`);
      latestClaimAt = Math.max(latestClaimAt, atMs);
      maybeSweep();
      const row = claimRow(key, by, at, isoOf(atMs + ttlMs));
      const pk = row.partitionKey;
      return rounds('claim the action', async () => {
        if ((await insert('claims', row)) !== false) return { claimed: true } as const;
        const held = await get('claims', pk, '');
        if (!held) return AGAIN; // released in between: try the insert again
        // A claim whose holder died (never completed or released) lapses at its expiry; taking
        // it over is a Replace with the ETag read, so of two takers exactly one gets it.
        if (Date.parse(str(held.expiresAt) ?? '') <= atMs) return (await update('claims', row, held.etag, 'Replace')) ? ({ claimed: true } as const) : AGAIN;
        return compact({
          claimed: false as const,
          by: compact({ objectId: str(held.byObjectId), name: str(held.byName) }),
          at: str(held.at)!,
          result: str(held.result),
        });
      });
    },

    async completeAction(key, result) {
      // A merge of one property on the claim, if it is still there: nothing read, nothing undone.
      await expect(t.claims.updateEntity({ partitionKey: tableKey(key), rowKey: '', result: text('claim result', result)! }, 'Merge', { etag: '*' }), 404);
    },

    async releaseAction(key) {
      await remove('claims', tableKey(key), '');
    },

    async isNonceUsed(nonce) {
      const e = await get('nonces', tableKey(nonce), '');
      return e !== undefined && Date.parse(str(e.expiresAt) ?? '') > clock.now();
    },

    async markNonceUsed(nonce, expiresAt) {
      const expires = canonicalInstant(expiresAt, 'nonce expiry');
      maybeSweep();
      await insert('nonces', nonceRow(nonce, expires));
    },

    async addPendingOperation(op) {
      maybeSweep();
      // A retried add finds the row there (409) and changes nothing.
      await insert('operations', operationRow(op));
    },

    async listUnreportedOperations() {
      const rows = await list('operations', odata`PartitionKey eq ${OPERATION} and finished eq false`);
      return rows.map(operationOf).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async getPendingOperation(id) {
      const e = await get('operations', OPERATION, tableKey(id));
      return e ? operationOf(e) : undefined;
    },

    async leasePendingOperation(id, owner, until, now) {
      const untilIso = canonicalInstant(until, 'lease end');
      const nowMs = toMs(now, 'current time');
      text('lease owner', owner);
      return operationStep(
        id,
        'take the refresh lease',
        (op) => {
          const heldUntil = Date.parse(op.leaseUntil ?? '');
          const takenByOther = op.leaseOwner !== undefined && op.leaseOwner !== owner && !Number.isNaN(heldUntil) && heldUntil > nowMs;
          if (op.finishedAt !== undefined || takenByOther) return { answer: false };
          // Free, lapsed or ours: take or extend it with the ETag read, so of two takers one wins.
          return { answer: true, write: { leaseOwner: owner, leaseUntil: untilIso } };
        },
        false,
      );
    },

    async markOperationStep(id, owner, step, at) {
      const from = Object.hasOwn(STEP_BEFORE, step) ? STEP_BEFORE[step] : undefined;
      if (!from) throw new Error(`"${String(step)}" is not a step an operation is moved to; use polling or reporting.`);
      toMs(at, 'step time');
      return operationStep(
        id,
        `move the refresh to ${step}`,
        (op) => {
          if (!heldBy(op, owner) || (op.step !== from && op.step !== step)) return { answer: false };
          return op.step === step ? { answer: true } : { answer: true, write: { step } };
        },
        false,
      );
    },

    async recordOperationOutcome(id, owner, given, at) {
      toMs(at, 'outcome time');
      const outcome = capJsonStrings(given);
      const props = jsonProps('outcome', `outcome of operation ${id}`, outcome);
      return operationStep<OperationResult | undefined>(
        id,
        'store the refresh outcome',
        (op) => {
          if (!heldBy(op, owner)) return { answer: undefined };
          // The outcome seen first is the one in force; a second one changes nothing.
          if (op.outcome !== undefined) return { answer: op.outcome };
          return { answer: outcome, write: { ...props, outcomeAt: at, step: 'outcomeKnown' } };
        },
        undefined,
      );
    },

    async markOutcomeTaskDone(id, owner, task, at) {
      if (!OUTCOME_TASKS.has(task)) throw new Error(`"${String(task)}" is not a task done after a refresh outcome; use one of ${[...OUTCOME_TASKS].join(', ')}.`);
      toMs(at, 'task time');
      return operationStep(
        id,
        `record the refresh task ${task}`,
        (op) => {
          if (!heldBy(op, owner) || op.outcome === undefined) return { answer: false };
          if (op.tasksDone[task] !== undefined) return { answer: true };
          return { answer: true, write: jsonProps('tasksDone', `tasks of operation ${id}`, { ...op.tasksDone, [task]: at }) };
        },
        false,
      );
    },

    async finishOperation(id, owner, end, at) {
      if (!OPERATION_ENDS.has(end)) throw new Error(`"${String(end)}" is not an end of an operation; use one of ${[...OPERATION_ENDS].join(', ')}.`);
      const atIso = canonicalInstant(at, 'finish time');
      return operationStep(
        id,
        'end the refresh',
        (op) => {
          if (!heldBy(op, owner) || op.outcome === undefined) return { answer: false };
          return { answer: true, write: { step: end, finished: true, finishedAt: atIso } };
        },
        false,
      );
    },

    async upsertConversation(ref: StoredConversationReference, at) {
      const id = ref?.conversation?.id;
      if (typeof id !== 'string' || id === '') throw new Error('A conversation reference without conversation.id cannot be stored; pass the reference from the incoming activity.');
      // The newest reference of a conversation is the right one, whoever writes it.
      await t.conversations.upsertEntity(conversationRow(ref, at), 'Replace');
    },

    async getConversation(conversationId) {
      const e = await get('conversations', tableKey(capConversationId(conversationId)), '');
      return e ? readJson<StoredConversationReference>(e, 'ref') : undefined;
    },

    async removeConversation(given) {
      const conversationId = capConversationId(given);
      let removed = 0;
      for (const sub of await list('subscriptions', odata`PartitionKey eq ${SUBSCRIPTION} and conversationId eq ${conversationId}`, ['PartitionKey', 'RowKey', 'id'])) {
        await deleteOpenRunsOf(str(sub.id)!);
        if (await remove('subscriptions', SUBSCRIPTION, sub.rowKey!)) removed++;
      }
      await remove('conversations', tableKey(conversationId), '');
      return removed;
    },

    async addSubscription(sub) {
      if ((await insert('subscriptions', subscriptionRow(sub))) === false) throw new Error(`A subscription with the id ${sub.id} exists already; subscriptions get a new random id each.`);
    },

    async listSubscriptions(filter = {}) {
      let q = odata`PartitionKey eq ${SUBSCRIPTION}`;
      if (filter.conversationId !== undefined) q += ` and ${odata`conversationId eq ${capConversationId(filter.conversationId)}`}`;
      if (filter.enabledOnly) q += ' and enabled eq true';
      const subs = (await list('subscriptions', q, filter.withoutSnapshots ? SUBSCRIPTION_COLUMNS : undefined)).map(subscriptionOf);
      return subs.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async deleteSubscription(id) {
      await deleteOpenRunsOf(id);
      return remove('subscriptions', SUBSCRIPTION, tableKey(id));
    },

    async disableSubscriptionsOf(conversationId, reason) {
      const why = capDetail(reason);
      let changed = 0;
      const rows = await list('subscriptions', odata`PartitionKey eq ${SUBSCRIPTION} and conversationId eq ${capConversationId(conversationId)}`, ['PartitionKey', 'RowKey']);
      for (const row of rows) {
        // Enabled, or paused by the bot: disabled for good, the pause ended (nothing resumes it).
        const done = await changeSubscription(row.rowKey!, 'disable the subscription', (sub) =>
          sub.enabled || sub.pausedFor !== undefined ? { ...sub, enabled: false, disabledReason: why, pausedFor: undefined } : undefined,
        );
        if (done) changed++;
      }
      return changed;
    },

    async pauseSubscription(id, pausedFor, reason) {
      const why = capDetail(reason);
      return changeSubscription(tableKey(id), 'pause the subscription', (sub) => (sub.enabled ? { ...sub, enabled: false, disabledReason: why, pausedFor } : undefined));
    },

    async resumeSubscription(id, pausedFor) {
      return changeSubscription(tableKey(id), 'resume the subscription', (sub) =>
        !sub.enabled && sub.pausedFor === pausedFor ? { ...sub, enabled: true, disabledReason: undefined, pausedFor: undefined } : undefined,
      );
    },

    async claimDigestRun(subscriptionId, runAt, owner) {
      const at = canonicalInstant(runAt, 'digest run time');
      maybeSweep();
      const rowKey = runKey(at, subscriptionId);
      // The claim: exactly one insert of the open row succeeds (a lost claim costs this one request).
      const etag = await insert('digestruns', { partitionKey: OPEN, rowKey, subscriptionId, runAt: at, owner: text('run owner', owner)!, claimedAt: isoOf(clock.now()), completed: false });
      if (etag === false) return false;
      // No such subscription, or a run finished long ago (its open row moved to a done row): give it back.
      const [sub, done] = await Promise.all([get('subscriptions', SUBSCRIPTION, tableKey(subscriptionId)), get('digestruns', DONE, rowKey)]);
      if (!sub || done) {
        await remove('digestruns', OPEN, rowKey, etag);
        return false;
      }
      let seen: Entity | undefined = sub;
      await rounds('record the run on the subscription', async () => {
        const e = seen ?? (await get('subscriptions', SUBSCRIPTION, tableKey(subscriptionId)));
        seen = undefined;
        const last = Date.parse(str(e?.lastRunAt) ?? '');
        if (!e || (!Number.isNaN(last) && last >= Date.parse(at))) return undefined;
        return (await update('subscriptions', { partitionKey: SUBSCRIPTION, rowKey: e.rowKey!, lastRunAt: at }, e.etag)) ? undefined : AGAIN;
      });
      return true;
    },

    async completeDigestRun(subscriptionId, runAt, outcome, snapshot) {
      const at = canonicalInstant(runAt, 'digest run time');
      const rowKey = runKey(at, subscriptionId);
      if (snapshot !== undefined) {
        const props = jsonProps('snapshot', `digest snapshot of subscription ${subscriptionId}`, snapshot);
        await rounds('store the digest snapshot', async () => {
          const e = await get('subscriptions', SUBSCRIPTION, tableKey(subscriptionId));
          if (!e) return undefined; // deleted meanwhile: nothing to keep it for
          // Replace (old parts of a longer snapshot must go) with the ETag read.
          return (await update('subscriptions', { ...withoutJson(e, 'snapshot'), ...props, partitionKey: SUBSCRIPTION, rowKey: e.rowKey! }, e.etag, 'Replace')) ? undefined : AGAIN;
        });
      }
      // One merge marks the open row finished: no longer listed, still blocking a claim. The sweep
      // moves it to the done partition later. Without an open row (completed twice), the done row says it.
      const completedAt = isoOf(clock.now());
      const r = await expect(t.digestruns.updateEntity({ partitionKey: OPEN, rowKey, completed: true, outcome, completedAt }, 'Merge', { etag: '*' }), 404);
      if (typeof r === 'number') await t.digestruns.upsertEntity(doneRow(subscriptionId, at, '', outcome, completedAt), 'Replace');
    },

    async listIncompleteDigestRuns() {
      const rows = await list('digestruns', odata`PartitionKey eq ${OPEN} and completed eq false`, ['subscriptionId', 'runAt', 'owner']);
      return rows
        .map((r) => ({ subscriptionId: str(r.subscriptionId)!, runAt: str(r.runAt)!, owner: str(r.owner)! }))
        .sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.subscriptionId < b.subscriptionId ? -1 : a.subscriptionId > b.subscriptionId ? 1 : 0));
    },

    async ping() {
      // One small request the service must answer: a key that is never written (404 is an answer),
      // given up after PING_TIMEOUT_MS rather than the client's retries, as a probe must answer soon.
      await expect(t.secrets.getEntity(SECRET, 'ping', { abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) }), 404);
    },

    async listLeases(group) {
      const rows = await list('leases', odata`PartitionKey eq ${tableKey(group)}`);
      return rows.map((e) => ({ name: str(e.name)!, owner: str(e.owner) ?? '', until: str(e.until)!, usableFrom: str(e.usableFrom)!, version: e.etag }));
    },

    async putLease(group, lease, version) {
      maybeSweep();
      text('lease group', group);
      const row = {
        partitionKey: tableKey(group),
        rowKey: tableKey(lease.name),
        name: text('lease name', lease.name)!,
        owner: capText(lease.owner, STORE_LIMITS.name),
        until: canonicalInstant(lease.until, 'lease end'),
        usableFrom: canonicalInstant(lease.usableFrom, 'lease start'),
      };
      // Insert-once for a new lease (409: another wrote it first); Replace with the ETag listed (412: changed since).
      if (version === undefined) {
        const etag = await insert('leases', row);
        return etag === false ? undefined : etag;
      }
      // Only an ETag this service gave out names a version; anything else matches nothing.
      if (!ETAG.test(version)) return undefined;
      const r = await expect(t.leases.updateEntity(row, 'Replace', { etag: version }), 412, 404);
      return typeof r === 'number' ? undefined : r.etag;
    },

    async copyIn(contents) {
      // Secrets first, and all of them checked before anything is written: a different signing
      // key in the target means instances already run there, and replacing it would break their buttons.
      for (const { name, value } of contents.secrets) {
        const there = await store.getSecret(name);
        if (there !== undefined && there !== value) {
          throw new Error(`The target already keeps a different "${name}", so bots already run on it; nothing was copied. Copy into new tables (another PIM_TABLE_PREFIX), or set PIM_ACTION_SECRET to the value in use.`);
        }
      }
      const report = Object.fromEntries(Object.keys(contents).map((k) => [k, { copied: 0, present: 0 }])) as CopyReport;
      // Every row is an insert-once with a key taken from the source, so a second copy finds them all.
      const put = async (kind: keyof StoreContents, table: TableRole, row: Props & { partitionKey: string; rowKey: string }) => {
        if ((await insert(table, row)) === false) report[kind].present++;
        else report[kind].copied++;
      };
      for (const { name, value } of contents.secrets) await put('secrets', 'secrets', { partitionKey: SECRET, rowKey: tableKey(name), name, value: text(`secret "${name}"`, value)!, createdAt: isoOf(clock.now()) });
      for (const entry of contents.audit) {
        // The key comes from the source id: a second copy finds the same row.
        const seq = (Number.parseInt(entry.id, 10) || 0) % SEQ_SPAN;
        await put('audit', 'audit', auditRow(entry, seq, `s${createHash('sha256').update(entry.id).digest('hex').slice(0, 7)}`));
      }
      for (const { ref, updatedAt } of contents.conversations) await put('conversations', 'conversations', conversationRow(ref, updatedAt));
      for (const sub of contents.subscriptions) await put('subscriptions', 'subscriptions', subscriptionRow(sub));
      for (const op of contents.pendingOperations) await put('pendingOperations', 'operations', operationRow(op));
      for (const c of contents.claims) await put('claims', 'claims', claimRow(c.key, c.by, c.at, canonicalInstant(c.expiresAt, 'claim expiry'), c.result));
      for (const n of contents.nonces) await put('nonces', 'nonces', nonceRow(n.nonce, canonicalInstant(n.expiresAt, 'nonce expiry')));
      return report;
    },

    async close() {
      closed = true;
      await sweeping;
    },
  };
  return store;
}
