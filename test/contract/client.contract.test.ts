// Every official example, performed through PimAlertsClient: the request on the wire must be the
// one the example's parameters describe, and the example's response must come back typed.
import assert from 'node:assert/strict';
import { PimAlertsClient } from '../../bot/azure/client';
import type { OperationHandle } from '../../bot/azure/api';
import { PimValidationError } from '../../bot/azure/errors';
import {
  isKnownConfiguration,
  isKnownIncident,
  type Alert,
  type AlertConfiguration,
  type AlertDefinition,
  type AlertIncident,
  type AlertOperationResult,
} from '../../bot/azure/models';
import { FakeCredential, FakeHttpClient } from '../azure/fakes';
import { exampleFilesOnDisk, fillPath, loadContractCases, type ContractCase } from './examples';

const REQUEST_ID = '8d6b2a3e-44e1-4f0b-9d53-0c7e2b1f6a90';

const ARM = 'https://management.azure.com';
// Some examples use placeholders ("{operationId}") where a real id goes; a real-looking id stands in.
const PLACEHOLDER = /^\{\w+\}$/;
const CONCRETE_ID = '9f0e5a6c-1b2d-4c3e-8f4a-5b6c7d8e9f01';

function concreteParameters(c: ContractCase): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c.example.parameters).map(([k, v]) => [k, typeof v === 'string' && PLACEHOLDER.test(v) ? CONCRETE_ID : v]));
}

function clientFor(c: ContractCase): { client: PimAlertsClient; http: FakeHttpClient } {
  const http = new FakeHttpClient().reply({ status: c.status, headers: { ...c.responseHeaders, 'x-ms-request-id': REQUEST_ID }, body: c.responseBody });
  return { client: new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http }), http };
}

function assertTypedResponse(c: ContractCase, result: unknown): void {
  const body = c.responseBody as Record<string, unknown> | undefined;
  switch (c.operationId) {
    case 'Alerts_ListForScope': {
      const alerts = result as Alert[];
      assert.deepEqual(alerts, body!.value);
      assert.ok(alerts.length > 0);
      for (const a of alerts) {
        assert.equal(typeof a.properties.isActive, 'boolean');
        assert.ok(a.properties.alertDefinition?.properties.displayName);
        for (const i of a.properties.alertIncidents ?? []) assert.ok(isKnownIncident(i.properties), i.properties.alertIncidentType);
      }
      return;
    }
    case 'Alerts_Get': {
      const a = result as Alert;
      assert.deepEqual(a, body);
      assert.equal(a.properties.alertDefinition?.properties.severityLevel, 'Medium');
      assert.equal(a.properties.incidentCount, a.properties.alertIncidents?.length);
      return;
    }
    case 'AlertConfigurations_ListForScope': {
      const configs = result as AlertConfiguration[];
      assert.deepEqual(configs, body!.value);
      // The example lists all four kinds; each must narrow to a known one.
      assert.deepEqual(new Set(configs.map((x) => x.properties.alertConfigurationType)).size, 4);
      for (const x of configs) assert.ok(isKnownConfiguration(x.properties), x.properties.alertConfigurationType);
      return;
    }
    case 'AlertConfigurations_Get': {
      const x = result as AlertConfiguration;
      assert.deepEqual(x, body);
      const p = x.properties;
      assert.ok(isKnownConfiguration(p) && p.alertConfigurationType === 'TooManyOwnersAssignedToResourceAlertConfiguration');
      if (p.alertConfigurationType === 'TooManyOwnersAssignedToResourceAlertConfiguration') assert.equal(p.thresholdNumberOfOwners, 3);
      return;
    }
    case 'AlertDefinitions_ListForScope':
      assert.deepEqual(result, body!.value);
      for (const d of result as AlertDefinition[]) assert.ok(['Low', 'Medium', 'High'].includes(String(d.properties.severityLevel)));
      return;
    case 'AlertDefinitions_Get': {
      const d = result as AlertDefinition;
      assert.deepEqual(d, body);
      assert.equal(d.properties.isRemediatable, true);
      return;
    }
    case 'AlertIncidents_ListForScope':
      assert.deepEqual(result, body!.value);
      for (const i of result as AlertIncident[]) assert.ok(isKnownIncident(i.properties));
      return;
    case 'AlertIncidents_Get': {
      const i = result as AlertIncident;
      assert.deepEqual(i, body);
      assert.ok(isKnownIncident(i.properties));
      if (i.properties.alertIncidentType === 'TooManyOwnersAssignedToResourceAlertIncident') assert.equal(i.properties.assigneeName, 'test-user');
      else assert.fail(`unexpected incident type ${i.properties.alertIncidentType}`);
      return;
    }
    case 'AlertOperation_Get':
      assert.deepEqual(result, body);
      assert.equal((result as AlertOperationResult).status, 'Running');
      return;
    case 'Alerts_Refresh':
    case 'Alerts_RefreshAll': {
      const h = result as OperationHandle;
      assert.equal(c.status, 202);
      assert.equal(h.location, c.responseHeaders!.Location);
      assert.deepEqual(h.initial, body);
      assert.equal(h.operationId, body!.id);
      assert.equal(h.scope, c.example.parameters.scope);
      assert.equal(h.alertId, c.example.parameters.alertId);
      assert.ok(Number.isFinite(Date.parse(h.startedAt)));
      assert.deepEqual(JSON.parse(JSON.stringify(h)), h, 'the handle must survive JSON storage');
      return;
    }
    case 'Alerts_Update':
    case 'AlertConfigurations_Update':
    case 'AlertIncidents_Remediate':
      assert.equal(c.status, 204);
      // No body: what the caller gets is the request id, for the audit log.
      assert.deepEqual(result, { requestId: REQUEST_ID });
      return;
    default:
      assert.fail(`no response assertion for ${c.operationId}`);
  }
}

describe('PimAlertsClient against the official examples', () => {
  const cases = loadContractCases();

  it('covers every example file on disk', () => {
    assert.deepEqual(cases.map((c) => c.file).sort(), exampleFilesOnDisk());
    assert.equal(cases.length, 14);
  });

  for (const c of cases) {
    it(`${c.operationId} (${c.file}): sends the documented request and reads the documented response`, async () => {
      const params = concreteParameters(c);
      const { client, http } = clientFor(c);
      const result = await c.call(client, params);

      assert.equal(http.requests.length, 1, 'exactly one request');
      const req = http.requests[0]!;
      const url = new URL(req.url);
      assert.equal(req.method, c.method);
      assert.equal(url.origin, ARM);
      assert.equal(url.pathname, fillPath(c.pathTemplate, params));
      assert.deepEqual([...url.searchParams.keys()], ['api-version']);
      assert.equal(url.searchParams.get('api-version'), c.example.parameters['api-version']);
      assert.equal(req.headers.authorization, 'Bearer fake-arm-token');
      if (c.requestBody === undefined) {
        assert.equal(req.body, undefined, 'no body');
      } else {
        assert.equal(req.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(req.body!), c.requestBody);
      }
      assertTypedResponse(c, result);
    });
  }

  it('refuses the literal "{operationId}" placeholder of GetAlertOperationById.json without sending anything', async () => {
    const c = cases.find((x) => x.file === 'GetAlertOperationById.json')!;
    assert.equal(c.example.parameters.operationId, '{operationId}');
    const { client, http } = clientFor(c);
    await assert.rejects(c.call(client), (e: unknown) => e instanceof PimValidationError && e.code === 'InvalidId');
    assert.equal(http.requests.length, 0);
  });

  it('accepts the example scope with a leading slash and sends the same path', async () => {
    const c = cases.find((x) => x.file === 'GetAlerts.json')!;
    const { client, http } = clientFor(c);
    await client.listAlerts(`/${c.example.parameters.scope}`);
    assert.equal(new URL(http.requests[0]!.url).pathname, c.path);
  });
});
