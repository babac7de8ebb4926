// Refresh: 202 + Location, then NotStarted → Running → Succeeded/Failed as the clock moves, and
// what a finished scan changes. Time is sinon's fake Date, handed to the simulator as its clock.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { startSimulator, type Simulator } from '../../sim/server';
import { SCOPES } from '../../sim/seed';
import { API, authz, wire, type WireResponse } from './http';

const PROD = SCOPES.production;
const T0 = Date.parse('2024-05-02T08:00:00.000Z');

function detail(res: WireResponse): Array<{ name: string; statusDetail: string }> {
  return (JSON.parse(res.body.statusDetail as string) as { result: Array<{ name: string; statusDetail: string }> }).result;
}

describe('simulator: refresh operations', () => {
  let clock: sinon.SinonFakeTimers;
  let sim: Simulator;

  beforeEach(async () => {
    // Only Date is faked: the HTTP server and client keep real timers.
    clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
    sim = await startSimulator({ clock: { now: () => Date.now() }, refreshDurationMs: 3000 });
  });
  afterEach(async () => {
    await sim.close();
    clock.restore();
  });

  const refresh = (alertId?: string) =>
    wire(sim.url, { method: 'POST', path: authz(PROD, alertId ? `roleManagementAlerts/${alertId}/refresh` : 'roleManagementAlerts/refresh'), apiVersion: API });
  const follow = (location: string) => wire(sim.url, { path: location });
  const alert = async (alertId: string) => (await wire(sim.url, { path: authz(PROD, `roleManagementAlerts/${alertId}`), apiVersion: API })).body.properties;

  it('goes NotStarted → Running → Succeeded and stamps lastScannedDateTime when the scan completes', async () => {
    const started = await refresh('AzureRolesAssignedOutsidePimAlert');
    assert.equal(started.status, 202);
    assert.equal(started.headers['retry-after'], '1');
    const location = String(started.headers['location']);
    assert.equal(location, `${sim.url}/${PROD}/providers/Microsoft.Authorization/roleManagementAlertOperations/${started.body.id}?api-version=${API}`);
    assert.equal(started.body.status, 'NotStarted');
    assert.deepEqual(detail(started), [{ name: 'AzureRolesAssignedOutsidePimAlert', statusDetail: 'Alert scan is not yet started.' }]);
    assert.equal(started.body.createdDateTime, '2024-05-02T08:00:00.000+00:00');

    clock.tick(999);
    assert.equal((await follow(location)).body.status, 'NotStarted');
    assert.equal((await alert('AzureRolesAssignedOutsidePimAlert')).lastScannedDateTime, '2022-04-06T18:25:00.38+00:00');

    clock.tick(1);
    const running = await follow(location);
    assert.equal(running.body.status, 'Running');
    assert.equal(detail(running)[0]!.statusDetail, 'Alert scan is running.');
    assert.equal(running.body.lastActionDateTime, '2024-05-02T08:00:01.000+00:00');

    clock.tick(2000);
    const done = await follow(location);
    assert.equal(done.body.status, 'Succeeded');
    assert.equal(detail(done)[0]!.statusDetail, 'Alert scan is completed.');
    assert.equal(done.body.lastActionDateTime, '2024-05-02T08:00:03.000+00:00');
    assert.equal((await alert('AzureRolesAssignedOutsidePimAlert')).lastScannedDateTime, '2024-05-02T08:00:03.000+00:00');
    // Only the refreshed alert was scanned.
    assert.equal((await alert('DuplicateRoleCreated')).lastScannedDateTime, '2022-04-06T18:25:00.38+00:00');
  });

  it('refresh-all scans every enabled alert of the scope and reports each', async () => {
    const started = await refresh();
    assert.equal(started.status, 202);
    assert.equal(started.body.status.toLowerCase(), 'notstarted');
    assert.deepEqual(detail(started).map((d) => d.name).sort(), [
      'AzureRolesAssignedOutsidePimAlert',
      'DuplicateRoleCreated',
      'TooManyOwnersAssignedToResource',
      'TooManyPermanentOwnersAssignedToResource',
    ]);
    assert.match(started.body.resourceLocation, new RegExp(`/${PROD}/providers/Microsoft.Authorization/roleManagementAlerts\\?api-version=${API}$`));
    clock.tick(3000);
    // The effect shows without anyone polling the operation.
    for (const id of ['DuplicateRoleCreated', 'TooManyOwnersAssignedToResource']) {
      assert.equal((await alert(id)).lastScannedDateTime, '2024-05-02T08:00:03.000+00:00');
    }
  });

  it('the Location also works with the example api-version, and resourceLocation leads to the alert', async () => {
    const started = await refresh('DuplicateRoleCreated');
    const old = String(started.headers['location']).replace(`api-version=${API}`, 'api-version=2022-04-01-preview');
    assert.equal((await follow(old)).status, 200);
    const target = await follow(started.body.resourceLocation as string);
    assert.equal(target.status, 200, target.text);
    assert.equal(target.body.id, `/${PROD}/providers/Microsoft.Authorization/roleManagementAlerts/DuplicateRoleCreated`);
    const other = await wire(sim.url, { path: `${String(started.headers['location']).split('?')[0]}?api-version=2021-01-01` });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.code, 'InvalidApiVersionParameter');
  });

  it('a failing scan ends Failed with a per-alert detail and leaves lastScannedDateTime alone', async () => {
    sim.setFaults({ failRefreshFor: ['DuplicateRoleCreated'] });
    const started = await refresh();
    clock.tick(3000);
    const done = await follow(String(started.headers['location']));
    assert.equal(done.body.status, 'Failed');
    const byName = Object.fromEntries(detail(done).map((d) => [d.name, d.statusDetail]));
    assert.equal(byName['DuplicateRoleCreated'], 'Alert scan failed.');
    assert.equal(byName['TooManyOwnersAssignedToResource'], 'Alert scan is completed.');
    assert.equal((await alert('DuplicateRoleCreated')).lastScannedDateTime, '2022-04-06T18:25:00.38+00:00');
    assert.equal((await alert('TooManyOwnersAssignedToResource')).lastScannedDateTime, '2024-05-02T08:00:03.000+00:00');
  });

  it('a scan raises a dismissed alert again while its incidents remain', async () => {
    const path = authz(PROD, 'roleManagementAlerts/TooManyOwnersAssignedToResource');
    assert.equal((await wire(sim.url, { method: 'PATCH', path, apiVersion: API, body: { properties: { isActive: false } } })).status, 204);
    await refresh('TooManyOwnersAssignedToResource');
    clock.tick(2999);
    assert.equal((await alert('TooManyOwnersAssignedToResource')).isActive, false);
    clock.tick(1);
    assert.equal((await alert('TooManyOwnersAssignedToResource')).isActive, true);
  });

  it('a scan finds a new incident: count, lastModifiedDateTime and activity change', async () => {
    const scope = SCOPES.sandbox;
    sim.state.addIncident(scope, 'DuplicateRoleCreated', {
      name: 'b3c1d9e2-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
      properties: { alertIncidentType: 'DuplicateRoleCreatedAlertIncident', roleName: 'Reader Copy', duplicateRoles: 'Reader', reason: 'The custom role has the same permissions as a built-in role.' },
    });
    const path = authz(scope, 'roleManagementAlerts/DuplicateRoleCreated');
    assert.equal((await wire(sim.url, { path, apiVersion: API })).body.properties.incidentCount, 0, 'not found before a scan');
    await wire(sim.url, { method: 'POST', path: `${path}/refresh`, apiVersion: API });
    clock.tick(3000);
    const props = (await wire(sim.url, { path, apiVersion: API })).body.properties;
    assert.equal(props.incidentCount, 1);
    assert.equal(props.isActive, true);
    assert.equal(props.lastModifiedDateTime, '2024-05-02T08:00:03.000+00:00');
    assert.equal(props.alertIncidents[0].properties.roleName, 'Reader Copy');
  });

  it('a disabled alert is left out of refresh-all and skipped when refreshed alone', async () => {
    const staging = SCOPES.staging; // AzureRolesAssignedOutsidePimAlert is disabled there
    const all = await wire(sim.url, { method: 'POST', path: authz(staging, 'roleManagementAlerts/refresh'), apiVersion: API });
    assert.ok(!detail(all).some((d) => d.name === 'AzureRolesAssignedOutsidePimAlert'));
    const one = await wire(sim.url, { method: 'POST', path: authz(staging, 'roleManagementAlerts/AzureRolesAssignedOutsidePimAlert/refresh'), apiVersion: API });
    clock.tick(3000);
    const done = await follow(String(one.headers['location']));
    assert.equal(done.body.status, 'Succeeded');
    assert.equal(detail(done)[0]!.statusDetail, 'Alert scan is skipped because the alert is disabled.');
  });

  it('answers 404 for an unknown operation or one of another scope', async () => {
    const started = await refresh('DuplicateRoleCreated');
    const unknown = await wire(sim.url, { path: authz(PROD, 'roleManagementAlertOperations/0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de'), apiVersion: API });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'RoleManagementAlertOperationNotFound');
    const elsewhere = await wire(sim.url, { path: authz(SCOPES.development, `roleManagementAlertOperations/${started.body.id}`), apiVersion: API });
    assert.equal(elsewhere.status, 404);
  });

  it('refreshing an unknown alert answers 404 and starts nothing', async () => {
    const res = await refresh('NoSuchAlert');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'RoleManagementAlertNotFound');
    assert.equal(sim.state.operationRecords().length, 0);
  });
});
