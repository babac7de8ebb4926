// The RBAC reads the bot uses to decide whether a person may act: role assignments visible at a
// scope for a principal (including via groups) and role definitions with their permissions.
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../sim/server';
import { ALL_PRINCIPALS_ID, DENY_ASSIGNMENT_IDS, PLAYGROUND_USER_OBJECT_ID, PRINCIPAL_IDS, ROLE_DEFINITION_IDS, SCOPES, SUBSCRIPTIONS } from '../../sim/seed';
import { RBAC_API, authz, readAll, wire } from './http';

interface Assignment {
  id: string;
  name: string;
  type: string;
  properties: { roleDefinitionId: string; principalId: string; principalType: string; scope: string };
}

describe('simulator: RBAC reads', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator();
  });
  afterEach(() => sim.close());

  async function assignedTo(scope: string, objectId: string): Promise<Assignment[]> {
    const res = await wire(sim.url, { path: `${authz(scope, 'roleAssignments')}?$filter=${encodeURIComponent(`assignedTo('${objectId}')`)}`, apiVersion: RBAC_API });
    assert.equal(res.status, 200, res.text);
    return res.body.value as Assignment[];
  }
  const roleOf = (a: Assignment) => a.properties.roleDefinitionId.split('/').pop();

  it('returns a direct assignment shaped like ARM', async () => {
    const [a, ...rest] = await assignedTo(SCOPES.production, PRINCIPAL_IDS.subscriptionOwner);
    assert.equal(rest.length, 0);
    assert.equal(a!.type, 'Microsoft.Authorization/roleAssignments');
    assert.equal(a!.id, `/subscriptions/${SUBSCRIPTIONS.production}/providers/Microsoft.Authorization/roleAssignments/${a!.name}`);
    assert.equal(a!.properties.scope, `/subscriptions/${SUBSCRIPTIONS.production}`);
    assert.equal(a!.properties.principalId, PRINCIPAL_IDS.subscriptionOwner);
    assert.equal(a!.properties.principalType, 'User');
    assert.equal(a!.properties.roleDefinitionId, `/subscriptions/${SUBSCRIPTIONS.production}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_DEFINITION_IDS.owner}`);
  });

  it("includes assignments to the principal's groups", async () => {
    const list = await assignedTo(SCOPES.staging, PRINCIPAL_IDS.pimOperatorsMember);
    assert.equal(list.length, 1);
    assert.equal(list[0]!.properties.principalId, PRINCIPAL_IDS.pimOperatorsGroup);
    assert.equal(list[0]!.properties.principalType, 'Group');
    assert.equal(roleOf(list[0]!), ROLE_DEFINITION_IDS.owner);
    // principalId eq does not follow groups.
    const direct = await wire(sim.url, { path: `${authz(SCOPES.staging, 'roleAssignments')}?$filter=${encodeURIComponent(`principalId eq '${PRINCIPAL_IDS.pimOperatorsMember}'`)}`, apiVersion: RBAC_API });
    assert.deepEqual(direct.body.value, []);
  });

  it('shows assignments above the scope and below it, but not beside it', async () => {
    // From the resource group: the subscription-level Reader (above) and the RG Contributor (at).
    const atRg = await assignedTo(SCOPES.payments, PRINCIPAL_IDS.reader);
    assert.deepEqual(atRg.map(roleOf).sort(), [ROLE_DEFINITION_IDS.contributor, ROLE_DEFINITION_IDS.reader].sort());
    // From the subscription: the RG owner's assignment lies below it.
    const below = await assignedTo(SCOPES.production, PRINCIPAL_IDS.resourceGroupOwner);
    assert.equal(below.length, 1);
    assert.equal(below[0]!.properties.scope, `/${SCOPES.payments}`);
    // atScope() keeps only at-or-above.
    const res = await wire(sim.url, { path: `${authz(SCOPES.production, 'roleAssignments')}?$filter=${encodeURIComponent(`atScope() and assignedTo('${PRINCIPAL_IDS.resourceGroupOwner}')`)}`, apiVersion: RBAC_API });
    assert.deepEqual(res.body.value, []);
    // Another subscription's assignment is not visible.
    assert.deepEqual(await assignedTo(SCOPES.development, PRINCIPAL_IDS.subscriptionOwner), []);
  });

  it("accepts the Playground user's object id, which is not a well-formed GUID", async () => {
    const list = await assignedTo(SCOPES.sandbox, PLAYGROUND_USER_OBJECT_ID);
    assert.equal(list.length, 1);
    assert.equal(roleOf(list[0]!), ROLE_DEFINITION_IDS.owner);
  });

  it('a person with no role gets an empty list; assignments added at runtime appear', async () => {
    assert.deepEqual(await assignedTo(SCOPES.production, PRINCIPAL_IDS.noAccess), []);
    sim.rbac.addAssignment({ name: '9a7c6f7e-2d4b-4e61-8f0a-5b3c2d1e0f9a', scope: `/${SCOPES.production}`, roleDefinitionName: ROLE_DEFINITION_IDS.reader, principalId: PRINCIPAL_IDS.noAccess, createdOn: '2024-05-02T08:00:00Z' });
    assert.equal((await assignedTo(SCOPES.production, PRINCIPAL_IDS.noAccess)).length, 1);
  });

  it('pages role assignments and keeps the filter in nextLink', async () => {
    await sim.close();
    sim = await startSimulator({ pageSize: 1 });
    const { items, pages } = await readAll(sim.url, { path: `${authz(SCOPES.production, 'roleAssignments')}?$filter=${encodeURIComponent(`assignedTo('${PRINCIPAL_IDS.reader}')`)}`, apiVersion: RBAC_API });
    assert.equal(pages, 2);
    assert.ok(items.every((a: Assignment) => a.properties.principalId === PRINCIPAL_IDS.reader));
  });

  it('rejects an unsupported filter, a wrong api-version and an unknown subscription', async () => {
    const bad = await wire(sim.url, { path: `${authz(SCOPES.production, 'roleAssignments')}?$filter=${encodeURIComponent("roleName eq 'Owner'")}`, apiVersion: RBAC_API });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'UnsupportedQuery');
    const version = await wire(sim.url, { path: authz(SCOPES.production, 'roleAssignments'), apiVersion: '2022-08-01-preview' });
    assert.equal(version.body.error.code, 'InvalidApiVersionParameter');
    const sub = await wire(sim.url, { path: authz('subscriptions/0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de', 'roleAssignments'), apiVersion: RBAC_API });
    assert.equal(sub.status, 404);
    assert.equal(sub.body.error.code, 'SubscriptionNotFound');
  });

  describe('role definitions', () => {
    const getDefinition = (path: string) => wire(sim.url, { path, apiVersion: RBAC_API });

    it('follows an assignment roleDefinitionId to the definition with its permissions', async () => {
      const [a] = await assignedTo(SCOPES.production, PRINCIPAL_IDS.customRoleUser);
      const res = await getDefinition(a!.properties.roleDefinitionId);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, a!.properties.roleDefinitionId);
      assert.equal(res.body.type, 'Microsoft.Authorization/roleDefinitions');
      assert.equal(res.body.properties.roleName, 'Everything but access');
      assert.equal(res.body.properties.type, 'CustomRole');
      assert.deepEqual(res.body.properties.permissions[0].actions, ['*/write', '*/read']);
      assert.deepEqual(res.body.properties.permissions[0].notActions, ['Microsoft.Authorization/*/write']);
    });

    it('serves the built-in roles at any scope, and at the tenant root', async () => {
      const expected: Record<string, [string, string[], string]> = {
        [ROLE_DEFINITION_IDS.owner]: ['Owner', ['*'], ''],
        [ROLE_DEFINITION_IDS.userAccessAdministrator]: ['User Access Administrator', ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], ''],
        [ROLE_DEFINITION_IDS.contributor]: ['Contributor', ['*'], 'Microsoft.Authorization/*/Write'],
        [ROLE_DEFINITION_IDS.reader]: ['Reader', ['*/read'], ''],
      };
      for (const [guid, [name, actions, notAction]] of Object.entries(expected)) {
        const res = await getDefinition(authz(SCOPES.payments, `roleDefinitions/${guid}`));
        assert.equal(res.body.properties.roleName, name);
        assert.equal(res.body.properties.type, 'BuiltInRole');
        assert.deepEqual(res.body.properties.permissions[0].actions, actions);
        if (notAction) assert.ok(res.body.properties.permissions[0].notActions.includes(notAction));
        assert.equal(res.body.id, `/subscriptions/${SUBSCRIPTIONS.production}/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
      }
      const root = await getDefinition(`/providers/Microsoft.Authorization/roleDefinitions/${ROLE_DEFINITION_IDS.owner}`);
      assert.equal(root.body.id, `/providers/Microsoft.Authorization/roleDefinitions/${ROLE_DEFINITION_IDS.owner}`);
    });

    it('a custom role is not found outside its assignable scopes; a bad id is a 400', async () => {
      const outside = await getDefinition(authz(SCOPES.staging, `roleDefinitions/${ROLE_DEFINITION_IDS.everythingButAccess}`));
      assert.equal(outside.status, 404);
      assert.equal(outside.body.error.code, 'RoleDefinitionDoesNotExist');
      const bad = await getDefinition(authz(SCOPES.production, 'roleDefinitions/owner'));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'InvalidRoleDefinitionId');
    });
  });
  describe('deny assignments', () => {
    const list = (scope: string, filter?: string) =>
      wire(sim.url, { path: `${authz(scope, 'denyAssignments')}${filter === undefined ? '' : `?$filter=${encodeURIComponent(filter)}`}`, apiVersion: RBAC_API });

    it("lists the seeded deployment stack's deny assignment shaped like ARM, for everyone but its deployer", async () => {
      const res = await list(SCOPES.payments, 'atScope()');
      assert.equal(res.status, 200, res.text);
      const [d, ...rest] = res.body.value;
      assert.equal(rest.length, 0);
      assert.equal(d.id, `/${SCOPES.payments}/providers/Microsoft.Authorization/denyAssignments/${DENY_ASSIGNMENT_IDS.paymentsStack}`);
      assert.equal(d.type, 'Microsoft.Authorization/denyAssignments');
      assert.equal(d.name, DENY_ASSIGNMENT_IDS.paymentsStack);
      assert.equal(d.properties.scope, `/${SCOPES.payments}`);
      assert.deepEqual(d.properties.principals, [{ id: ALL_PRINCIPALS_ID, type: 'SystemDefined' }]);
      assert.deepEqual(d.properties.excludePrincipals, [{ id: PLAYGROUND_USER_OBJECT_ID, type: 'User' }]);
      assert.deepEqual(d.properties.permissions[0].actions, ['*/write', '*/delete']);
      assert.equal(d.properties.doNotApplyToChildScopes, false);
      assert.equal(d.properties.isSystemProtected, true);
    });

    it('atScope() keeps those at or above the scope; without it those below show too; other filters are refused', async () => {
      assert.deepEqual((await list(SCOPES.production, 'atScope()')).body.value, [], 'the resource group lies below the subscription');
      assert.equal((await list(SCOPES.production)).body.value.length, 1, 'unfiltered: at, above and below');
      assert.deepEqual((await list(SCOPES.staging)).body.value, [], 'not beside it');
      sim.rbac.addDenyAssignment({
        name: '0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b',
        denyAssignmentName: 'Root deny',
        description: 'At the tenant root.',
        scope: '/',
        permissions: [{ actions: ['Microsoft.Authorization/*/write'], notActions: [], dataActions: [], notDataActions: [] }],
        principals: [{ id: PRINCIPAL_IDS.reader, type: 'User' }],
        excludePrincipals: [],
        doNotApplyToChildScopes: false,
        createdOn: '2025-01-01T00:00:00Z',
      });
      assert.equal((await list(SCOPES.payments, 'atScope()')).body.value.length, 2, 'the root is above every scope');
      assert.equal(sim.rbac.removeDenyAssignment('0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b'), true);
      const bad = await list(SCOPES.production, `principalId eq '${PRINCIPAL_IDS.reader}'`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'UnsupportedQuery');
    });
  });
});
