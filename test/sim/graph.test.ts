// The simulator's Graph routes as the bot meets them: Graph's error shape, the scope filter the
// list needs, ConsistencyLevel on the transitive listing, @odata.nextLink paging, refreshes that
// raise a dismissed alert again, remediation rules, configuration checks, and the same faults as
// the ARM routes.
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../sim/server';
import { DIRECTORY_TENANT_ID, PLAYGROUND_USER_OBJECT_ID, PRINCIPAL_IDS } from '../../sim/seed';
import { wire } from './http';

const ROOT = '/beta/identityGovernance/roleManagementAlerts';
const FILTER = `$filter=${encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole'")}`;
const id = (name: string) => `DirectoryRole_${DIRECTORY_TENANT_ID}_${name}`;

describe('simulator: Graph routes', () => {
  let sim: Simulator;
  let now = Date.parse('2024-05-02T08:00:00Z');
  beforeEach(async () => {
    now = Date.parse('2024-05-02T08:00:00Z');
    sim = await startSimulator({ clock: { now: () => now }, refreshDurationMs: 3000, pageSize: 4 });
  });
  afterEach(() => sim.close());

  it('lists the directory among its scopes and answers errors in Graph\'s shape', async () => {
    assert.deepEqual(sim.scopes.at(-1), { id: 'directory', displayName: 'Entra ID' });
    const res = await wire(sim.url, { path: `${ROOT}/alerts` });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BadRequest');
    assert.match(res.body.error.message, /must name the scope: scopeId eq '\/' and scopeType eq 'DirectoryRole'/);
    assert.equal(res.body.error.innerError['request-id'], res.headers['request-id']);
    assert.equal(res.headers['x-ms-request-id'], undefined, 'Graph names its request id request-id');
    assert.equal((await wire(sim.url, { path: `/v1.0/identityGovernance/roleManagementAlerts/alerts?${FILTER}` })).status, 404);
    assert.equal((await wire(sim.url, { method: 'DELETE', path: `${ROOT}/alerts/${id('StaleSignInAlert')}` })).status, 405);
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts/..%2F..%2Fx` })).status, 400);
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}&$select=id` })).status, 400);
  });

  it('pages with @odata.nextLink, keeping the other query options', async () => {
    const first = await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}` });
    assert.equal(first.body.value.length, 4);
    const next = first.body['@odata.nextLink'] as string;
    assert.ok(next.startsWith(`${sim.url}${ROOT}/alerts?$filter=`) && next.endsWith('&$skip=4'), next);
    const second = await wire(sim.url, { path: next });
    assert.equal(second.body.value.length, 3);
    assert.equal(second.body['@odata.nextLink'], undefined);
    const enabledOnly = await wire(sim.url, { path: `${ROOT}/alerts?$filter=${encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole' and alertConfiguration/isEnabled eq false")}` });
    assert.deepEqual(enabledOnly.body.value.map((a: { id: string }) => a.id), [id('SequentialActivationRenewalsAlert')]);
  });

  it('a refresh raises a dismissed alert again once the scan finds its incidents; a failed scan says which', async () => {
    const tga = id('TooManyGlobalAdminsAssignedToTenantAlert');
    assert.equal((await wire(sim.url, { method: 'PATCH', path: `${ROOT}/alerts/${tga}`, body: { isActive: false } })).status, 204);
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts/${tga}` })).body.isActive, false);
    assert.equal((await wire(sim.url, { method: 'PATCH', path: `${ROOT}/alerts/${tga}`, body: { isActive: true } })).status, 400);
    const started = await wire(sim.url, { method: 'POST', path: `${ROOT}/alerts/${tga}/refresh` });
    assert.equal(started.status, 202);
    assert.equal(started.text, '');
    const location = String(started.headers.location);
    assert.equal((await wire(sim.url, { path: location })).body.status, 'notStarted');
    now += 3000;
    const done = await wire(sim.url, { path: location });
    assert.equal(done.body.status, 'succeeded');
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts/${tga}` })).body.isActive, true);

    sim.setFaults({ failRefreshFor: ['StaleSignInAlert'] });
    const all = await wire(sim.url, { method: 'POST', path: `${ROOT}/alerts/refresh`, body: { scopeId: '/', scopeType: 'DirectoryRole' } });
    assert.equal(all.status, 202);
    now += 3000;
    const failed = await wire(sim.url, { path: String(all.headers.location) });
    assert.deepEqual([failed.body.status, failed.body.statusDetail, failed.body.resourceLocation], ['failed', 'The scan of StaleSignInAlert failed.', '']);
    assert.equal((await wire(sim.url, { method: 'POST', path: `${ROOT}/alerts/refresh`, body: { scopeId: '/' } })).status, 400);
    assert.equal((await wire(sim.url, { method: 'POST', path: `${ROOT}/alerts/${tga}/refresh`, body: {} })).status, 400);
  });

  it('remediates with 200, refuses a definition that is not remediatable with 400, and forgets a remediated incident', async () => {
    const seq = id('SequentialActivationRenewalsAlert');
    const incident = '5b9d2c17-0a5e-4e8b-9c2d-6f1a3b4c5d6e';
    sim.directory!.addIncident(seq, { '@odata.type': '#microsoft.graph.sequentialActivationRenewalsAlertIncident', id: incident, activationCount: 4 }, { onNextScan: false });
    const refused = await wire(sim.url, { method: 'POST', path: `${ROOT}/alerts/${seq}/alertIncidents/${incident}/remediate` });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /isRemediatable false/);
    const outside = id('RolesAssignedOutsidePimAlert');
    const path = `${ROOT}/alerts/${outside}/alertIncidents/9e864769-63e3-4635-8069-551bcd46183d`;
    assert.equal((await wire(sim.url, { method: 'POST', path: `${path}/remediate` })).status, 200);
    assert.equal((await wire(sim.url, { path })).status, 404);
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts/${outside}` })).body.isActive, false, 'its last incident went, so did the alert');
  });

  it('checks configuration updates: the kind, the members, the ranges and ISO 8601 durations', async () => {
    const stale = `${ROOT}/alertConfigurations/${id('StaleSignInAlert')}`;
    const type = '#microsoft.graph.staleSignInAlertConfiguration';
    const patch = (body: unknown) => wire(sim.url, { method: 'PATCH', path: stale, body });
    assert.match((await patch({ isEnabled: true })).body.error.message, /'@odata.type' is required/);
    assert.match((await patch({ '@odata.type': '#microsoft.graph.redundantAssignmentAlertConfiguration', duration: 'P1D' })).body.error.message, /does not match this alert/);
    assert.match((await patch({ '@odata.type': type, duration: '30 days' })).body.error.message, /ISO 8601 duration/);
    assert.match((await patch({ '@odata.type': type, globalAdminCountThreshold: 2 })).body.error.message, /not a setting of staleSignInAlertConfiguration/);
    assert.equal((await patch({ '@odata.type': type, duration: 'P45D', isEnabled: false })).status, 204);
    const read = await wire(sim.url, { path: stale });
    assert.deepEqual([read.body.duration, read.body.isEnabled], ['P45D', false]);
    const tga = `${ROOT}/alertConfigurations/${id('TooManyGlobalAdminsAssignedToTenantAlert')}`;
    const bad = await wire(sim.url, { method: 'PATCH', path: tga, body: { '@odata.type': '#microsoft.graph.tooManyGlobalAdminsAssignedToTenantAlertConfiguration', percentageOfGlobalAdminsOutOfRolesThreshold: 101 } });
    assert.match(bad.body.error.message, /percentage and must be between 0 and 100/);
  });

  it('lists directory roles transitively only with ConsistencyLevel: eventual, through nested groups', async () => {
    const path = `/beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=${encodeURIComponent(`principalId eq '${PRINCIPAL_IDS.pimOperatorsMember}'`)}`;
    const without = await wire(sim.url, { path });
    assert.equal(without.status, 404);
    assert.match(without.body.error.message, /ConsistencyLevel: eventual/);
    const res = await wire(sim.url, { path, headers: { ConsistencyLevel: 'eventual' } });
    assert.deepEqual(res.body.value.map((a: { principalId: string }) => a.principalId), [PRINCIPAL_IDS.pimOperatorsGroup]);
    const alex = await wire(sim.url, { path: path.replace(PRINCIPAL_IDS.pimOperatorsMember, PLAYGROUND_USER_OBJECT_ID), headers: { ConsistencyLevel: 'eventual' } });
    assert.deepEqual(alex.body.value.map((a: { roleDefinitionId: string }) => a.roleDefinitionId), ['e8611ab8-c189-46e8-94e1-60213ab1f814']);
    const bad = await wire(sim.url, { path: `/beta/roleManagement/directory/transitiveRoleAssignments?$filter=${encodeURIComponent("principalId eq 'x' or 1 eq 1")}`, headers: { ConsistencyLevel: 'eventual' } });
    assert.equal(bad.status, 400);
  });

  it('injects the same faults and asks for the same token on the Graph routes', async () => {
    sim.setFaults({ rate429: 1, retryAfter429Seconds: 3 });
    const throttled = await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}` });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '3');
    assert.equal(throttled.body.error.code, 'TooManyRequests');
    assert.ok(throttled.body.error.innerError);
    sim.setFaults({ rate500: 1 });
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}` })).status, 500);
    await sim.close();
    sim = await startSimulator({ requireToken: 'secret' });
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}` })).status, 401);
    assert.equal((await wire(sim.url, { path: `${ROOT}/alerts?${FILTER}`, headers: { authorization: 'Bearer secret' } })).status, 200);
  });
});
