// Who may act on the Entra ID directory in rbac mode: an active, tenant-wide Privileged Role
// Administrator or Global Administrator assignment, held directly or through a group, read from
// Graph's transitive role assignments (fixtures: Microsoft's examples) and cached like the Azure
// decisions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { DirectoryRoleAssignment, DirectoryRolesApi, RbacApi } from '../../bot/azure/api';
import { createAuthorizer } from '../../bot/security/authorizer';
import { GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, decideDirectory } from '../../bot/security/directory';

const EXAMPLES = path.join(__dirname, '..', 'fixtures', 'graph', 'examples');
const rows = (file: string) => (JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as { value: DirectoryRoleAssignment[] }).value;

const PERSON = '2c7936bc-3517-40f3-8eda-4806637b6516';
const GROUP = 'ae2fc327-4c71-48ed-b6ca-f48632186510';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const row = (principalId: string, roleDefinitionId: string, directoryScopeId = '/'): DirectoryRoleAssignment => ({ id: `${principalId}-${roleDefinitionId}`, principalId, roleDefinitionId, directoryScopeId });

describe('directory decisions', () => {
  it("refuses the transitive example's person: User Administrator and a Helpdesk role on an administrative unit are not enough", () => {
    const d = decideDirectory({ assignments: rows('list-transitive-role-assignments.response.json'), principalId: PERSON });
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'You need an active Privileged Role Administrator or Global Administrator assignment for the whole directory; you have User Administrator.');
  });

  it("allows the role assignments example's Global Administrator, directly", () => {
    const d = decideDirectory({ assignments: rows('list-role-assignments-by-principal.response.json'), principalId: 'f1847572-48aa-47aa-96a3-2ec61904f41f' });
    assert.deepEqual(d, { allowed: true, reason: 'Allowed: Global Administrator in the directory.', via: { roleName: 'Global Administrator', scope: 'directory' } });
  });

  it('allows Privileged Role Administrator through a role-assignable group, and prefers naming a direct assignment', () => {
    const viaGroup = decideDirectory({ assignments: [row(GROUP, PRIVILEGED_ROLE_ADMINISTRATOR)], principalId: PERSON });
    assert.deepEqual(viaGroup, { allowed: true, reason: 'Allowed: Privileged Role Administrator in the directory (through a group).', via: { roleName: 'Privileged Role Administrator', scope: 'directory', principalType: 'Group' } });
    const both = decideDirectory({ assignments: [row(GROUP, PRIVILEGED_ROLE_ADMINISTRATOR), row(PERSON.toUpperCase(), GLOBAL_ADMINISTRATOR.toUpperCase())], principalId: PERSON });
    assert.equal(both.reason, 'Allowed: Global Administrator in the directory.');
  });

  it('refuses the right role scoped to an administrative unit, and names read-only roles a person holds', () => {
    const narrow = decideDirectory({ assignments: [row(PERSON, PRIVILEGED_ROLE_ADMINISTRATOR, '/administrativeUnits/26e79164-0c5c-4281-8c5b-be7bc7809fb2')], principalId: PERSON });
    assert.equal(narrow.allowed, false);
    assert.equal(narrow.reason, 'You need an active Privileged Role Administrator or Global Administrator assignment for the whole directory; you have no active directory role, and Privileged Role Administrator only on part of the directory, which is not enough.');
    const readers = decideDirectory({ assignments: [row(PERSON, 'f2ef992c-3afb-46b9-b7cf-a126ee74c451'), row(PERSON, '5d6b6bb7-de71-4623-b4af-96380a352509')], principalId: PERSON });
    assert.match(readers.reason, /; you have Global Reader and Security Reader\.$/);
    assert.equal(decideDirectory({ assignments: [], principalId: PERSON }).reason.endsWith('you have no active directory role.'), true);
    assert.match(decideDirectory({ assignments: [row(PERSON, '00000000-0000-4000-8000-000000000001')], principalId: PERSON }).reason, /you have a directory role \(00000000-0000-4000-8000-000000000001\)\.$/);
  });

  it('ignores malformed rows', () => {
    const junk = [null, { id: 'x' }, { principalId: PERSON, roleDefinitionId: GLOBAL_ADMINISTRATOR }] as unknown as DirectoryRoleAssignment[];
    assert.equal(decideDirectory({ assignments: junk, principalId: PERSON }).allowed, false);
  });
});

describe('authorizer on the directory scope (rbac mode)', () => {
  let timers: sinon.SinonFakeTimers;
  const clock = { now: () => Date.now() };
  beforeEach(() => {
    timers = sinon.useFakeTimers({ now: Date.parse('2025-03-01T12:00:00Z'), toFake: ['Date'] });
  });
  afterEach(() => timers.restore());

  const rbac: RbacApi = {
    listRoleAssignmentsForPrincipal: async () => assert.fail('the directory is not decided by Azure RBAC'),
    getRoleDefinition: async () => assert.fail('the directory is not decided by Azure RBAC'),
    listDenyAssignments: async () => assert.fail('the directory is not decided by Azure RBAC'),
  };

  function directoryRoles(byPerson: Record<string, DirectoryRoleAssignment[] | Error>) {
    return {
      listTransitiveRoleAssignments: sinon.spy(async (id: string) => {
        const v = byPerson[id];
        if (v instanceof Error) throw v;
        return v ?? [];
      }),
    } satisfies DirectoryRolesApi;
  }

  it('reads the clicking person\'s directory roles from Graph, decides, and caches the decision per person', async () => {
    const roles = directoryRoles({ [PERSON]: [row(GROUP, PRIVILEGED_ROLE_ADMINISTRATOR)] });
    const auth = createAuthorizer({ mode: 'rbac', rbac, directory: roles, clock, cacheTtlMs: 60_000 });
    const person = { objectId: PERSON, tenantId: TENANT };
    assert.equal((await auth.canAct(person, 'directory')).reason, 'Allowed: Privileged Role Administrator in the directory (through a group).');
    await auth.canAct(person, '/Directory');
    assert.equal(roles.listTransitiveRoleAssignments.callCount, 1, 'cached');
    timers.tick(60_001);
    await auth.canAct(person, 'directory');
    assert.equal(roles.listTransitiveRoleAssignments.callCount, 2, 'read again after the TTL');
    assert.deepEqual(roles.listTransitiveRoleAssignments.firstCall.args, [PERSON]);
  });

  it('refuses, without caching, when Graph cannot be read (e.g. the bot lacks RoleManagement.Read.Directory)', async () => {
    const roles = directoryRoles({ [PERSON]: new Error("The bot's identity lacks RoleManagement.Read.Directory on Microsoft Graph: grant it.") });
    const auth = createAuthorizer({ mode: 'rbac', rbac, directory: roles, clock });
    const d = await auth.canAct({ objectId: PERSON }, 'directory');
    assert.equal(d.allowed, false);
    assert.equal(d.reason, "I could not check your rights on directory (The bot's identity lacks RoleManagement.Read.Directory on Microsoft Graph: grant it); try again in a minute.");
    await auth.canAct({ objectId: PERSON }, 'directory');
    assert.equal(roles.listTransitiveRoleAssignments.callCount, 2);
  });

  it('allowlist mode works on the directory as on any scope', async () => {
    const auth = createAuthorizer({ mode: 'allowlist', operators: [PERSON], clock });
    assert.equal((await auth.canAct({ objectId: PERSON }, 'directory')).allowed, true);
    assert.equal((await auth.canAct({ objectId: GROUP }, 'directory')).allowed, false);
  });
});
