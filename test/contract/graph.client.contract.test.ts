// Every Graph example, performed through the Graph clients: the request on the wire is the docs'
// (or, where the bot asks differently, the difference is named in the table), and the example's
// answer comes back as the bot's one model.
import assert from 'node:assert/strict';
import { GraphDirectoryRolesClient, GraphPimAlertsClient } from '../../bot/azure/graph';
import type { DirectoryRoleAssignment, OperationHandle } from '../../bot/azure/api';
import { isKnownConfiguration, isKnownIncident, type Alert, type AlertConfiguration, type AlertDefinition, type AlertIncident, type AlertOperationResult } from '../../bot/azure/models';
import { FakeCredential, FakeHttpClient, GRAPH, type FakeResponse } from '../azure/fakes';
import { docsUrl, graphExampleFilesOnDisk, loadGraphContractCases, type GraphContractCase } from './graphExamples';

const REQUEST_ID = '2f8c3c8e-6a51-4f40-9d0d-7b9e1c2a4f10';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function answer(c: GraphContractCase): FakeResponse {
  return { status: c.status, headers: { ...c.responseHeaders, 'request-id': REQUEST_ID }, body: c.responseBody };
}

function assertAlerts(alerts: Alert[], raw: Json[]): void {
  assert.deepEqual(alerts.map((a) => a.name), raw.map((r) => r.id));
  for (const [i, a] of alerts.entries()) {
    const r = raw[i]!;
    assert.equal(a.properties.scope, 'directory');
    assert.equal(a.properties.isActive, r.isActive);
    assert.equal(a.properties.incidentCount, r.incidentCount);
    assert.equal(a.properties.lastScannedDateTime, r.lastScannedDateTime);
    if (r.alertDefinition) assert.equal(a.properties.alertDefinition?.properties.displayName, r.alertDefinition.displayName);
    if (r.alertConfiguration) assert.ok(isKnownConfiguration(a.properties.alertConfiguration!.properties), a.properties.alertConfiguration!.properties.alertConfigurationType);
    assert.equal(a.properties.alertIncidents?.length, r.alertIncidents?.length);
    for (const inc of a.properties.alertIncidents ?? []) assert.ok(isKnownIncident(inc.properties), inc.properties.alertIncidentType);
  }
}

function assertTyped(c: GraphContractCase, result: unknown): void {
  const body = c.responseBody as Json | undefined;
  const path = c.path;
  if (c.status === 202) {
    const h = result as OperationHandle;
    assert.equal(h.service, 'graph');
    assert.equal(h.location, c.responseHeaders!.Location);
    assert.equal(h.scope, 'directory');
    assert.equal(h.operationId, c.responseHeaders!.Location!.split('/').pop());
    assert.equal(h.requestId, REQUEST_ID);
    assert.deepEqual(JSON.parse(JSON.stringify(h)), h, 'the handle must survive JSON storage');
    return;
  }
  if (body === undefined) {
    // Writes answer 204 (dismiss, configure) or 200 (remediate) with no body: the request id is kept for the audit log.
    assert.deepEqual(result, { requestId: REQUEST_ID });
    return;
  }
  if (path.startsWith('roleManagement/')) {
    const rows = result as DirectoryRoleAssignment[];
    assert.deepEqual(rows, body.value);
    return;
  }
  if (/\/alerts$/.test(path)) return assertAlerts(result as Alert[], body.value);
  if (/\/alerts\/[^/]+$/.test(path)) return assertAlerts([result as Alert], [body]);
  if (/alertIncidents(\/[^/]+)?$/.test(path)) {
    const incidents = (Array.isArray(result) ? result : [result]) as AlertIncident[];
    const raw: Json[] = Array.isArray(body.value) ? body.value : [body];
    assert.deepEqual(incidents.map((i) => i.name), raw.map((r) => r.id));
    for (const [i, inc] of incidents.entries()) {
      assert.ok(isKnownIncident(inc.properties));
      assert.equal((inc.properties as Json).assigneeUserPrincipalName, raw[i]!.assigneeUserPrincipalName);
    }
    return;
  }
  if (/alertConfigurations/.test(path)) {
    const configs = (Array.isArray(result) ? result : [result]) as AlertConfiguration[];
    const raw: Json[] = Array.isArray(body.value) ? body.value : [body];
    assert.deepEqual(configs.map((x) => x.name), raw.map((r) => r.id));
    for (const [i, x] of configs.entries()) {
      assert.ok(isKnownConfiguration(x.properties));
      assert.equal(`#microsoft.graph.${x.properties.alertConfigurationType}`, raw[i]!['@odata.type']);
      assert.equal((x.properties as Json).globalAdminCountThreshold, raw[i]!.globalAdminCountThreshold);
      assert.equal(x.properties.alertDefinition?.properties.displayName, raw[i]!.alertDefinition?.displayName);
    }
    return;
  }
  if (/alertDefinitions/.test(path)) {
    const defs = (Array.isArray(result) ? result : [result]) as AlertDefinition[];
    const raw: Json[] = Array.isArray(body.value) ? body.value : [body];
    assert.deepEqual(defs.map((d) => d.name), raw.map((r) => r.id));
    for (const [i, d] of defs.entries()) {
      assert.ok(['Low', 'Medium', 'High'].includes(String(d.properties.severityLevel)));
      assert.equal(d.properties.severityLevel?.toLowerCase(), raw[i]!.severityLevel);
      assert.equal(d.properties.isRemediatable, raw[i]!.isRemediatable);
      assert.equal(d.properties.scope, 'directory');
    }
    return;
  }
  if (/\/operations\//.test(path)) {
    const op = result as AlertOperationResult;
    const { '@odata.context': _context, ...fields } = body;
    assert.deepEqual(op, fields);
    return;
  }
  assert.fail(`no response assertion for ${c.title}`);
}

describe('Graph clients against the Graph examples', () => {
  const cases = loadGraphContractCases();

  it('use every example file on disk', () => {
    assert.deepEqual([...new Set(cases.flatMap((c) => c.files))].sort(), graphExampleFilesOnDisk());
  });

  for (const c of cases) {
    it(`${c.title} (${c.files.join(', ')}): ${c.exact ? 'sends the documented request' : `sends the bot's request (${c.why})`} and reads the documented answer`, async () => {
      const nextLink = (c.responseBody as Json | undefined)?.['@odata.nextLink'] as string | undefined;
      const http = new FakeHttpClient().reply(answer(c), ...(nextLink ? [{ status: 200, body: { value: [] } }] : []));
      const options = { endpoint: GRAPH, credential: new FakeCredential('graph-token'), httpClient: http };
      const result = await c.call(new GraphPimAlertsClient(options), new GraphDirectoryRolesClient(options));

      const [req, next] = http.requests;
      assert.equal(http.requests.length, nextLink ? 2 : 1);
      assert.equal(req!.method, c.method);
      assert.equal(req!.headers.authorization, 'Bearer graph-token');
      const url = new URL(req!.url);
      assert.equal(url.origin, GRAPH);
      assert.equal(decodeURIComponent(url.pathname), `/beta/${c.clientPath ?? c.path}`);
      if (c.exact) assert.equal(decodeURIComponent(req!.url), docsUrl(c));
      for (const [h, v] of Object.entries(c.headers ?? {})) assert.equal(req!.headers[h.toLowerCase()], v);
      if (c.requestBody === undefined) {
        assert.equal(req!.body, undefined, 'no body');
      } else {
        assert.equal(req!.headers['content-type'], 'application/json');
        const sent = JSON.parse(req!.body!) as Json;
        // The update example's string "true" is a docs slip: the bot sends the Boolean.
        const expected = c.exact ? c.requestBody : { ...(c.requestBody as Json), isEnabled: (c.requestBody as Json).isEnabled === 'true' };
        assert.deepEqual(sent, expected);
      }
      if (nextLink) assert.equal(next!.url, nextLink, 'the @odata.nextLink is followed exactly as given');
      assertTyped(c, result);
    });
  }
});
