import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { RbacApi, RoleAssignment, RoleDefinition } from '../../bot/azure/api';
import { createAuthorizer, parseOperators, tenantAllowed } from '../../bot/security/authorizer';

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

/** An RBAC API whose answers the test sets per person. */
function fakeRbac(byPerson: Record<string, RoleAssignment[]>) {
  const api = {
    listRoleAssignmentsForPrincipal: sinon.spy(async (_scope: string, objectId: string) => byPerson[objectId] ?? []),
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
      const auth = createAuthorizer({ mode: 'rbac', rbac, clock, decisionTtlMs: 60_000 });
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
