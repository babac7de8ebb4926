import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { DenyAssignment, RbacApi, RoleAssignment, RoleDefinition } from '../../bot/azure/api';
import { RbacClient } from '../../bot/azure/rbac';
import { createAuthorizer, parseOperators, tenantAllowed } from '../../bot/security/authorizer';
import { startSimulator, type Simulator } from '../../sim/server';
import { ALL_PRINCIPALS_ID, DENY_ASSIGNMENT_IDS, PLAYGROUND_USER_OBJECT_ID, PRINCIPAL_IDS, SCOPES } from '../../sim/seed';

const defs = (JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'role-definitions.json'), 'utf8')) as { value: RoleDefinition[] }).value;
const OWNER = defs.find((d) => d.properties.roleName === 'Owner')!;
const READER = defs.find((d) => d.properties.roleName === 'Reader')!;

const SCOPE = 'subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f';
const ALICE = { objectId: '6de8c7b4-3d1a-4f6b-9a77-0c1d2e3f4a5b', name: 'Alice Example', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' };
const BOB = { objectId: '7e9f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5c', name: 'Bob Example', tenantId: ALICE.tenantId };

function assignmentOf(def: RoleDefinition, principalId: string, scope = `/${SCOPE}`): RoleAssignment {
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/a1b2c3d4-0000-4000-8000-000000000001`,
    name: 'a1b2c3d4-0000-4000-8000-000000000001',
    type: 'Microsoft.Authorization/roleAssignments',
    properties: { roleDefinitionId: def.id, principalId, principalType: 'User', scope, condition: null },
  };
}

/** An RBAC API whose answers the test sets per person (and deny assignments per scope). */
function fakeRbac(byPerson: Record<string, RoleAssignment[]>, denyByScope: Record<string, DenyAssignment[]> = {}) {
  const api = {
    listRoleAssignmentsForPrincipal: sinon.spy(async (_scope: string, objectId: string) => byPerson[objectId] ?? []),
    listDenyAssignments: sinon.spy(async (scope: string) => denyByScope[scope] ?? []),
    getRoleDefinition: sinon.spy(async (id: string) => {
      const d = defs.find((x) => x.id.toLowerCase() === id.toLowerCase());
      if (!d) throw new Error(`RoleDefinitionDoesNotExist: ${id}`);
      return d;
    }),
  };
  return api satisfies RbacApi;
}

describe('authorizer', () => {
  let timers: sinon.SinonFakeTimers;
  const clock = { now: () => Date.now() };

  beforeEach(() => {
    timers = sinon.useFakeTimers({ now: Date.parse('2025-03-01T12:00:00Z'), toFake: ['Date'] });
  });
  afterEach(() => timers.restore());

  describe('rbac mode', () => {
    it('allows an Owner, refuses a Reader, and explains both', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)], [BOB.objectId]: [assignmentOf(READER, BOB.objectId)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const a = await auth.canAct(ALICE, `/${SCOPE}`);
      assert.equal(a.allowed, true);
      assert.equal(a.reason, `Allowed: Owner at ${SCOPE}.`);
      const b = await auth.canAct(BOB, SCOPE);
      assert.equal(b.allowed, false);
      assert.equal(b.reason, `You need Owner or User Access Administrator on ${SCOPE}; you have Reader there.`);
      assert.deepEqual(rbac.listRoleAssignmentsForPrincipal.firstCall.args, [SCOPE, ALICE.objectId]);
    });

    it('honours an Owner assignment inherited from a management group above the subscription', async () => {
      // ARM lists the assignments at, above and below the scope asked about; a management group is
      // never below a subscription, so one in the answer is an ancestor, as the portal shows it.
      const mg = '/providers/Microsoft.Management/managementGroups/contoso-platform';
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId, mg)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const onSub = await auth.canAct(ALICE, SCOPE);
      assert.equal(onSub.allowed, true, onSub.reason);
      const onRg = await auth.canAct(ALICE, `${SCOPE}/resourceGroups/rg-payments`);
      assert.equal(onRg.allowed, true, onRg.reason);
      // Asked about a management group, the answer also holds child groups: nothing is inferred.
      const onOtherMg = await auth.canAct(ALICE, 'providers/Microsoft.Management/managementGroups/contoso-root');
      assert.equal(onOtherMg.allowed, false);
    });

    it('reuses a decision within the TTL: RBAC is read once for repeated clicks', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      await auth.canAct(ALICE, SCOPE);
      timers.tick(4 * 60 * 1000);
      // Same scope spelled differently is the same cache entry.
      const again = await auth.canAct({ ...ALICE, objectId: ALICE.objectId.toUpperCase() }, `/${SCOPE.toUpperCase()}/`);
      assert.equal(again.allowed, true);
      assert.equal(rbac.listRoleAssignmentsForPrincipal.callCount, 1);
      assert.equal(rbac.getRoleDefinition.callCount, 1);
    });

    it('two simultaneous clicks share one RBAC read', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const [x, y] = await Promise.all([auth.canAct(ALICE, SCOPE), auth.canAct(ALICE, SCOPE)]);
      assert.equal(x.allowed && y.allowed, true);
      assert.equal(rbac.listRoleAssignmentsForPrincipal.callCount, 1);
    });

    it('reads RBAC again after the TTL, so a removed role stops working', async () => {
      const byPerson = { [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] };
      const rbac = fakeRbac(byPerson);
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock, cacheTtlMs: 60_000 });
      assert.equal((await auth.canAct(ALICE, SCOPE)).allowed, true);
      byPerson[ALICE.objectId] = [];
      timers.tick(59_999);
      assert.equal((await auth.canAct(ALICE, SCOPE)).allowed, true, 'still cached');
      timers.tick(1);
      const d = await auth.canAct(ALICE, SCOPE);
      assert.equal(d.allowed, false);
      assert.equal(d.reason, `You need Owner or User Access Administrator on ${SCOPE}; you have no role there.`);
      assert.equal(rbac.listRoleAssignmentsForPrincipal.callCount, 2);
    });

    it('caches per person and per scope', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      await auth.canAct(ALICE, SCOPE);
      await auth.canAct(BOB, SCOPE);
      const rg = await auth.canAct(ALICE, `${SCOPE}/resourceGroups/rg1`);
      assert.equal(rg.allowed, true);
      assert.equal(rbac.listRoleAssignmentsForPrincipal.callCount, 3);
    });

    it('denies when RBAC cannot be read, says so, and does not cache the failure', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] });
      rbac.listRoleAssignmentsForPrincipal = sinon.spy(async (_scope: string, _objectId: string): Promise<RoleAssignment[]> => {
        throw new Error('AuthorizationFailed: The client does not have authorization to perform action Microsoft.Authorization/roleAssignments/read.');
      });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const d = await auth.canAct(ALICE, SCOPE);
      assert.equal(d.allowed, false);
      assert.equal(
        d.reason,
        `I could not check your rights on ${SCOPE} (AuthorizationFailed: The client does not have authorization to perform action Microsoft.Authorization/roleAssignments/read); try again in a minute.`,
      );
      rbac.listRoleAssignmentsForPrincipal = sinon.spy(async (_scope: string, _objectId: string) => [assignmentOf(OWNER, ALICE.objectId)]);
      assert.equal((await auth.canAct(ALICE, SCOPE)).allowed, true, 'the next click reads RBAC again');
    });

    it('a failed role definition read is not cached either', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)] });
      const real = rbac.getRoleDefinition;
      let fail = true;
      rbac.getRoleDefinition = sinon.spy(async (id: string) => {
        if (fail) throw new Error('socket hang up');
        return real(id);
      });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const d = await auth.canAct(ALICE, SCOPE);
      assert.equal(d.allowed, false);
      assert.match(d.reason, /^I could not check your rights on subscriptions\/\S+ \(socket hang up\); try again in a minute\.$/);
      fail = false;
      assert.equal((await auth.canAct(ALICE, SCOPE)).allowed, true);
    });

    it('role definitions are cached across people', async () => {
      const rbac = fakeRbac({ [ALICE.objectId]: [assignmentOf(OWNER, ALICE.objectId)], [BOB.objectId]: [assignmentOf(OWNER, BOB.objectId)] });
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      await auth.canAct(ALICE, SCOPE);
      await auth.canAct(BOB, SCOPE);
      assert.equal(rbac.getRoleDefinition.callCount, 1);
    });

    it('refuses a person without an object id without asking Azure', async () => {
      const rbac = fakeRbac({});
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock });
      const d = await auth.canAct({ name: 'Guest' }, SCOPE);
      assert.equal(d.allowed, false);
      assert.match(d.reason, /did not send your Microsoft Entra object id/);
      assert.equal(rbac.listRoleAssignmentsForPrincipal.callCount, 0);
    });

    it('needs an RbacApi', () => {
      assert.throws(() => createAuthorizer({ mode: 'rbac' }), /needs an RbacApi/);
    });
  });

  describe('allowlist mode', () => {
    it('allows listed object ids whatever their case or braces, refuses others with their id', async () => {
      const auth = createAuthorizer({ mode: 'allowlist', operators: parseOperators(` {${ALICE.objectId.toUpperCase()}}, ffffffff-0000-4000-8000-000000000000 `) });
      const a = await auth.canAct(ALICE, SCOPE);
      assert.equal(a.allowed, true);
      assert.equal(a.reason, 'Allowed: you are listed in PIM_OPERATORS.');
      const b = await auth.canAct(BOB, SCOPE);
      assert.equal(b.allowed, false);
      assert.match(b.reason, new RegExp(`PIM_OPERATORS.*${BOB.objectId}`));
      assert.equal((await auth.canAct({ name: 'No id' }, SCOPE)).allowed, false);
    });

    it('parseOperators splits on commas, semicolons and spaces', () => {
      assert.deepEqual(parseOperators('A, b;c\n d'), ['a', 'b', 'c', 'd']);
      assert.deepEqual(parseOperators(undefined), []);
      assert.deepEqual(parseOperators('  '), []);
    });
  });

  describe('everyone mode', () => {
    it('allows anyone with an object id and says it is a local run', async () => {
      const auth = createAuthorizer({ mode: 'everyone' });
      const d = await auth.canAct(BOB, SCOPE);
      assert.equal(d.allowed, true);
      assert.match(d.reason, /local run/);
      assert.equal((await auth.canAct({}, SCOPE)).allowed, false);
    });
  });

  describe('tenantAllowed', () => {
    it('matches case-insensitively, refuses unknown tenants unless any', () => {
      assert.equal(tenantAllowed(ALICE.tenantId.toUpperCase(), [ALICE.tenantId]), true);
      assert.equal(tenantAllowed('00000000-0000-0000-0000-000000000001', [ALICE.tenantId]), false);
      assert.equal(tenantAllowed(undefined, [ALICE.tenantId]), false);
      assert.equal(tenantAllowed(undefined, 'any'), true);
      assert.equal(tenantAllowed('x', []), false);
    });
  });
});

describe('authorizer: rbac mode against the simulator, on a fake clock', () => {
  const TTL = 5 * 60_000;
  const CUSTOM = '3c7e1d5a-8b2f-4e6c-9d0a-1f2e3d4c5b6a';
  const ACCESS_ADMIN = [{ actions: ['*/read', 'Microsoft.Authorization/*'], notActions: [], dataActions: [], notDataActions: [] }];
  const NARROWED = [{ actions: ['*/read', 'Microsoft.Authorization/*'], notActions: ['Microsoft.Authorization/roleAssignments/write'], dataActions: [], notDataActions: [] }];
  const people = {
    chris: { objectId: PRINCIPAL_IDS.noAccess, name: 'Chris Novak' },
    lena: { objectId: PRINCIPAL_IDS.reader, name: 'Lena Fischer' },
  };
  let sim: Simulator;
  let now: number;
  const clock = { now: () => now };
  const rbacReads = (what: string) => sim.requests.filter((r) => r.method === 'GET' && r.url.includes(`/Microsoft.Authorization/${what}`)).length;

  beforeEach(async () => {
    now = Date.parse('2025-03-01T12:00:00Z');
    sim = await startSimulator();
    // A custom role granting roleAssignments/write, held by two people on Contoso Production.
    sim.rbac.addRoleDefinition({
      name: CUSTOM,
      roleName: 'Access admins (custom)',
      type: 'CustomRole',
      description: 'Manages access on production.',
      assignableScopes: [`/${SCOPES.production}`],
      permissions: ACCESS_ADMIN,
      createdOn: '2024-01-10T09:00:00Z',
      updatedOn: '2024-01-10T09:00:00Z',
    });
    for (const [i, p] of Object.values(people).entries()) {
      sim.rbac.addAssignment({ name: `7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4${i}`, scope: `/${SCOPES.production}`, roleDefinitionName: CUSTOM, principalId: p.objectId, createdOn: '2024-01-10T09:00:00Z' });
    }
  });
  afterEach(() => sim.close());

  const authorizer = () => createAuthorizer({ mode: 'rbac', rbac: new RbacClient({ endpoint: sim.url }), clock, cacheTtlMs: TTL });

  it('a role narrowed in Azure takes effect within the cache time, even for a decision made later on a cached definition', async () => {
    // Lena asks about the resource group: her decision reads a deny list of its own, so only the
    // definition cached for Chris can hold her decision back.
    sim.rbac.removeDenyAssignment(DENY_ASSIGNMENT_IDS.paymentsStack);
    const auth = authorizer();
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, true);
    now += TTL / 2;
    assert.equal((await auth.canAct(people.lena, SCOPES.payments)).allowed, true);
    assert.equal(rbacReads(`roleDefinitions/${CUSTOM}`), 1, 'one read of the custom role for both');
    sim.rbac.updateRoleDefinition(CUSTOM, NARROWED, '2025-03-01T12:02:31Z');
    assert.equal((await auth.canAct(people.lena, SCOPES.payments)).allowed, true, 'cached: within the TTL');
    // One TTL after the definition was read, every decision built on it is gone: Lena's too.
    now += TTL / 2;
    const lena = await auth.canAct(people.lena, SCOPES.payments);
    assert.equal(lena.allowed, false);
    assert.match(lena.reason, /Access admins \(custom\)/);
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, false);
  });

  it('with the cache time 0, every click reads Azure again', async () => {
    const auth = createAuthorizer({ mode: 'rbac', rbac: new RbacClient({ endpoint: sim.url }), clock, cacheTtlMs: 0 });
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, true);
    sim.rbac.updateRoleDefinition(CUSTOM, NARROWED, '2025-03-01T12:00:01Z');
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, false);
  });

  it('a deny assignment added in Azure refuses within the cache time; the list is read once per scope, with atScope()', async () => {
    const auth = authorizer();
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, true);
    assert.equal((await auth.canAct(people.lena, SCOPES.production)).allowed, true);
    assert.equal(rbacReads('denyAssignments'), 1, 'deny assignments are per scope, not per person');
    assert.ok(sim.requests.some((r) => /denyAssignments\?.*filter=atScope(\(\)|%28%29)/i.test(r.url)), 'read with atScope()');
    sim.rbac.addDenyAssignment({
      name: '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a',
      denyAssignmentName: 'Protect production access',
      description: 'Test deny assignment.',
      scope: '/',
      permissions: [{ actions: ['Microsoft.Authorization/*/write'], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: ALL_PRINCIPALS_ID, type: 'SystemDefined' }],
      excludePrincipals: [{ id: people.lena.objectId, type: 'User' }],
      doNotApplyToChildScopes: false,
      createdOn: '2025-03-01T12:01:00Z',
    });
    now += TTL - 1;
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, true, 'cached');
    now += 1;
    const chris = await auth.canAct(people.chris, SCOPES.production);
    assert.equal(chris.allowed, false);
    assert.deepEqual(chris.deniedBy, { name: 'Protect production access', scope: '/' });
    assert.equal((await auth.canAct(people.lena, SCOPES.production)).allowed, true, 'excluded');
  });

  it("the seeded deny assignment blocks Noah Berg's Owner on rg-payments-prod, and not the Playground user", async () => {
    const auth = authorizer();
    const noah = await auth.canAct({ objectId: PRINCIPAL_IDS.resourceGroupOwner }, SCOPES.payments);
    assert.equal(noah.allowed, false);
    assert.match(noah.deniedBy?.name ?? '', /payments-platform/);
    assert.equal((await auth.canAct({ objectId: PLAYGROUND_USER_OBJECT_ID }, SCOPES.payments)).allowed, true);
    // Above the resource group the deny assignment does not reach: Dana stays Owner of the subscription.
    assert.equal((await auth.canAct({ objectId: PRINCIPAL_IDS.subscriptionOwner }, SCOPES.production)).allowed, true);
  });

  it('a deny assignment list that cannot be read refuses, and is not cached', async () => {
    const rbac = new RbacClient({ endpoint: sim.url, retry: { maxRetries: 0 } });
    const auth = createAuthorizer({ mode: 'rbac', rbac, clock, cacheTtlMs: TTL });
    const real = rbac.listDenyAssignments.bind(rbac);
    let fail = true;
    rbac.listDenyAssignments = async (scope: string) => {
      if (fail) throw new Error('AuthorizationFailed: The client does not have authorization to perform action Microsoft.Authorization/denyAssignments/read.');
      return real(scope);
    };
    const d = await auth.canAct(people.chris, SCOPES.production);
    assert.equal(d.allowed, false);
    assert.match(d.reason, /^I could not check your rights on .*denyAssignments\/read\); try again in a minute\.$/);
    fail = false;
    assert.equal((await auth.canAct(people.chris, SCOPES.production)).allowed, true);
  });
});
