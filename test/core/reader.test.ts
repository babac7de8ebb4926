// Reading alerts across many scopes: bounded concurrency (ARM's per-subscription read limits),
// answers in input order, and a failing scope becomes a warning row instead of a failed reply.
import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { readAlertsAcrossScopes } from '../../bot/core/reader';
import type { Alert } from '../../bot/azure/models';

describe('reading alerts across scopes', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const scopes = Array.from({ length: 50 }, (_, i) => ({ scope: `subscriptions/00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, displayName: `Sub ${i}` }));

  it('reads 50 scopes with at most 8 in flight, in about the time of 7 reads, in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const api = {
      listAlerts: async (scope: string): Promise<Alert[]> => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 200)); // one ARM read
        inFlight--;
        return [{ id: `/${scope}/x`, name: 'DuplicateRoleCreated', type: 't', properties: { scope, isActive: true } }];
      },
    };
    const done = readAlertsAcrossScopes(api, scopes, 8);
    await clock.tickAsync(7 * 200);
    const result = await done;
    assert.equal(peak, 8);
    assert.equal(clock.now, 1400, 'ceil(50 / 8) = 7 rounds of 200 ms');
    assert.deepEqual(result.map((r) => r.displayName), scopes.map((s) => s.displayName));
    assert.ok(result.every((r) => r.alerts?.length === 1));
  });

  it('turns a failing scope into a warning row and keeps the others', async () => {
    const api = {
      listAlerts: async (scope: string): Promise<Alert[]> => {
        if (scope.endsWith('7')) throw new Error("The bot's identity lacks Microsoft.Authorization/roleAssignments/read at " + scope + '.');
        return [];
      },
    };
    const result = await readAlertsAcrossScopes(api, scopes.slice(0, 10), 4);
    assert.equal(result.length, 10);
    assert.match(result[7]!.error!, /lacks Microsoft.Authorization\/roleAssignments\/read/);
    assert.ok(result.filter((r, i) => i !== 7).every((r) => Array.isArray(r.alerts) && !r.error));
  });
});
