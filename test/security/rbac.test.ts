import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { DenyAssignment, RoleAssignment, RoleDefinition } from '../../bot/azure/api';
import { ALL_PRINCIPALS, actionMatches, decide, denyingAssignment, normaliseScope, permits, scopeCovers, type DecideInput } from '../../bot/security/rbac';

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

// Deny assignments in the shape ARM lists them (DenyAssignments_ListForScope, api-version
// 2022-04-01: denyAssignmentName, permissions, scope, doNotApplyToChildScopes, principals,
// excludePrincipals, isSystemProtected), like the one a deployment stack puts on its resource group.
function deny(props: Partial<DenyAssignment['properties']> = {}): DenyAssignment {
  const name = `de000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  const scope = props.scope ?? SUB;
  return {
    id: `${scope}/providers/Microsoft.Authorization/denyAssignments/${name}`,
    name,
    type: 'Microsoft.Authorization/denyAssignments',
    properties: {
      denyAssignmentName: "Deny assignment 'identity-stack' created by deployment stack",
      description: 'Created by a deployment stack to protect its managed resources.',
      permissions: [{ actions: ['*/write', '*/delete'], notActions: [], dataActions: [], notDataActions: [] }],
      scope,
      doNotApplyToChildScopes: false,
      principals: [{ id: ALL_PRINCIPALS, type: 'SystemDefined' }],
      excludePrincipals: [],
      isSystemProtected: true,
      ...props,
    },
  };
}

describe('rbac decisions: deny assignments', () => {
  const owner = () => [assignment(OWNER, SUB)];
  const denied = (denyAssignments: DenyAssignment[], assignments = owner(), target = SUB) => run(assignments, target, { denyAssignments });

  it('a deny assignment for All Principals at or above the scope refuses an Owner, and says which', () => {
    const d = denied([deny()]);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.deniedBy, { name: "Deny assignment 'identity-stack' created by deployment stack", scope: SUB.slice(1) });
    assert.equal(d.reason, `The deny assignment "Deny assignment 'identity-stack' created by deployment stack" at ${SUB.slice(1)} blocks this for you, and a deny outweighs your Owner role.`);
    assert.equal(denied([deny({ scope: '/' })], owner(), RG).allowed, false, 'from the root, at a resource group below');
  });

  it('names the person, a group of theirs (from their assignments), or everyone — and no one else', () => {
    assert.equal(denied([deny({ principals: [{ id: USER.toUpperCase(), type: 'User' }] })]).allowed, false, 'the person, whatever the case');
    const viaGroup = [assignment(OWNER, SUB), assignment(READER, RG, { principalId: GROUP, principalType: 'Group' })];
    assert.equal(denied([deny({ principals: [{ id: GROUP, type: 'Group' }] })], viaGroup).allowed, false, 'a group the person holds a role through');
    assert.equal(denied([deny({ principals: [{ id: GROUP, type: 'Group' }] })]).allowed, true, 'a group the bot cannot tell they are in');
    assert.equal(denied([deny({ principals: [{ id: '9f9f9f9f-0000-4000-8000-000000000000', type: 'User' }] })]).allowed, true, 'someone else');
  });

  it('excludePrincipals takes the person, or a group of theirs, out of it', () => {
    assert.equal(denied([deny({ excludePrincipals: [{ id: USER, type: 'User' }] })]).allowed, true);
    const viaGroup = [assignment(OWNER, SUB, { principalId: GROUP, principalType: 'Group' })];
    assert.equal(denied([deny({ excludePrincipals: [{ id: GROUP, type: 'Group' }] })], viaGroup).allowed, true);
    assert.equal(denied([deny({ excludePrincipals: [{ id: '9f9f9f9f-0000-4000-8000-000000000000', type: 'User' }] })]).allowed, false);
    // A group the bot cannot tell the person is in (no role assignment through it) does not exclude them.
    assert.equal(denied([deny({ excludePrincipals: [{ id: GROUP, type: 'Group' }] })]).allowed, false);
  });

  it('covers roleAssignments/write only as its actions match, minus the same block\'s notActions', () => {
    const cases: Array<[string[], string[], boolean]> = [
      [['*'], [], false],
      [['Microsoft.Authorization/*/Write'], [], false],
      [['microsoft.authorization/roleassignments/write'], [], false],
      [['*/write'], ['Microsoft.Authorization/*'], true],
      [['*/delete'], [], true],
      [['Microsoft.Compute/*'], [], true],
      [[], [], true],
    ];
    for (const [actions, notActions, allowed] of cases) {
      const d = denied([deny({ permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }] })]);
      assert.equal(d.allowed, allowed, `actions ${JSON.stringify(actions)} minus ${JSON.stringify(notActions)}`);
    }
    // Data actions never deny a control-plane action.
    assert.equal(denied([deny({ permissions: [{ actions: [], notActions: [], dataActions: ['*'], notDataActions: [] }] })]).allowed, true);
  });

  it('applies at or above the scope only; doNotApplyToChildScopes keeps it to its own scope', () => {
    assert.equal(denied([deny({ scope: RG })]).allowed, true, 'below the scope');
    assert.equal(denied([deny({ scope: OTHER_SUB })]).allowed, true, 'beside it');
    assert.equal(denied([deny({ doNotApplyToChildScopes: true })], owner(), RG).allowed, true, 'not inherited');
    assert.equal(denied([deny({ doNotApplyToChildScopes: true })]).allowed, false, 'at its own scope');
  });

  it('a conditioned deny assignment is taken to apply: the bot cannot evaluate it, so it refuses', () => {
    assert.equal(denied([deny({ condition: "@Resource[Microsoft.Storage/storageAccounts:name] StringEquals 'x'", conditionVersion: '2.0' })]).allowed, false);
  });

  it('a person no role allows is refused for that, whatever the deny assignments', () => {
    const d = denied([deny()], [assignment(READER, SUB)]);
    assert.equal(d.allowed, false);
    assert.equal(d.deniedBy, undefined);
    assert.match(d.reason, /you have Reader there/);
  });

  it('denyingAssignment skips malformed entries', () => {
    const broken = [{} as DenyAssignment, { properties: {} } as DenyAssignment, deny({ principals: undefined }), deny({ permissions: undefined })];
    assert.equal(denyingAssignment({ denyAssignments: broken, targetScope: SUB, principalId: USER, groupIds: [] }), undefined);
  });
});
