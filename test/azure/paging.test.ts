import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PimAlertsClient } from '../../bot/azure/client';
import { ArmError } from '../../bot/azure/errors';
import type { Alert, AlertIncident } from '../../bot/azure/models';
import { RbacClient } from '../../bot/azure/rbac';
import { ARM, FakeCredential, FakeHttpClient, SCOPE, SUB } from './fakes';

const examples = path.join(__dirname, '..', 'fixtures', 'arm', 'examples');
const alerts = (JSON.parse(fs.readFileSync(path.join(examples, 'GetAlerts.json'), 'utf8')) as { responses: { 200: { body: { value: Alert[] } } } }).responses[200].body.value;
const LIST = `${ARM}/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts`;
const next = (token: string) => `${LIST}?api-version=2022-08-01-preview&$skipToken=${token}`;

function client(http: FakeHttpClient, maxPages?: number) {
  return new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http, ...(maxPages ? { maxPages } : {}) });
}

describe('paging', () => {
  it('follows nextLink across pages, sending it exactly as given, and returns every item in order', async () => {
    assert.equal(alerts.length, 2, 'the fixture lists two alerts');
    const http = new FakeHttpClient().reply(
      { status: 200, body: { value: alerts.slice(0, 1), nextLink: next('p2') } },
      { status: 200, body: { value: [], nextLink: next('p3') } },
      { status: 200, body: { value: alerts.slice(1) } },
    );
    const all = await client(http).listAlerts(SCOPE);
    assert.deepEqual(all, alerts);
    assert.deepEqual(
      http.requests.map((r) => r.url),
      [`${LIST}?api-version=2022-08-01-preview`, next('p2'), next('p3')],
    );
    assert.ok(http.requests.every((r) => r.headers.authorization === 'Bearer fake-arm-token'));
  });

  it('stops on an empty or null nextLink', async () => {
    const http = new FakeHttpClient().reply({ status: 200, body: { value: alerts, nextLink: null } });
    assert.equal((await client(http).listAlerts(SCOPE)).length, alerts.length);
    const http2 = new FakeHttpClient().reply({ status: 200, body: { value: [], nextLink: '' } });
    assert.deepEqual(await client(http2).listAlerts(SCOPE), []);
    assert.equal(http2.requests.length, 1);
  });

  it('resolves a relative nextLink against the ARM origin', async () => {
    const http = new FakeHttpClient().reply(
      { status: 200, body: { value: [], nextLink: `/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts?api-version=2022-08-01-preview&$skipToken=rel` } },
      { status: 200, body: { value: alerts.slice(0, 1) } },
    );
    assert.equal((await client(http).listAlerts(SCOPE)).length, 1);
    assert.equal(http.requests[1]!.url, next('rel'));
  });

  for (const [name, link] of [
    ['another host', `https://evil.example/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts?$skipToken=x`],
    ['a look-alike host', `https://management.azure.com.evil.example/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts`],
    ['user-info trick', `https://management.azure.com@evil.example/${SCOPE}`],
    ['protocol-relative', `//evil.example/${SCOPE}`],
    ['plain http to the same host', `http://management.azure.com/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts`],
    ['another port', `https://management.azure.com:8443/${SCOPE}`],
  ] as const) {
    it(`refuses a nextLink to ${name} and sends nothing there`, async () => {
      const http = new FakeHttpClient().reply({ status: 200, body: { value: alerts.slice(0, 1), nextLink: link } });
      await assert.rejects(client(http).listAlerts(SCOPE), (e: unknown) => {
        assert.ok(e instanceof ArmError);
        assert.equal(e.code, 'ForeignHost');
        assert.match(e.message, /instead of the configured ARM endpoint https:\/\/management\.azure\.com, so the bot did not send it/);
        return true;
      });
      assert.equal(http.requests.length, 1, 'only the first page was requested');
    });
  }

  it('gives up with TooManyPages once the page cap is reached, without fetching page cap + 1', async () => {
    let n = 0;
    const http = new FakeHttpClient(() => ({ status: 200, body: { value: alerts.slice(0, 1), nextLink: next(`p${++n}`) } }));
    await assert.rejects(client(http, 3).listAlerts(SCOPE), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.code, 'TooManyPages');
      assert.equal(e.message, `Listing alerts at ${SCOPE} went past 3 pages, so the bot stopped: narrow the scope or raise the page limit.`);
      return true;
    });
    assert.equal(http.requests.length, 3);
  });

  it('defaults the page cap to 50, so a nextLink loop cannot run forever', async () => {
    const http = new FakeHttpClient(() => ({ status: 200, body: { value: [], nextLink: next('same') } }));
    await assert.rejects(client(http).listAlertDefinitions(SCOPE), { code: 'TooManyPages' });
    assert.equal(http.requests.length, 50);
  });

  it('keeps unknown incident kinds as they came, and refuses a body that is not a list', async () => {
    const unknown = { id: 'x', name: 'n', type: 't', properties: { alertIncidentType: 'SomethingNewAlertIncident', extra: 42 } };
    const http = new FakeHttpClient().reply({ status: 200, body: { value: [unknown] } }, { status: 200, body: { values: [] } }, { status: 200, body: 'not json' });
    const c = client(http);
    const incidents: AlertIncident[] = await c.listAlertIncidents(SCOPE, 'DuplicateRoleCreated');
    assert.deepEqual(incidents, [unknown]);
    await assert.rejects(c.listAlertIncidents(SCOPE, 'DuplicateRoleCreated'), { code: 'InvalidResponse' });
    await assert.rejects(c.listAlertIncidents(SCOPE, 'DuplicateRoleCreated'), { code: 'InvalidResponse' });
  });

  it('pages RBAC role assignments the same way, with the assignedTo filter', async () => {
    const principal = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const a1 = { id: 'a1', name: 'a1', type: 'Microsoft.Authorization/roleAssignments', properties: { scope: `/${SCOPE}`, roleDefinitionId: 'r', principalId: principal } };
    const http = new FakeHttpClient().reply(
      { status: 200, body: { value: [a1], nextLink: `${ARM}/${SCOPE}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$skipToken=2` } },
      { status: 200, body: { value: [{ ...a1, id: 'a2', name: 'a2' }] } },
    );
    const rbac = new RbacClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http });
    const got = await rbac.listRoleAssignmentsForPrincipal(`/SUBSCRIPTIONS/${SUB.toUpperCase()}`, principal.toUpperCase());
    assert.deepEqual(got.map((a) => a.id), ['a1', 'a2']);
    const first = new URL(http.requests[0]!.url);
    assert.equal(first.pathname, `/${SCOPE}/providers/Microsoft.Authorization/roleAssignments`);
    assert.equal(first.searchParams.get('$filter'), `assignedTo('${principal}')`);
    assert.equal(first.searchParams.get('api-version'), '2022-04-01');
  });

  it('reads a role definition by its full id', async () => {
    const id = `/${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`;
    const def = { id, name: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', type: 'Microsoft.Authorization/roleDefinitions', properties: { roleName: 'Owner', permissions: [{ actions: ['*'] }] } };
    const http = new FakeHttpClient().reply({ status: 200, body: def });
    const rbac = new RbacClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http });
    assert.deepEqual(await rbac.getRoleDefinition(id), def);
    assert.equal(http.requests[0]!.url, `${ARM}${id}?api-version=2022-04-01`);
  });
});
