import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RoleAssignment, RoleDefinition } from '../../bot/azure/api';
import { actionMatches, decide, normaliseScope, permits, scopeCovers, type DecideInput } from '../../bot/security/rbac';

const defs = (JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'role-definitions.json'), 'utf8')) as { value: RoleDefinition[] }).value;
const byName = (roleName: string): RoleDefinition => {
  const d = defs.find((x) => x.properties.roleName === roleName);
  if (!d) throw new Error(`fixture has no ${roleName}`);
  return d;
};
const OWNER = byName('Owner');
const CONTRIBUTOR = byName('Contributor');
const UAA = byName('User Access Administrator');
const READER = byName('Reader');
const RBAC_ADMIN = byName('Role Based Access Control Administrator');

const SUB = '/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f';
const OTHER_SUB = '/subscriptions/11111111-2222-3333-4444-555555555555';
const RG = `${SUB}/resourceGroups/rg-identity`;
const USER = '5a4f3c2e-1111-4d5e-9f00-aaaaaaaaaaaa';
const GROUP = '0b0c0d0e-2222-4d5e-9f00-bbbbbbbbbbbb';

let seq = 0;
function assignment(def: RoleDefinition, scope: string, extra: Partial<RoleAssignment['properties']> = {}): RoleAssignment {
  const name = `00000000-0000-0000-0000-${String(++seq).padStart(12, '0')}`;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      // ARM writes the assignment's roleDefinitionId with the subscription the list was read at.
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${def.name}`,
      principalId: USER,
      principalType: 'User',
      scope,
      condition: null,
      conditionVersion: null,
      createdOn: '2024-05-01T10:00:00.0000000Z',
      ...extra,
    },
  };
}

function custom(roleName: string, permissions: RoleDefinition['properties']['permissions']): RoleDefinition {
  const name = `c0ffee00-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  return {
    id: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${name}`,
    name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: { roleName, type: 'CustomRole', assignableScopes: [SUB], permissions },
  };
}

const allDefs = (...extra: RoleDefinition[]) => new Map([...defs, ...extra].map((d) => [d.id, d] as const));
const NOW = Date.parse('2025-03-01T12:00:00Z');
const run = (assignments: RoleAssignment[], targetScope: string, more: Partial<DecideInput> = {}) =>
  decide({ assignments, definitions: allDefs(), targetScope, principalId: USER, now: NOW, ...more });

describe('rbac: permits (ARM action semantics)', () => {
  it('matches * anywhere and ignores case', () => {
    assert.equal(actionMatches('*', 'Microsoft.Authorization/roleAssignments/write'), true);
    assert.equal(actionMatches('Microsoft.Authorization/*', 'microsoft.authorization/roleassignments/WRITE'), true);
    assert.equal(actionMatches('*/write', 'Microsoft.Authorization/roleAssignments/write'), true);
    assert.equal(actionMatches('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write'), true);
    assert.equal(actionMatches('Microsoft.Auth*ion/role*/wr*', 'Microsoft.Authorization/roleAssignments/write'), true);
    assert.equal(actionMatches('*/read', 'Microsoft.Authorization/roleAssignments/write'), false);
    assert.equal(actionMatches('Microsoft.Authorization/roleAssignments/read', 'Microsoft.Authorization/roleAssignments/write'), false);
    assert.equal(actionMatches('Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/write/extra'), false);
    assert.equal(actionMatches('Microsoft.Authorization/roleAssignments', 'Microsoft.Authorization/roleAssignments/write'), false);
    // A many-star pattern against a long non-matching string answers promptly (no exponential blow-up).
    const started = Date.now();
    assert.equal(actionMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(5000)), false);
    assert.ok(Date.now() - started < 2000);
  });

  it('built-in roles: Owner, User Access Administrator and RBAC Administrator may write role assignments; Contributor and Reader may not', () => {
    assert.equal(permits(OWNER), true);
    assert.equal(permits(UAA), true);
    assert.equal(permits(RBAC_ADMIN), true);
    assert.equal(permits(CONTRIBUTOR), false, 'Contributor excludes Microsoft.Authorization/*/Write');
    assert.equal(permits(READER), false);
    // Contributor still may do other writes.
    assert.equal(permits(CONTRIBUTOR, 'Microsoft.Compute/virtualMachines/write'), true);
  });

  it('a notAction only subtracts from its own block', () => {
    const twoBlocks = custom('Split', [
      { actions: ['*/write'], notActions: ['Microsoft.Authorization/*/write'] },
      { actions: ['Microsoft.Authorization/roleAssignments/*'], notActions: [] },
    ]);
    assert.equal(permits(twoBlocks), true);
    const denied = custom('Write but not auth', [{ actions: ['*/write'], notActions: ['Microsoft.Authorization/*/write'] }]);
    assert.equal(permits(denied), false);
  });

  it('data actions never grant a control-plane action, and an empty definition grants nothing', () => {
    const dataOnly = custom('Data', [{ actions: [], dataActions: ['*'], notActions: [] }]);
    assert.equal(permits(dataOnly), false);
    assert.equal(permits(custom('Empty', undefined)), false);
  });
});

describe('rbac: scopeCovers', () => {
  it('subscription covers itself and its resource groups, case-insensitively and with or without the leading slash', () => {
    assert.equal(scopeCovers(SUB, SUB), true);
    assert.equal(scopeCovers(SUB, RG), true);
    assert.equal(scopeCovers(SUB.toUpperCase(), RG.slice(1)), true);
    assert.equal(scopeCovers(`${SUB}/`, RG), true);
  });

  it('a resource group covers only itself and below, never its subscription or a sibling', () => {
    assert.equal(scopeCovers(RG, SUB), false);
    assert.equal(scopeCovers(RG, `${SUB}/resourceGroups/rg-identity2`), false);
    assert.equal(scopeCovers(RG, `${RG}/providers/Microsoft.KeyVault/vaults/kv1`), true);
  });

  it('another subscription covers nothing here; the root covers everything', () => {
    assert.equal(scopeCovers(OTHER_SUB, SUB), false);
    assert.equal(scopeCovers('/', SUB), true);
    assert.equal(scopeCovers('', RG), true);
  });

  it('a management group covers a subscription only when the descendants map says so', () => {
    const mg = '/providers/Microsoft.Management/managementGroups/Contoso-Platform';
    assert.equal(scopeCovers(mg, mg), true);
    assert.equal(scopeCovers(mg, SUB), false);
    const descendants = new Map([['contoso-platform', [SUB.split('/')[2]!.toUpperCase(), 'contoso-identity']]]);
    assert.equal(scopeCovers(mg, SUB, descendants), true);
    assert.equal(scopeCovers(mg, RG, descendants), true);
    assert.equal(scopeCovers(mg, OTHER_SUB, descendants), false);
    assert.equal(scopeCovers(mg, '/providers/Microsoft.Management/managementGroups/contoso-identity', descendants), true);
  });

  it('normaliseScope strips the slashes only', () => {
    assert.equal(normaliseScope(' /subscriptions/abc/ '), 'subscriptions/abc');
    assert.equal(normaliseScope('/'), '');
  });
});

describe('rbac: decide', () => {
  it('a direct Owner assignment on the subscription allows, and says so', () => {
    const d = run([assignment(OWNER, SUB)], SUB);
    assert.equal(d.allowed, true);
    assert.equal(d.reason, `Allowed: Owner at ${SUB.slice(1)}.`);
    assert.deepEqual(d.via, { roleName: 'Owner', scope: SUB.slice(1), principalType: 'User' });
  });

  it('an Owner assignment through a group allows and says "through group"', () => {
    const d = run([assignment(OWNER, SUB, { principalId: GROUP, principalType: 'Group' })], SUB);
    assert.equal(d.allowed, true);
    assert.equal(d.reason, `Allowed: Owner at ${SUB.slice(1)} (through group).`);
    assert.equal(d.via?.principalType, 'Group');
  });

  it('prefers explaining a direct grant over a group grant', () => {
    const d = run([assignment(UAA, SUB, { principalId: GROUP, principalType: 'Group' }), assignment(OWNER, '/')], SUB);
    assert.equal(d.allowed, true);
    assert.equal(d.reason, 'Allowed: Owner at /.');
  });

  it('User Access Administrator allows', () => {
    assert.equal(run([assignment(UAA, SUB)], SUB).allowed, true);
  });

  it('Contributor is refused, and the reason names what is needed and what the person has', () => {
    const d = run([assignment(CONTRIBUTOR, SUB)], SUB);
    assert.equal(d.allowed, false);
    assert.equal(d.reason, `You need Owner or User Access Administrator on ${SUB.slice(1)}; you have Contributor there.`);
  });

  it('Reader is refused', () => {
    const d = run([assignment(READER, SUB), assignment(CONTRIBUTOR, RG)], RG);
    assert.equal(d.allowed, false);
    assert.equal(d.reason, `You need Owner or User Access Administrator on ${RG.slice(1)}; you have Reader and Contributor there.`);
  });

  it('a custom role with */write but notActions Microsoft.Authorization/*/write is refused', () => {
    const role = custom('Ops Writer', [{ actions: ['*/read', '*/write'], notActions: ['Microsoft.Authorization/*/write'] }]);
    const d = decide({ assignments: [assignment(role, SUB)], definitions: allDefs(role), targetScope: SUB, principalId: USER, now: NOW });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /you have Ops Writer there\.$/);
  });

  it('a custom role granting roleAssignments/write in odd case allows', () => {
    const role = custom('PIM Alert Operator', [{ actions: ['microsoft.authorization/ROLEASSIGNMENTS/*'], notActions: [] }]);
    const d = decide({ assignments: [assignment(role, SUB)], definitions: allDefs(role), targetScope: SUB, principalId: USER, now: NOW });
    assert.equal(d.allowed, true);
    assert.equal(d.via?.roleName, 'PIM Alert Operator');
  });

  it('an Owner assignment at another subscription or at a child resource group does not cover the subscription', () => {
    const d = run([assignment(OWNER, OTHER_SUB), assignment(OWNER, RG)], SUB);
    assert.equal(d.allowed, false);
    assert.equal(d.reason, `You need Owner or User Access Administrator on ${SUB.slice(1)}; you have no role there.`);
  });

  it('a resource group target is covered by a subscription assignment', () => {
    const d = run([assignment(OWNER, SUB)], RG);
    assert.equal(d.allowed, true);
    assert.equal(d.via?.scope, SUB.slice(1));
  });

  it('a conditioned assignment does not grant, and the reason says why', () => {
    const condition =
      "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))";
    const d = run([assignment(RBAC_ADMIN, SUB, { condition, conditionVersion: '2.0' }), assignment(READER, SUB)], SUB);
    assert.equal(d.allowed, false);
    assert.equal(
      d.reason,
      `You need Owner or User Access Administrator on ${SUB.slice(1)}; you have Role Based Access Control Administrator and Reader there, and your Role Based Access Control Administrator assignment has a condition, which this bot treats as not enough.`,
    );
    // The same role without a condition allows.
    assert.equal(run([assignment(RBAC_ADMIN, SUB)], SUB).allowed, true);
  });

  it("someone else's direct assignment in the list never grants", () => {
    const d = run([assignment(OWNER, SUB, { principalId: '99999999-9999-4999-8999-999999999999', principalType: 'User' })], SUB);
    assert.equal(d.allowed, false);
  });

  it('a PIM schedule instance outside its window does not grant', () => {
    const ended = assignment(OWNER, SUB, { startDateTime: '2025-03-01T08:00:00Z', endDateTime: '2025-03-01T11:00:00Z' });
    const future = assignment(OWNER, SUB, { startDateTime: '2025-03-01T13:00:00Z' });
    assert.equal(run([ended, future], SUB).allowed, false);
    const active = assignment(OWNER, SUB, { startDateTime: '2025-03-01T11:00:00Z', endDateTime: '2025-03-01T19:00:00Z' });
    assert.equal(run([active], SUB).allowed, true);
  });

  it('finds a built-in definition by GUID even when the assignment carries another subscription prefix', () => {
    const a = assignment(OWNER, '/');
    a.properties.roleDefinitionId = `/providers/Microsoft.Authorization/roleDefinitions/${OWNER.name}`;
    assert.equal(run([a], SUB).allowed, true);
  });

  it('an unknown role definition does not grant and is named by its id', () => {
    const a = assignment(OWNER, SUB);
    a.properties.roleDefinitionId = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/deadbeef-0000-4000-8000-000000000000`;
    const d = run([a], SUB);
    assert.equal(d.allowed, false);
    assert.match(d.reason, /you have an unknown role \(deadbeef-0000-4000-8000-000000000000\) there\.$/);
  });

  it('management group assignments count through the descendants map', () => {
    const mg = '/providers/Microsoft.Management/managementGroups/contoso';
    const a = assignment(OWNER, mg, { principalId: GROUP, principalType: 'Group' });
    assert.equal(run([a], SUB).allowed, false);
    const d = run([a], SUB, { descendants: new Map([['Contoso', [SUB.split('/')[2]!]]]) });
    assert.equal(d.allowed, true);
    assert.equal(d.reason, 'Allowed: Owner at providers/Microsoft.Management/managementGroups/contoso (through group).');
  });
});
