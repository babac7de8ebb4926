import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sinon from 'sinon';
import { MIGRATIONS, openSqliteStore, SCHEMA_VERSION, type SqliteBotStore } from '../../bot/store/sqlite';
import { pendingOp, teamConversation } from './contract';

const T = (seconds: number) => new Date(Date.parse('2025-03-01T12:00:00.000Z') + seconds * 1000).toISOString();

describe('SQLite store', () => {
  let dir: string;
  let file: string;
  const open: SqliteBotStore[] = [];
  const openStore = (opts: Parameters<typeof openSqliteStore>[0] = {}) => {
    const s = openSqliteStore({ file, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-store-'));
    file = path.join(dir, 'data', 'bot.sqlite');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('creates the data folder (0700) and the file (0600) in WAL mode at the latest schema', () => {
      const s = openStore({ dataDir: path.join(dir, 'data'), file: 'bot.sqlite' });
      assert.equal(s.file, file);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
        assert.deepEqual(raw.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all(), MIGRATIONS.map((m) => m.version));
      } finally {
        raw.close();
      }
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
    });

    it('tightens the mode of an existing database file that others could read', async () => {
      await openStore().close();
      fs.chmodSync(file, 0o644);
      openStore();
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    });

    it('reopening applies no migration twice', async () => {
      await openStore().close();
      await openStore().close();
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.prepare('SELECT COUNT(*) FROM schema_version').pluck().get(), MIGRATIONS.length);
      } finally {
        raw.close();
      }
    });

    it('refuses a database written by a newer version of the bot', async () => {
      await openStore().close();
      const raw = new Database(file);
      raw.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', '2030-01-01')").run(SCHEMA_VERSION + 1);
      raw.close();
      assert.throws(() => openSqliteStore({ file }), /newer version of this bot/);
    });
  });

  // What every backend must do is in the BotStore contract (contract.ts, run by contract.test.ts);
  // these are what only the SQLite file does.
  describe('the file', () => {
    it('keeps the refusal reason in its own column', async () => {
      const s = openStore();
      await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'refused', reason: 'replay', detail: 'Replayed a card action that had already completed.' });
      const [e] = await s.latestAudit(1);
      assert.equal(e!.reason, 'replay');
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.prepare('SELECT reason FROM audit').pluck().get(), 'replay');
      } finally {
        raw.close();
      }
    });

    it('grows by kilobytes when it is sent megabytes of untrusted text', async () => {
      const s = openStore();
      const huge = (c: string) => c.repeat(480 * 1024);
      await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', actorName: huge('n'), action: huge('v'), result: 'refused', reason: 'verbMismatch', detail: huge('d'), conversationId: huge('c') });
      await s.upsertConversation({ ...teamConversation(), user: { id: '29:x', name: huge('u') } }, '2025-03-01T12:00:00.000Z');
      assert.ok(fs.statSync(file).size + fs.statSync(`${file}-wal`).size < 1024 * 1024, 'the store grew by kilobytes, not by the megabytes sent');
    });

    it('keeps a bounded number of refused entries (the newest) and every other entry', async () => {
      const s = openStore({ maxRefusedAudit: 5 });
      const ids: string[] = [];
      await s.appendAudit({ at: '2025-03-01T11:59:00.000Z', action: 'dismiss', result: 'attempted' });
      for (let i = 0; i < 12; i++) ids.push(await s.appendAudit({ at: `2025-03-01T12:00:${String(i).padStart(2, '0')}.000Z`, action: 'message', result: 'refused', reason: 'tenantNotAllowed' }));
      await s.appendAudit({ at: '2025-03-01T12:01:00.000Z', action: 'dismiss', result: 'succeeded' });
      const all = await s.latestAudit(100);
      assert.deepEqual(all.filter((e) => e.result === 'refused').map((e) => e.id), ids.slice(-5).reverse());
      assert.deepEqual(all.filter((e) => e.result !== 'refused').map((e) => e.result), ['succeeded', 'attempted']);
    });
    it('expired claims are pruned by later writes', async () => {
      const timers = sinon.useFakeTimers({ now: Date.parse('2025-03-01T12:00:00Z'), toFake: ['Date'] });
      try {
        const s = openStore({ clock: { now: () => Date.now() } });
        await s.claimAction('old', { name: 'x' }, '2025-03-01T12:00:00.000Z', 1000);
        timers.tick(2000);
        await s.claimAction('new', { name: 'y' }, '2025-03-01T12:00:02.000Z', 1000);
        const raw = new Database(file, { readonly: true });
        try {
          assert.deepEqual(raw.prepare('SELECT key FROM action_claims').pluck().all(), ['new']);
        } finally {
          raw.close();
        }
      } finally {
        timers.restore();
      }
    });

    it('migration 2 keeps operations of a version-1 database: reported ones ended, the others at started', async () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const raw = new Database(file);
      raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      raw.exec(MIGRATIONS[0]!.sql);
      raw.prepare("INSERT INTO schema_version VALUES (1, 'initial', '2025-03-01T00:00:00Z')").run();
      const insert = raw.prepare('INSERT INTO pending_operations (id, data, created_at, lease_owner, reported_at, reported_ms) VALUES (?, ?, ?, ?, ?, ?)');
      const { id: _reported, createdAt, ...data } = pendingOp('op-old-reported');
      insert.run('op-old-reported', JSON.stringify(data), createdAt, 'proc-old', T(9), Date.parse(T(9)));
      insert.run('op-old-pending', JSON.stringify(data), createdAt, 'proc-old', null, null);
      raw.close();
      const s = openStore();
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
      assert.deepEqual((await s.listUnreportedOperations()).map((o) => [o.id, o.step, o.leaseOwner]), [['op-old-pending', 'started', 'proc-old']]);
      const reported = (await s.getPendingOperation('op-old-reported'))!;
      assert.deepEqual([reported.step, reported.finishedAt, reported.tasksDone], ['reported', T(9), {}]);
    });
  });

  it('works in memory for tests', async () => {
    const s = openSqliteStore({ file: ':memory:' });
    open.push(s);
    assert.equal(s.file, ':memory:');
    assert.equal(await s.ensureSecret('x', () => 'y'), 'y');
  });

  describe('two real processes on one file', function () {
    this.timeout(30_000);
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
    });

    function spawnWorker(): Promise<ChildProcess> {
      const child = fork(path.join(__dirname, 'claim-worker.ts'), [file], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
        child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`unexpected ${String(m)}`))));
      });
    }

    it('each claim, lease, outcome and finish goes to exactly one process, and the loser names the winner', async () => {
      const s = openStore();
      const keys = Array.from({ length: 100 }, (_, i) => `dismiss|subscriptions/x|alert-${i}`);
      const operations = Array.from({ length: 100 }, (_, i) => `op-${i}`);
      for (const id of operations) await s.addPendingOperation(pendingOp(id));
      const [p1, p2] = await Promise.all([spawnWorker(), spawnWorker()]);
      type Result = { claims: Record<string, string>; leased: string[]; outcomes: string[]; reported: string[] };
      const result = (c: ChildProcess) =>
        new Promise<Result>((resolve, reject) => {
          c.removeAllListeners('exit');
          c.once('exit', (code) => code !== 0 && reject(new Error(`worker failed with ${code}`)));
          c.once('message', (m) => resolve(m as Result));
        });
      const done = Promise.all([result(p1!), result(p2!)]);
      const go = { keys, operations, at: '2025-03-01T12:00:00.000Z' };
      p1!.send({ ...go, name: 'proc-1', reverse: false });
      p2!.send({ ...go, name: 'proc-2', reverse: true });
      const [r1, r2] = await done;

      for (const k of keys) {
        // Both processes name the same winner for every key.
        assert.equal(r1.claims[k], r2.claims[k], k);
        assert.ok(['proc-1', 'proc-2'].includes(r1.claims[k]!));
      }
      for (const list of ['leased', 'reported'] as const) {
        const all = [...r1[list], ...r2[list]].sort();
        assert.deepEqual(all, [...operations].sort(), `${list}: every operation exactly once`);
      }
      // Only the lease holder's steps took effect: it stored the outcome (named after it) and finished.
      assert.deepEqual([...r1.outcomes].sort(), r1.leased.map((op) => `${op}=proc-1`).sort());
      assert.deepEqual([...r2.outcomes].sort(), r2.leased.map((op) => `${op}=proc-2`).sort());
      assert.deepEqual([...r1.reported].sort(), [...r1.leased].sort());
      assert.deepEqual(await s.listUnreportedOperations(), []);
    });
  });
});
