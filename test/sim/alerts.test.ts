// What an operator changes through the alert API: dismissing, remediating, configuring — and the
// ARM errors a wrong request gets.
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../sim/server';
import { SCOPES } from '../../sim/seed';
import { API, authz, wire } from './http';

const PROD = SCOPES.production;
const DEV = SCOPES.development;

describe('simulator: alerts', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator();
  });
  afterEach(() => sim.close());

  const get = (path: string) => wire(sim.url, { path, apiVersion: API });
  const patch = (path: string, body: unknown) => wire(sim.url, { method: 'PATCH', path, apiVersion: API, body });
  const post = (path: string) => wire(sim.url, { method: 'POST', path, apiVersion: API });

  describe('dismiss', () => {
    it('PATCH isActive false answers 204 and the alert stays listed, inactive, with its incidents', async () => {
      const path = authz(PROD, 'roleManagementAlerts/TooManyPermanentOwnersAssignedToResource');
      const res = await patch(path, { properties: { isActive: false } });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');

      const after = await get(path);
      assert.equal(after.body.properties.isActive, false);
      assert.equal(after.body.properties.incidentCount, 1);
      const list = await get(authz(PROD, 'roleManagementAlerts'));
      const listed = list.body.value.find((a: { name: string }) => a.name === 'TooManyPermanentOwnersAssignedToResource');
      assert.equal(listed.properties.isActive, false);
    });

    it('refuses to activate an alert by update', async () => {
      const res = await patch(authz(DEV, 'roleManagementAlerts/DuplicateRoleCreated'), { properties: { isActive: true } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'AlertActivationNotSupported');
    });

    it('rejects a body without a boolean isActive', async () => {
      const path = authz(PROD, 'roleManagementAlerts/TooManyOwnersAssignedToResource');
      for (const body of [{ properties: { isActive: 'false' } }, { properties: {} }, { isActive: false }, [1]]) {
        const res = await patch(path, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'InvalidRequestContent');
      }
      assert.equal((await get(path)).body.properties.isActive, true, 'nothing changed');
    });
  });

  describe('remediate', () => {
    const alertPath = authz(PROD, 'roleManagementAlerts/TooManyOwnersAssignedToResource');

    it('removes the incident and decrements incidentCount; the last one deactivates the alert', async () => {
      const first = await post(`${alertPath}/alertIncidents/5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc/remediate`);
      assert.equal(first.status, 204);
      let alert = (await get(alertPath)).body;
      assert.equal(alert.properties.incidentCount, 1);
      assert.equal(alert.properties.isActive, true);
      assert.deepEqual(alert.properties.alertIncidents.map((i: { name: string }) => i.name), ['a9f38501-74ec-43ea-8663-6c538602150d']);
      assert.equal((await get(`${alertPath}/alertIncidents/5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc`)).status, 404);

      assert.equal((await post(`${alertPath}/alertIncidents/a9f38501-74ec-43ea-8663-6c538602150d/remediate`)).status, 204);
      alert = (await get(alertPath)).body;
      assert.equal(alert.properties.incidentCount, 0);
      assert.equal(alert.properties.isActive, false);
      assert.deepEqual(alert.properties.alertIncidents, []);
      assert.deepEqual((await get(`${alertPath}/alertIncidents`)).body.value, []);
    });

    it('answers 404 for an unknown or already remediated incident', async () => {
      const path = `${alertPath}/alertIncidents/0645231d-16ba-4ebf-851a-0875df4052bd/remediate`; // belongs to DuplicateRoleCreated
      const res = await post(path);
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'RoleManagementAlertIncidentNotFound');
      assert.equal((await get(alertPath)).body.properties.incidentCount, 2);
    });

    it('answers 400 when the alert definition is not remediable', async () => {
      sim.state.definition(PROD, 'DuplicateRoleCreated').properties.isRemediatable = false;
      const res = await post(authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated/alertIncidents/0645231d-16ba-4ebf-851a-0875df4052bd/remediate'));
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'AlertNotRemediable');
      assert.equal(sim.state.alert(PROD, 'DuplicateRoleCreated').incidents.length, 1);
    });

    it('keeps the outside-PIM description counting the remaining incidents', async () => {
      const defPath = authz(PROD, 'roleManagementAlertDefinitions/AzureRolesAssignedOutsidePimAlert');
      assert.match((await get(defPath)).body.properties.description, /^2 privileged assignment\(s\)/);
      await post(authz(PROD, 'roleManagementAlerts/AzureRolesAssignedOutsidePimAlert/alertIncidents/ec42fb26-ccc5-4d7e-966d-e51adb6c45ec/remediate'));
      assert.match((await get(defPath)).body.properties.description, /^1 privileged assignment\(s\)/);
    });
  });

  describe('configuration', () => {
    const path = authz(PROD, 'roleManagementAlertConfigurations/TooManyOwnersAssignedToResource');
    const type = 'TooManyOwnersAssignedToResourceAlertConfiguration';

    it('applies a valid change and stamps lastModifiedDateTime', async () => {
      const res = await patch(path, { properties: { alertConfigurationType: type, thresholdNumberOfOwners: 5, thresholdPercentageOfOwnersOutOfAllRoleMembers: 100 } });
      assert.equal(res.status, 204);
      const config = (await get(path)).body.properties;
      assert.equal(config.thresholdNumberOfOwners, 5);
      assert.equal(config.thresholdPercentageOfOwnersOutOfAllRoleMembers, 100);
      const alert = (await get(authz(PROD, 'roleManagementAlerts/TooManyOwnersAssignedToResource'))).body.properties;
      assert.equal(alert.alertConfiguration.properties.thresholdNumberOfOwners, 5);
      assert.notEqual(alert.lastModifiedDateTime, '2022-04-05T03:04:06.467+00:00');
    });

    it('accepts the configuration as read back (read-only members repeating current values)', async () => {
      const current = (await get(path)).body;
      assert.equal((await patch(path, current)).status, 204);
    });

    it('disabling an alert makes it inactive', async () => {
      const res = await patch(authz(PROD, 'roleManagementAlertConfigurations/DuplicateRoleCreated'), {
        properties: { alertConfigurationType: 'DuplicateRoleCreatedAlertConfiguration', isEnabled: false },
      });
      assert.equal(res.status, 204);
      assert.equal((await get(authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated'))).body.properties.isActive, false);
    });

    const invalid: Array<[string, unknown, string]> = [
      ['missing discriminator', { properties: { thresholdNumberOfOwners: 4 } }, 'MissingAlertConfigurationType'],
      ['wrong discriminator', { properties: { alertConfigurationType: 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration', thresholdNumberOfOwners: 4 } }, 'InvalidAlertConfigurationType'],
      ['percentage above 100', { properties: { alertConfigurationType: type, thresholdPercentageOfOwnersOutOfAllRoleMembers: 101 } }, 'InvalidAlertConfigurationValue'],
      ['negative percentage', { properties: { alertConfigurationType: type, thresholdPercentageOfOwnersOutOfAllRoleMembers: -1 } }, 'InvalidAlertConfigurationValue'],
      ['fractional count', { properties: { alertConfigurationType: type, thresholdNumberOfOwners: 2.5 } }, 'InvalidAlertConfigurationValue'],
      ['zero count', { properties: { alertConfigurationType: type, thresholdNumberOfOwners: 0 } }, 'InvalidAlertConfigurationValue'],
      ['count as text', { properties: { alertConfigurationType: type, thresholdNumberOfOwners: '3' } }, 'InvalidAlertConfigurationValue'],
      ['isEnabled as text', { properties: { alertConfigurationType: type, isEnabled: 'yes' } }, 'InvalidAlertConfigurationValue'],
      ['unknown property', { properties: { alertConfigurationType: type, thresholdNumberOfPermanentOwners: 3 } }, 'InvalidRequestContent'],
      ['changed read-only scope', { properties: { alertConfigurationType: type, scope: DEV } }, 'InvalidRequestContent'],
      ['no properties', { alertConfigurationType: type }, 'InvalidRequestContent'],
    ];
    for (const [name, body, code] of invalid) {
      it(`rejects ${name} with 400 ${code} and changes nothing`, async () => {
        const res = await patch(path, body);
        assert.equal(res.status, 400);
        assert.equal(res.body.error.code, code);
        assert.equal(typeof res.body.error.message, 'string');
        const config = (await get(path)).body.properties;
        assert.equal(config.thresholdNumberOfOwners, 2);
        assert.equal(config.thresholdPercentageOfOwnersOutOfAllRoleMembers, 3);
      });
    }

    it('rejects a body that is not JSON with InvalidRequestContent', async () => {
      const res = await patch(path, '{"properties": {"alertConfigurationType": ');
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.equal(res.body.error.code, 'InvalidRequestContent');
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    });

    it('rejects an empty body and a non-JSON content type', async () => {
      assert.equal((await patch(path, '')).body.error.code, 'InvalidRequestContent');
      const res = await wire(sim.url, { method: 'PATCH', path, apiVersion: API, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 415);
    });
  });

  describe('scopes differ', () => {
    it('serves different active alerts per scope, and none in the sandbox', async () => {
      const active = async (scope: string) =>
        (await get(authz(scope, 'roleManagementAlerts'))).body.value.filter((a: { properties: { isActive: boolean } }) => a.properties.isActive).map((a: { name: string }) => a.name).sort();
      const prod = await active(PROD);
      const dev = await active(DEV);
      const staging = await active(SCOPES.staging);
      assert.equal(prod.length, 4);
      assert.deepEqual(dev, ['AzureRolesAssignedOutsidePimAlert', 'TooManyOwnersAssignedToResource']);
      assert.deepEqual(staging, ['DuplicateRoleCreated', 'TooManyPermanentOwnersAssignedToResource']);
      assert.deepEqual(await active(SCOPES.sandbox), []);
      const rg = (await get(authz(SCOPES.payments, 'roleManagementAlerts'))).body.value[0];
      assert.equal(rg.properties.scope, SCOPES.payments);
      assert.equal(rg.id, `/${SCOPES.payments}/providers/Microsoft.Authorization/roleManagementAlerts/${rg.name}`);
    });
  });
});
