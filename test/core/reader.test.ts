// Reads shaped like ARM's limits: bounded per subscription under a global cap, identical reads in
// flight shared, a short cache that writes and refresh outcomes invalidate, and the time of the
// data remembered for the cards; a failing scope becomes a warning row instead of a failed reply.
import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createReadThrough, readAlertsAcrossScopes, readKeyOf, readTimeOf, type ReadPolicy } from '../../bot/core/reader';
import type { OperationHandle, OperationResult, PimAlertsApi } from '../../bot/azure/api';
import type { Alert } from '../../bot/azure/models';
import { ConfigError, loadConfig } from '../../bot/config';
import { normalizeScope } from '../../bot/azure/validate';

const ARM_MS = 200;
const sub = (i: number) => `subscriptions/00000000-0000-0000-0000-${String(i).padStart(12, '0')}`;
const alertOf = (scope: string): Alert => ({ id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/DuplicateRoleCreated`, name: 'DuplicateRoleCreated', type: 't', properties: { scope, isActive: true } });

/** An ARM stand-in that takes ARM_MS per read and records what was in flight. */
function slowArm() {
  const calls: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const perKey = new Map<string, number>();
  const peakPerKey = new Map<string, number>();
  let failing: (scope: string) => boolean = () => false;
  const api = {
    listAlerts: async (scope: string): Promise<Alert[]> => {
      calls.push(`list ${scope}`);
      const key = readKeyOf(scope);
      inFlight++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      peak = Math.max(peak, inFlight);
      peakPerKey.set(key, Math.max(peakPerKey.get(key) ?? 0, perKey.get(key)!));
      await new Promise((r) => setTimeout(r, ARM_MS));
      inFlight--;
      perKey.set(key, perKey.get(key)! - 1);
      if (failing(scope)) throw new Error(`The bot's identity lacks Microsoft.Authorization/roleAssignments/read at ${scope}.`);
      return [alertOf(scope)];
    },
    getAlert: async (scope: string, alertId: string) => {
      calls.push(`get ${scope} ${alertId}`);
      await new Promise((r) => setTimeout(r, ARM_MS));
      return alertOf(scope);
    },
    updateAlert: async (scope: string) => {
      calls.push(`patch ${scope}`);
      // Writes answer faster than reads here, so a read can start before a write and end after it.
      await new Promise((r) => setTimeout(r, ARM_MS / 4));
      return { requestId: 'r' };
    },
    pollOperation: async (handle: OperationHandle): Promise<OperationResult> => {
      calls.push(`poll ${handle.scope}`);
      await new Promise((r) => setTimeout(r, ARM_MS));
      return { outcome: 'succeeded', details: [], durationMs: ARM_MS, polls: 1 };
    },
  } as unknown as PimAlertsApi;
  return {
    api,
    calls,
    peak: () => peak,
    peakOf: (key: string) => peakPerKey.get(key) ?? 0,
    failWhen: (f: (scope: string) => boolean) => (failing = f),
  };
}

describe('reads shaped like ARM limits', () => {
  let clock: sinon.SinonFakeTimers;
  const now = { now: () => Date.now() };
  const policy = (p: Partial<ReadPolicy> = {}): ReadPolicy => ({ perSubscription: 4, inFlight: 64, cacheMs: 30_000, ...p });
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-03-02T09:00:00Z') });
  });
  afterEach(() => clock.restore());

  it('keys a read by its subscription; a management group is its own key', () => {
    assert.equal(readKeyOf('/subscriptions/ABC/resourceGroups/rg-1'), 'subscriptions/abc');
    assert.equal(readKeyOf('subscriptions/abc'), 'subscriptions/abc');
    assert.equal(readKeyOf('providers/Microsoft.Management/managementGroups/mg-1'), 'providers/microsoft.management/managementgroups/mg-1');
  });

  it('reads 50 different subscriptions all at once, in about the time of one read, in order', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy(), now);
    const scopes = Array.from({ length: 50 }, (_, i) => ({ scope: sub(i), displayName: `Sub ${i}` }));
    const done = readAlertsAcrossScopes(api, scopes);
    await clock.tickAsync(ARM_MS);
    const result = await done;
    assert.equal(arm.peak(), 50);
    assert.equal(Date.now() - Date.parse('2026-03-02T09:00:00Z'), ARM_MS, 'one round of reads');
    assert.deepEqual(result.map((r) => r.displayName), scopes.map((s) => s.displayName));
    assert.ok(result.every((r) => r.alerts?.length === 1 && r.readAt === Date.parse('2026-03-02T09:00:00.200Z')));
  });

  it('holds reads of one subscription to 4 in flight, without holding back the other subscriptions', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy(), now);
    const groups = Array.from({ length: 10 }, (_, i) => ({ scope: `${sub(1)}/resourceGroups/rg-${i}` }));
    const others = [{ scope: sub(2) }, { scope: sub(3) }];
    const started = Date.now();
    let othersDoneAt = 0;
    const busy = readAlertsAcrossScopes(api, groups);
    const quiet = readAlertsAcrossScopes(api, others).then((r) => ((othersDoneAt = Date.now()), r));
    await clock.tickAsync(3 * ARM_MS);
    await Promise.all([busy, quiet]);
    assert.equal(arm.peakOf(sub(1)), 4);
    assert.equal(othersDoneAt - started, ARM_MS, 'the other subscriptions do not queue behind the busy one');
    assert.equal(Date.now() - started, 3 * ARM_MS, 'ceil(10 / 4) rounds for the busy subscription');
  });

  it('never has more than the global cap in flight', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy({ inFlight: 64 }), now);
    const done = readAlertsAcrossScopes(api, Array.from({ length: 100 }, (_, i) => ({ scope: sub(i) })));
    await clock.tickAsync(2 * ARM_MS);
    await done;
    assert.equal(arm.peak(), 64);
  });

  it('shares identical reads in flight: two people asking at once cause one list call per scope', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy({ cacheMs: 0 }), now);
    const scopes = [{ scope: sub(1) }, { scope: `/${sub(2)}` }, { scope: sub(3) }];
    const both = Promise.all([readAlertsAcrossScopes(api, scopes), readAlertsAcrossScopes(api, scopes.map((s) => ({ scope: s.scope.toUpperCase() })))]);
    await clock.tickAsync(ARM_MS);
    const [a, b] = await both;
    assert.equal(arm.calls.length, 3, arm.calls.join('; '));
    assert.equal(a[0]!.alerts, b[0]!.alerts, 'the same answer');
    // Without a cache, the next read asks again.
    const again = readAlertsAcrossScopes(api, scopes);
    await clock.tickAsync(ARM_MS);
    await again;
    assert.equal(arm.calls.length, 6);
  });

  it('keeps an answer for the cache time, then reads again', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy({ cacheMs: 30_000 }), now);
    const first = api.listAlerts(sub(1));
    await clock.tickAsync(ARM_MS);
    const alerts = await first;
    await clock.tickAsync(29_000);
    assert.equal(await api.listAlerts(sub(1)), alerts, 'answered from the cache');
    assert.equal(readTimeOf(await api.listAlerts(sub(1))), Date.parse('2026-03-02T09:00:00.200Z'), 'as of when ARM answered');
    assert.equal(arm.calls.length, 1);
    await clock.tickAsync(1_000);
    const later = api.listAlerts(sub(1));
    await clock.tickAsync(ARM_MS);
    assert.notEqual(await later, alerts);
    assert.equal(arm.calls.length, 2);
  });

  it('drops what it kept for a scope when a write goes through it, and keeps no read that raced the write', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy(), now);
    const step = async <T>(...work: Array<Promise<T>>) => {
      const all = Promise.all(work);
      await clock.tickAsync(ARM_MS);
      return all;
    };
    await step(api.listAlerts(sub(1)), api.listAlerts(sub(2)));
    await step(api.updateAlert(sub(1), 'DuplicateRoleCreated', { isActive: false }));
    await step(api.listAlerts(sub(1)));
    assert.deepEqual(arm.calls.filter((c) => c.includes(sub(1))), [`list ${sub(1)}`, `patch ${sub(1)}`, `list ${sub(1)}`]);
    // A read that was in flight while a write went through must not be kept: it may show the old state.
    const racing = api.listAlerts(sub(3));
    await clock.tickAsync(ARM_MS / 4);
    await step(api.updateAlert(sub(3), 'DuplicateRoleCreated', { isActive: false }));
    await racing;
    await step(api.listAlerts(sub(3)));
    assert.deepEqual(arm.calls.filter((c) => c.includes(sub(3))), [`list ${sub(3)}`, `patch ${sub(3)}`, `list ${sub(3)}`]);
    await api.listAlerts(sub(2));
    assert.equal(arm.calls.filter((c) => c === `list ${sub(2)}`).length, 1, 'another scope keeps its answer');
  });

  it('drops what it kept for a scope when a refresh ends, whatever its outcome', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy(), now);
    const warm = api.getAlert(sub(1), 'DuplicateRoleCreated');
    await clock.tickAsync(ARM_MS);
    await warm;
    const poll = api.pollOperation({ location: 'x', scope: `/${sub(1)}`, startedAt: new Date().toISOString() });
    await clock.tickAsync(ARM_MS);
    await poll;
    const after = api.getAlert(sub(1), 'duplicaterolecreated');
    await clock.tickAsync(ARM_MS);
    await after;
    assert.equal(arm.calls.filter((c) => c.startsWith('get')).length, 2);
  });

  it('hands out frozen answers, so one reader cannot change what another is shown', async () => {
    const arm = slowArm();
    const api = createReadThrough(arm.api, policy(), now);
    const read = api.listAlerts(sub(1));
    await clock.tickAsync(ARM_MS);
    const alerts = await read;
    assert.throws(() => {
      (alerts[0]!.properties as { isActive: boolean }).isActive = false;
    }, TypeError);
  });

  it('turns a failing scope into a warning row, keeps the others, and does not keep the failure', async () => {
    const arm = slowArm();
    arm.failWhen((s) => s.endsWith('7'));
    const api = createReadThrough(arm.api, policy(), now);
    const scopes = Array.from({ length: 10 }, (_, i) => ({ scope: sub(i) }));
    const done = readAlertsAcrossScopes(api, scopes);
    await clock.tickAsync(ARM_MS);
    const result = await done;
    assert.equal(result.length, 10);
    assert.match(result[7]!.error!, /lacks Microsoft.Authorization\/roleAssignments\/read/);
    assert.ok(result.filter((r, i) => i !== 7).every((r) => Array.isArray(r.alerts) && !r.error));
    arm.failWhen(() => false);
    const again = readAlertsAcrossScopes(api, scopes);
    await clock.tickAsync(ARM_MS);
    assert.ok((await again)[7]!.alerts, 'the failed scope is read again, the others come from the cache');
    assert.equal(arm.calls.length, 11);
  });
});

describe('read settings', () => {
  const load = (env: Record<string, string>) => loadConfig(env, { normalizeScope, localEndpoint: 'http://127.0.0.1:1', localScopes: [{ scope: sub(1) }] });

  it('defaults to 4 per subscription, 64 in flight and 30 s of cache; 0 turns the cache off', () => {
    assert.deepEqual(load({}).reads, { perSubscription: 4, inFlight: 64, cacheMs: 30_000 });
    assert.deepEqual(load({ PIM_READS_PER_SUBSCRIPTION: '2', PIM_READS_IN_FLIGHT: '16', PIM_READ_CACHE_SECONDS: '0' }).reads, { perSubscription: 2, inFlight: 16, cacheMs: 0 });
  });

  it('refuses the retired PIM_READ_CONCURRENCY with what replaced it', () => {
    assert.throws(() => load({ PIM_READ_CONCURRENCY: '8' }), (err: unknown) => err instanceof ConfigError && err.variable === 'PIM_READ_CONCURRENCY' && /PIM_READS_PER_SUBSCRIPTION/.test(err.message));
  });
});
