// What only the Table Storage backend does, on Azurite: its table layout, the limits of Table
// Storage (refused with a clear error, never a half-written row), the sweep of expired rows, a
// digest run whose completion was cut short, and the selection of the backend from the settings.
// What every backend does is in the contract (contract.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { normalizeScope } from '../../bot/azure/validate';
import { ConfigError, loadConfig } from '../../bot/config';
import { openStore } from '../../bot/store';
import { MAX_JSON_CHARS, MAX_PROPERTY_CHARS, RUN_RETENTION_MS, TABLE_SUFFIXES, openTableStore, tableKey, type TableBotStore } from '../../bot/store/table';
import { createActionSigner, loadOrCreateSecret } from '../../bot/security/signing';
import { startAzurite, uniqueTablePrefix, type Azurite } from '../helpers/azurite';
import { manualClock, pendingOp, subscription, succeededOutcome } from './contract';

const DAY = 24 * 60 * 60_000;

describe('Table Storage store', function () {
  this.timeout(30_000);
  let azurite: Azurite;
  let prefix: string;
  const opened: TableBotStore[] = [];
  const open = async (clock = manualClock('2025-03-05T12:00:00.000Z')) => {
    const s = await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix, clock });
    opened.push(s);
    return s;
  };
  const raw = (role: (typeof TABLE_SUFFIXES)[number]) => TableClient.fromConnectionString(azurite.connectionString, `${prefix}${role}`, { allowInsecureConnection: true });
  const rows = async (role: (typeof TABLE_SUFFIXES)[number]) => {
    const out: Array<Record<string, unknown>> = [];
    for await (const e of raw(role).listEntities<Record<string, unknown>>()) out.push(e);
    return out;
  };

  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => azurite.close());
  beforeEach(() => {
    prefix = uniqueTablePrefix();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  describe('layout', () => {
    it('creates its tables under the prefix, once, however many instances open them', async () => {
      await Promise.all([open(), open()]);
      const names: string[] = [];
      for await (const t of TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true }).listTables()) {
        if (t.name?.startsWith(prefix)) names.push(t.name);
      }
      assert.deepEqual(names.sort(), TABLE_SUFFIXES.map((s) => `${prefix}${s}`).sort());
    });

    it('audit rows: partitioned by inverted day, newest first by row key, so the latest n are the first n of one query', async () => {
      const s = await open();
      await s.appendAudit({ at: '2025-03-01T23:00:00.000Z', action: 'dismiss', result: 'succeeded' });
      await s.appendAudit({ at: '2025-03-02T08:00:00.000Z', action: 'remediate', result: 'succeeded' });
      await s.appendAudit({ at: '2025-03-02T08:00:00.000Z', action: 'refresh', result: 'started' });
      const stored = await rows('audit');
      assert.deepEqual(stored.map((e) => e.partitionKey), [String(99_999_999 - 20250302), String(99_999_999 - 20250302), String(99_999_999 - 20250301)]);
      assert.deepEqual(stored.map((e) => e.action), ['refresh', 'remediate', 'dismiss'], 'within one millisecond, the later append first');
      assert.match(String(stored[0]!.rowKey), /^\d{15}-\d{6}-[0-9a-f]{8}$/);
    });

    it('keys: characters Table Storage forbids are encoded, long keys hashed, and distinct strings stay distinct', () => {
      const samples = ['a/b', 'a%2Fb', 'a%2fb', 'a#b', 'a?b', 'a\\b', 'tab\tx', 'del\u007fx', '19:abc@thread.tacv2;messageid=1', 'x'.repeat(400), 'x'.repeat(401), 'x'.repeat(5000)];
      const keys = samples.map(tableKey);
      assert.equal(new Set(keys).size, samples.length);
      for (const k of keys) {
        assert.doesNotMatch(k, /[/\\#?\u0000-\u001f\u007f-\u009f]/);
        assert.ok(k.length <= 400 + 2 + 64);
      }
      assert.equal(tableKey('19:abc@thread.tacv2;messageid=1'), '19:abc@thread.tacv2;messageid=1', 'ordinary ids are kept as they are');
      assert.match(tableKey('x'.repeat(401)), /^%h[0-9a-f]{64}$/);
    });
  });

  describe("Table Storage's limits", () => {
    it('a value longer than one property holds is refused with a plain sentence, and nothing is stored', async () => {
      const s = await open();
      const key = `configure:${'k'.repeat(MAX_PROPERTY_CHARS)}`;
      await assert.rejects(s.claimAction(key, { name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000), {
        message: `The claim key is ${key.length} characters long; Table Storage keeps at most ${MAX_PROPERTY_CHARS} in one value. Shorten it.`,
      });
      assert.deepEqual(await rows('claims'), []);
    });

    it('a JSON value is split over properties of at most 32,000 characters, and one too large for an entity is refused', async () => {
      const s = await open();
      await s.addSubscription(subscription('sub-1', 'c1'));
      const fits = { blob: 'y'.repeat(MAX_JSON_CHARS - 20) };
      await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
      await s.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', fits);
      const [row] = await rows('subscriptions');
      assert.equal(row!.snapshotParts, Math.ceil(JSON.stringify(fits).length / MAX_PROPERTY_CHARS));
      for (const [k, v] of Object.entries(row!)) if (typeof v === 'string') assert.ok(v.length <= MAX_PROPERTY_CHARS, k);
      assert.deepEqual((await s.listSubscriptions())[0]!.lastSnapshot, fits);

      await s.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-a');
      await assert.rejects(s.completeDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'sent', { blob: 'z'.repeat(MAX_JSON_CHARS) }), /Table Storage keeps at most 448000 in one entity/);
      assert.deepEqual((await s.listSubscriptions())[0]!.lastSnapshot, fits, 'the stored snapshot is untouched');
    });

    it('text in any language survives a large entity (kept as ASCII JSON)', async () => {
      const s = await open();
      const ref = { ...pendingOp('op-1').conversation, conversation: { id: '19:x@thread.tacv2', name: `Équipe Sécurité — 安全チーム ${'😀'.repeat(10)}` }, padding: Array.from({ length: 60 }, (_, i) => `${i} ${'ü'.repeat(1000)}`) };
      await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
      assert.deepEqual(await s.getConversation('19:x@thread.tacv2'), ref);
    });
  });

  describe('sweep', () => {
    it('keeps a bounded number of refused entries (the newest) and every other entry', async () => {
      const clock = manualClock('2025-03-01T12:00:00.000Z');
      const s = await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix, clock, maxRefusedAudit: 5 });
      opened.push(s);
      const ids: string[] = [];
      await s.appendAudit({ at: '2025-02-28T11:59:00.000Z', action: 'dismiss', result: 'attempted' });
      for (let i = 0; i < 12; i++) ids.push(await s.appendAudit({ at: `2025-03-01T12:00:${String(i).padStart(2, '0')}.000Z`, action: 'message', result: 'refused', reason: 'tenantNotAllowed' }));
      await s.appendAudit({ at: '2025-03-01T12:01:00.000Z', action: 'dismiss', result: 'succeeded' });
      await s.sweep();
      const all = await s.latestAudit(100);
      assert.deepEqual(all.filter((e) => e.result === 'refused').map((e) => e.id), ids.slice(-5).reverse());
      assert.deepEqual(all.filter((e) => e.result !== 'refused').map((e) => e.result), ['succeeded', 'attempted']);
    });


    it('deletes expired claims and nonces, long-reported operations and old finished runs, and keeps the rest', async () => {
      const clock = manualClock('2025-03-01T12:00:00.000Z');
      const s = await open(clock);
      await s.claimAction('old', { name: 'x' }, '2025-03-01T12:00:00.000Z', 1000);
      await s.claimAction('fresh', { name: 'y' }, '2025-03-01T12:00:00.000Z', DAY);
      await s.markNonceUsed('n-old', '2025-03-01T12:30:00.000Z');
      await s.markNonceUsed('n-fresh', '2025-03-09T12:00:00.000Z');
      await s.addPendingOperation(pendingOp('op-reported'));
      await s.addPendingOperation(pendingOp('op-open'));
      await s.leasePendingOperation('op-reported', 'proc-a', '2025-03-01T12:01:00.000Z', '2025-03-01T12:00:00.000Z');
      await s.recordOperationOutcome('op-reported', 'proc-a', succeededOutcome(), '2025-03-01T12:00:00.000Z');
      assert.equal(await s.finishOperation('op-reported', 'proc-a', 'reported', '2025-03-01T12:00:00.000Z'), true);
      await s.addSubscription(subscription('sub-1', 'c1'));
      await s.claimDigestRun('sub-1', '2025-03-01T08:00:00.000Z', 'proc-a');
      await s.completeDigestRun('sub-1', '2025-03-01T08:00:00.000Z', 'sent');

      clock.set('2025-03-02T11:00:00.000Z');
      await s.claimAction('later', { name: 'z' }, '2025-03-02T11:00:00.000Z', DAY);
      await s.sweep();
      assert.deepEqual((await rows('claims')).map((r) => r.key).sort(), ['fresh', 'later']);
      assert.deepEqual((await rows('nonces')).map((r) => r.nonce), ['n-fresh']);
      assert.equal((await rows('operations')).length, 2, 'an ended operation is kept 30 days');
      assert.equal((await rows('digestruns')).length, 1);

      clock.advance(RUN_RETENTION_MS);
      await s.sweep();
      assert.deepEqual((await rows('operations')).map((r) => r.id), ['op-open']);
      assert.deepEqual(await rows('digestruns'), []);
    });

    it('runs by itself on the way past a write, at most every ten minutes', async () => {
      const clock = manualClock('2025-03-01T12:00:00.000Z');
      const s = await open(clock);
      await s.markNonceUsed('n1', '2025-03-01T12:01:00.000Z');
      clock.advance(5 * 60_000);
      await s.markNonceUsed('n2', '2025-03-02T12:00:00.000Z');
      await s.sweep(); // waits for any sweep in flight, then sweeps: n1 goes
      assert.deepEqual((await rows('nonces')).map((r) => r.nonce), ['n2']);
      await s.markNonceUsed('n3', '2025-03-01T12:06:00.000Z');
      clock.advance(9 * 60_000);
      await s.markNonceUsed('n4', '2025-03-02T12:00:00.000Z');
      assert.equal((await rows('nonces')).length, 3, 'no sweep within ten minutes of the last');
      clock.advance(60_000);
      await s.markNonceUsed('n5', '2025-03-02T12:00:00.000Z');
      await s.close(); // waits for the sweep it started
      assert.deepEqual((await rows('nonces')).map((r) => r.nonce).sort(), ['n2', 'n4', 'n5']);
    });
  });

  it('a finished run stays in the open partition, finished, until the sweep moves it to done; claimable at no point', async () => {
    const s = await open();
    await s.addSubscription(subscription('sub-1', 'c1'));
    await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
    await s.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent');
    assert.deepEqual((await rows('digestruns')).map((r) => [r.partitionKey, r.completed, r.outcome]), [['open', true, 'sent']], 'one write finished it');
    assert.deepEqual(await s.listIncompleteDigestRuns(), []);
    assert.equal(await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-b'), false);
    await s.sweep();
    assert.deepEqual((await rows('digestruns')).map((r) => [r.partitionKey, r.outcome]), [['done', 'sent']]);
    assert.equal(await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-b'), false);
    assert.deepEqual((await rows('digestruns')).map((r) => r.partitionKey), ['done'], 'the losing claim left nothing behind');
  });

  it('ping fails when Table Storage does not answer (the readiness probe says so)', async () => {
    const s = await open();
    const gone = await startAzurite();
    const unreachable = await openTableStore({ connection: { connectionString: gone.connectionString }, prefix, clock: manualClock('2025-03-05T12:00:00.000Z') });
    opened.push(unreachable);
    await gone.close();
    await s.ping();
    await assert.rejects(unreachable.ping());
  });

  describe('selection (PIM_STORE)', () => {
    const load = (env: Record<string, string>) =>
      loadConfig(
        { PIM_SCOPES: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f', PIM_ALLOWED_TENANTS: '72f988bf-86f1-41af-91ab-2d7cd011db47', ...env },
        { normalizeScope },
      );
    const refused = (env: Record<string, string>, variable: string, message: RegExp) =>
      assert.throws(() => load(env), (err: unknown) => err instanceof ConfigError && err.variable === variable && message.test(err.message) && !err.message.includes('\n'));

    it('SQLite by default; Table Storage with the identity or a connection string', () => {
      assert.deepEqual(load({}).store, { kind: 'sqlite' });
      assert.deepEqual(load({ PIM_STORE: 'table', PIM_TABLE_URL: 'https://pimalertsst.table.core.windows.net/' }).store, {
        kind: 'table',
        prefix: 'pimalerts',
        url: 'https://pimalertsst.table.core.windows.net',
      });
      assert.deepEqual(load({ PIM_STORE: 'Table', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', PIM_TABLE_PREFIX: 'botTwo' }).store, {
        kind: 'table',
        prefix: 'botTwo',
        connectionString: 'UseDevelopmentStorage=true',
      });
    });

    it('refuses, in one line naming the variable, every setting that cannot work', () => {
      refused({ PIM_STORE: 'cosmos' }, 'PIM_STORE', /expected one of sqlite, table/);
      refused({ PIM_STORE: 'table' }, 'PIM_TABLE_URL', /is required when PIM_STORE=table/);
      refused({ PIM_TABLE_URL: 'https://a.table.core.windows.net' }, 'PIM_TABLE_URL', /PIM_STORE is sqlite/);
      refused({ PIM_STORE: 'table', PIM_TABLE_URL: 'http://a.table.core.windows.net' }, 'PIM_TABLE_URL', /https table endpoint/);
      refused({ PIM_STORE: 'table', PIM_TABLE_URL: 'https://a.table.core.windows.net/?sv=2024&sig=abc' }, 'PIM_TABLE_URL', /SAS token/);
      refused({ PIM_STORE: 'table', PIM_TABLE_URL: 'not a url' }, 'PIM_TABLE_URL', /is not a URL/);
      refused({ PIM_STORE: 'table', PIM_TABLE_URL: 'https://a.table.core.windows.net', PIM_CREDENTIAL: 'none', ARM_ENDPOINT: 'http://127.0.0.1:9' }, 'PIM_TABLE_URL', /PIM_CREDENTIAL is none/);
      refused({ PIM_STORE: 'table', PIM_TABLE_URL: 'https://a.table.core.windows.net', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }, 'PIM_TABLE_URL', /both set/);
      refused({ PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: 'hello' }, 'AZURE_STORAGE_CONNECTION_STRING', /AccountKey or SharedAccessSignature/);
      refused(
        { PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net' },
        'AZURE_STORAGE_CONNECTION_STRING',
        /plain-http table endpoint on a\.table\.core\.windows\.net/,
      );
      refused({ PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', PIM_TABLE_PREFIX: 'pim-alerts' }, 'PIM_TABLE_PREFIX', /letters and digits/);
      refused({ PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', PIM_TABLE_PREFIX: `p${'x'.repeat(60)}` }, 'PIM_TABLE_PREFIX', /at most 50/);
    });

    it('never puts the connection string in an error message', () => {
      const secret = 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0LWtleQ==;EndpointSuffix=core.windows.net';
      try {
        load({ PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: secret });
        assert.fail('refused');
      } catch (err) {
        assert.ok(!(err as Error).message.includes('c2VjcmV0LWtleQ'));
      }
    });

    it('opens the store the settings name, and a signing key generated there is the one every instance uses', async () => {
      const config = load({ PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, PIM_TABLE_PREFIX: prefix });
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-select-'));
      try {
        const [a, b] = await Promise.all([openStore(config.store, { dataDir }), openStore(config.store, { dataDir })]);
        const [ka, kb] = await Promise.all([loadOrCreateSecret(a), loadOrCreateSecret(b)]);
        assert.equal(ka, kb, 'two instances starting together agree on one key');
        const token = createActionSigner({ secret: ka }).sign({ verb: 'dismiss', scope: 'subscriptions/x', alertId: 'a' });
        assert.equal(createActionSigner({ secret: kb }).verify(token).ok, true);
        assert.equal((await rows('secrets')).length, 1);
        assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing is written to DATA_DIR');
        await a.close();
        await b.close();
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
