// The Microsoft Graph client of the directory-role PIM alerts, on the ARM client's foundations: its
// token goes only to the Graph origin (and ARM's only to ARM), every id is checked before a URL is
// built, @odata.nextLink and Location stay on the Graph origin, Retry-After is honoured, and a 403
// names the Graph permission the bot's identity lacks.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createAzureClients } from '../../bot/azure/index';
import { GraphDirectoryRolesClient, GraphPimAlertsClient, type GraphClientOptions } from '../../bot/azure/graph';
import { PimAlertsClient } from '../../bot/azure/client';
import { createScopedApi } from '../../bot/azure/scoped';
import { ArmError } from '../../bot/azure/errors';
import { readGraphEndpoint } from '../../bot/azure/credentials';
import { createArmPipeline, tokenScopeFor } from '../../bot/azure/pipeline';
import { bearerTokenAuthenticationPolicyName, createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { OperationHandle, PimAlertsApi } from '../../bot/azure/api';
import { ARM, AudienceCredential, DIRECTORY_ALERT, FakeCredential, FakeHttpClient, GRAPH, SCOPE, TENANT, graphError, settle, type FakeResponse, isCode } from './fakes';

const ROOT = `${GRAPH}/beta/identityGovernance/roleManagementAlerts`;
const INCIDENT = 'f5417b06-cdae-417f-9589-a334104206cf';
const EMPTY: FakeResponse = { status: 200, body: { value: [] } };
const ALERT: FakeResponse = { status: 200, body: { id: DIRECTORY_ALERT, scopeId: '/', scopeType: 'DirectoryRole', isActive: true, incidentCount: 0 } };

function client(http: FakeHttpClient, extra: Partial<GraphClientOptions> = {}): GraphPimAlertsClient {
  return new GraphPimAlertsClient({ endpoint: GRAPH, credential: new FakeCredential('graph-token'), httpClient: http, ...extra });
}

describe('Graph client: tokens and hosts', () => {
  it('asks for the Graph token and sends it to the Graph origin only; a sovereign cloud moves both', async () => {
    const cred = new FakeCredential('graph-token');
    const http = new FakeHttpClient().reply(EMPTY, EMPTY);
    await new GraphPimAlertsClient({ endpoint: GRAPH, credential: cred, httpClient: http }).listAlerts('directory');
    await new GraphPimAlertsClient({ endpoint: 'https://microsoftgraph.chinacloudapi.cn/', credential: cred, httpClient: http }).listAlerts('directory');
    assert.deepEqual(cred.scopesAsked, [['https://graph.microsoft.com/.default'], ['https://microsoftgraph.chinacloudapi.cn/.default']]);
    assert.deepEqual(http.requests.map((r) => [new URL(r.url).origin, r.headers.authorization]), [
      [GRAPH, 'Bearer graph-token'],
      ['https://microsoftgraph.chinacloudapi.cn', 'Bearer graph-token'],
    ]);
    assert.equal(tokenScopeFor('https://graph.microsoft.us', 'graph'), 'https://graph.microsoft.us/.default');
  });

  it('on one credential, the Graph token never reaches ARM and the ARM token never reaches Graph', async () => {
    const credential = new AudienceCredential();
    const http = new FakeHttpClient((r) => (r.url.startsWith(GRAPH) ? EMPTY : { status: 200, body: { value: [] } }));
    // The composition root builds both clients from one credential like this.
    const arm = new PimAlertsClient({ endpoint: ARM, credential, httpClient: http });
    const graph = new GraphPimAlertsClient({ endpoint: GRAPH, credential, httpClient: http });
    const api = createScopedApi({ arm, graph });
    await api.listAlerts('directory');
    await api.listAlerts(SCOPE);
    await new GraphDirectoryRolesClient({ endpoint: GRAPH, credential, httpClient: http }).listTransitiveRoleAssignments('2c7936bc-3517-40f3-8eda-4806637b6516');
    for (const r of http.requests) {
      const origin = new URL(r.url).origin;
      assert.equal(r.headers.authorization, `Bearer token-for ${origin}/.default`, `${r.method} ${r.url}`);
    }
    assert.deepEqual(http.requests.map((r) => new URL(r.url).origin), [GRAPH, ARM, GRAPH]);
  });

  it('refuses an @odata.nextLink or a refresh Location on another host (ARM included) without sending anything there', async () => {
    const cred = new FakeCredential('graph-token');
    const http = new FakeHttpClient()
      .reply({ status: 200, body: { value: [], '@odata.nextLink': `${ARM}/beta/identityGovernance/roleManagementAlerts/alerts?$skip=5` } })
      .reply({ status: 202, headers: { location: 'https://attacker.example/beta/identityGovernance/roleManagementAlerts/operations/x' } });
    const c = new GraphPimAlertsClient({ endpoint: GRAPH, credential: cred, httpClient: http });
    await assert.rejects(c.listAlerts('directory'), isCode('ForeignHost', /instead of the configured Graph endpoint https:\/\/graph\.microsoft\.com.*check GRAPH_ENDPOINT/));
    await assert.rejects(c.refreshAllAlerts('directory'), isCode('ForeignHost', /attacker\.example/));
    // A stored handle pointing at ARM is not followed by the Graph client either.
    await assert.rejects(
      c.pollOperation({ service: 'graph', location: `${ARM}/beta/identityGovernance/roleManagementAlerts/operations/x`, scope: 'directory', startedAt: new Date().toISOString() }),
      isCode('ForeignHost'),
    );
    assert.deepEqual(http.requests.map((r) => new URL(r.url).origin), [GRAPH, GRAPH]);
  });

  it("the Graph pipeline sends nothing, and fetches no token, for the ARM origin, even if a later policy rewrites the URL", async () => {
    const cred = new FakeCredential('graph-token');
    const http = new FakeHttpClient((r) => assert.fail(`request reached the wire: ${r.url} with ${r.headers.authorization}`));
    const pipeline = createArmPipeline({ endpoint: GRAPH, service: 'graph', credential: cred });
    await assert.rejects(pipeline.sendRequest(http, createPipelineRequest({ url: `${ARM}/${SCOPE}?api-version=1` })), isCode('ForeignHost', /configured Graph endpoint/));
    assert.equal(cred.scopesAsked.length, 0);
    const rewrite: PipelinePolicy = {
      name: 'rewriteAfterAuth',
      sendRequest: (req, next) => {
        req.url = `${ARM}/${SCOPE}?api-version=1`;
        return next(req);
      },
    };
    pipeline.addPolicy(rewrite, { afterPolicies: [bearerTokenAuthenticationPolicyName], beforePolicies: ['graphHostGuardInner'] });
    await assert.rejects(pipeline.sendRequest(http, createPipelineRequest({ url: `${GRAPH}/beta/x` })), isCode('ForeignHost'));
    assert.equal(http.requests.length, 0);
  });

  it('the ARM client refuses a nextLink on the Graph origin: its token stays on ARM', async () => {
    const http = new FakeHttpClient().reply({ status: 200, body: { value: [], nextLink: `${GRAPH}/beta/x` } });
    const arm = new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http });
    await assert.rejects(arm.listAlerts(SCOPE), isCode('ForeignHost', /configured ARM endpoint/));
    assert.equal(http.requests.length, 1);
  });

  it('checks GRAPH_ENDPOINT like ARM_ENDPOINT, and against the credential only when the directory is watched', () => {
    assert.equal(readGraphEndpoint({}, 'managedIdentity', true), GRAPH);
    assert.equal(readGraphEndpoint({ GRAPH_ENDPOINT: 'https://graph.microsoft.us/' }, 'managedIdentity', true), 'https://graph.microsoft.us');
    assert.throws(() => readGraphEndpoint({ GRAPH_ENDPOINT: 'http://graph.microsoft.com' }, 'managedIdentity', true), isCode('InsecureEndpoint', /^The Graph endpoint/));
    assert.throws(() => readGraphEndpoint({ GRAPH_ENDPOINT: 'https://graph.microsoft.com/beta' }, 'managedIdentity', true), isCode('InvalidEndpoint'));
    assert.throws(() => readGraphEndpoint({}, 'none', true), isCode('CredentialNotAllowed', /PIM_CREDENTIAL=none/));
    assert.equal(readGraphEndpoint({}, 'none', false), GRAPH);
    assert.equal(readGraphEndpoint({ GRAPH_ENDPOINT: 'http://127.0.0.1:4010' }, 'none', true), 'http://127.0.0.1:4010');
  });
});

describe('Graph client: requests', () => {
  it('validates every id before building a URL', async () => {
    const http = new FakeHttpClient((r) => assert.fail(`request reached the wire: ${r.url}`));
    const c = client(http);
    for (const bad of ['TooManyOwnersAssignedToResource', `DirectoryRole_${TENANT}_x/../../me`, `DirectoryRole_not-a-tenant_StaleSignInAlert`, `${DIRECTORY_ALERT}?$select=id`, '']) {
      await assert.rejects(c.getAlert('directory', bad), isCode('InvalidId'), bad);
      await assert.rejects(c.updateAlert('directory', bad, { isActive: false }), isCode('InvalidId'), bad);
    }
    for (const bad of ['1', '../x', `${INCIDENT}/remediate`, 'a9f38501-74ec-43ea-8663-6c538602150']) {
      await assert.rejects(c.remediateAlertIncident('directory', DIRECTORY_ALERT, bad), isCode('InvalidId'), bad);
    }
    await assert.rejects(c.getAlertOperation('directory', 'refresh:x/../../y'), isCode('InvalidId'));
    await assert.rejects(c.listAlerts(SCOPE), isCode('InvalidScope', /serves only the directory scope/));
    await assert.rejects(c.updateAlertConfiguration('directory', DIRECTORY_ALERT, { alertConfigurationType: 'TooManyOwnersAssignedToResourceAlertConfiguration', isEnabled: true }), isCode('InvalidUpdate'));
    assert.equal(http.requests.length, 0);
  });

  it('sends the documented requests: the scope filter, $expand, PATCH bodies with @odata.type, and a remediation that answers 200', async () => {
    const http = new FakeHttpClient()
      .reply(EMPTY, ALERT, { status: 204 }, { status: 204 }, { status: 200, headers: { 'request-id': 'rid-remediate' } });
    const c = client(http);
    await c.listAlerts('directory');
    await c.getAlert('/directory', DIRECTORY_ALERT);
    await c.updateAlert('directory', DIRECTORY_ALERT, { isActive: false });
    await c.updateAlertConfiguration('Directory', DIRECTORY_ALERT, {
      alertConfigurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
      isEnabled: true,
      globalAdminCountThreshold: 4,
      percentageOfGlobalAdminsOutOfRolesThreshold: 10,
    });
    assert.deepEqual(await c.remediateAlertIncident('directory', DIRECTORY_ALERT, INCIDENT), { requestId: 'rid-remediate' });
    const [list, get, dismiss, configure, remediate] = http.requests;
    assert.equal(decodeURIComponent(list!.url), `${ROOT}/alerts?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=alertDefinition,alertConfiguration,alertIncidents`);
    assert.equal(decodeURIComponent(get!.url), `${ROOT}/alerts/${DIRECTORY_ALERT}?$expand=alertDefinition,alertConfiguration,alertIncidents`);
    assert.deepEqual([dismiss!.method, dismiss!.url, JSON.parse(dismiss!.body!)], ['PATCH', `${ROOT}/alerts/${DIRECTORY_ALERT}`, { isActive: false }]);
    assert.deepEqual([configure!.method, configure!.url, JSON.parse(configure!.body!)], [
      'PATCH',
      `${ROOT}/alertConfigurations/${DIRECTORY_ALERT}`,
      { '@odata.type': '#microsoft.graph.tooManyGlobalAdminsAssignedToTenantAlertConfiguration', isEnabled: true, globalAdminCountThreshold: 4, percentageOfGlobalAdminsOutOfRolesThreshold: 10 },
    ]);
    assert.deepEqual([remediate!.method, remediate!.url, remediate!.body], ['POST', `${ROOT}/alerts/${DIRECTORY_ALERT}/alertIncidents/${INCIDENT}/remediate`, undefined]);
  });

  it('reads directory role assignments with ConsistencyLevel: eventual and the principal filter, following @odata.nextLink', async () => {
    const row = (id: string) => ({ id, principalId: '2c7936bc-3517-40f3-8eda-4806637b6516', directoryScopeId: '/', roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10' });
    const next = `${GRAPH}/beta/roleManagement/directory/transitiveRoleAssignments?$skiptoken=abc`;
    const http = new FakeHttpClient().reply({ status: 200, body: { value: [row('a'), { id: 'broken' }], '@odata.nextLink': next } }, { status: 200, body: { value: [row('b')] } });
    const rows = await new GraphDirectoryRolesClient({ endpoint: GRAPH, credential: new FakeCredential(), httpClient: http }).listTransitiveRoleAssignments('2C7936BC-3517-40F3-8EDA-4806637B6516');
    assert.deepEqual(rows.map((r) => r.id), ['a', 'b'], 'a row without the members it needs is dropped');
    assert.equal(decodeURIComponent(http.requests[0]!.url), `${GRAPH}/beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId eq '2c7936bc-3517-40f3-8eda-4806637b6516'`);
    assert.equal(http.requests[1]!.url, next);
    for (const r of http.requests) assert.equal(r.headers.consistencylevel, 'eventual');
    await assert.rejects(
      new GraphDirectoryRolesClient({ endpoint: GRAPH, credential: new FakeCredential(), httpClient: http }).listTransitiveRoleAssignments("x' or 1 eq 1"),
      isCode('InvalidId'),
    );
  });

  it('stops paging at the page cap', async () => {
    const http = new FakeHttpClient(() => ({ status: 200, body: { value: [], '@odata.nextLink': `${ROOT}/alerts?$skip=1` } }));
    await assert.rejects(client(http, { maxPages: 3 }).listAlerts('directory'), isCode('TooManyPages', /went past 3 pages/));
    assert.equal(http.requests.length, 3);
  });
});

describe('Graph client: errors people read', () => {
  it('a 403 names the Graph permission the identity lacks: ReadWrite for writes, Read for reads, RoleManagement for role reads', async () => {
    const denied = graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const http = new FakeHttpClient(() => denied);
    const c = client(http);
    await assert.rejects(c.updateAlert('directory', DIRECTORY_ALERT, { isActive: false }), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.service, 'graph');
      assert.equal(e.code, 'Authorization_RequestDenied');
      assert.equal(e.requestId, 'graph-403-Authorization_RequestDenied');
      assert.equal(
        e.message,
        "The bot's identity lacks RoleManagementAlert.ReadWrite.Directory on Microsoft Graph: grant its managed identity that application permission, with admin consent (see docs/deploy.md) (Graph request id graph-403-Authorization_RequestDenied).",
      );
      return true;
    });
    await assert.rejects(c.listAlerts('directory'), isCode('Authorization_RequestDenied', /^The bot's identity lacks RoleManagementAlert\.Read\.Directory on Microsoft Graph/));
    const roles = new GraphDirectoryRolesClient({ endpoint: GRAPH, credential: new FakeCredential(), httpClient: http });
    await assert.rejects(roles.listTransitiveRoleAssignments('2c7936bc-3517-40f3-8eda-4806637b6516'), isCode('Authorization_RequestDenied', /^The bot's identity lacks RoleManagement\.Read\.Directory on Microsoft Graph/));
  });

  it('names Microsoft Graph and the directory in the other failures', async () => {
    const http = new FakeHttpClient().reply(
      graphError(404, 'ResourceNotFound', 'nope'),
      graphError(400, 'BadRequest', 'The alert cannot be remediated.'),
      graphError(401, 'InvalidAuthenticationToken', 'expired'),
    );
    const c = client(http, { retry: { maxRetries: 0 } });
    await assert.rejects(c.getAlert('directory', DIRECTORY_ALERT), isCode('ResourceNotFound', new RegExp(`^The alert '${DIRECTORY_ALERT}' was not found in the directory: check the id \\(Graph request id`)));
    await assert.rejects(c.remediateAlertIncident('directory', DIRECTORY_ALERT, INCIDENT), isCode('BadRequest', /^Microsoft Graph rejected the request in the directory with 400 \(BadRequest\).*Graph said: The alert cannot be remediated\.$/));
    await assert.rejects(c.listAlerts('directory'), isCode('InvalidAuthenticationToken', /^Microsoft Graph refused the bot's token .*GRAPH_ENDPOINT matches its cloud/));
  });
});

describe('Graph client: retries and the long-running refresh (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-01T10:00:00Z') });
  });
  afterEach(() => clock.restore());

  it('waits what Retry-After asks on a Graph 429, then reads', async () => {
    const http = new FakeHttpClient().reply(graphError(429, 'TooManyRequests', 'slow down', { 'retry-after': '7' }), ALERT);
    const alert = await settle(clock, client(http).getAlert('directory', DIRECTORY_ALERT), 500);
    assert.equal(alert.name, DIRECTORY_ALERT);
    assert.deepEqual([http.requests[1]!.at - http.requests[0]!.at], [7_000]);
  });

  it('starts a refresh (202 + Location, no body) as plain state that says to poll Graph, and polls it to succeeded', async () => {
    const location = `${ROOT}/operations/refresh:${DIRECTORY_ALERT}`;
    const op = (status: string) => ({ status: 200, body: { id: `refresh:${DIRECTORY_ALERT}`, status, statusDetail: '', resourceLocation: '' } });
    const http = new FakeHttpClient().reply({ status: 202, headers: { location, 'request-id': 'rid-202' } }, op('notStarted'), op('running'), op('succeeded'));
    const c = client(http, { pollIntervalMs: 5_000 });
    const handle = await c.refreshAlert('directory', DIRECTORY_ALERT);
    assert.deepEqual(handle, {
      service: 'graph',
      location,
      scope: 'directory',
      alertId: DIRECTORY_ALERT,
      operationId: `refresh:${DIRECTORY_ALERT}`,
      startedAt: '2025-03-01T10:00:00.000Z',
      requestId: 'rid-202',
    });
    assert.equal(http.requests[0]!.body, undefined, 'refreshing one alert sends no body');
    const stored = JSON.parse(JSON.stringify(handle)) as OperationHandle;
    const result = await settle(clock, c.pollOperation(stored), 1_000);
    assert.equal(result.outcome, 'succeeded');
    assert.equal(result.polls, 3);
    assert.deepEqual(result.details, []);
    assert.deepEqual(http.requests.slice(1).map((r) => r.url), [location, location, location]);
  });

  it('the composite API polls a handle with the API that started it, an old handle without one with ARM', async () => {
    const calls: string[] = [];
    const fake = (name: string) => ({ pollOperation: async () => (calls.push(name), { outcome: 'succeeded', details: [], durationMs: 0, polls: 1 }) }) as unknown as PimAlertsApi;
    const api = createScopedApi({ arm: fake('arm'), graph: fake('graph') });
    const base = { location: 'x', scope: 'directory', startedAt: '2025-03-01T10:00:00Z' };
    await api.pollOperation({ ...base, service: 'graph' });
    await api.pollOperation({ ...base, service: 'arm', scope: SCOPE });
    await api.pollOperation({ ...base, scope: SCOPE });
    assert.deepEqual(calls, ['graph', 'arm', 'arm']);
    await assert.rejects(createScopedApi({ arm: fake('arm') }).listAlerts('directory'), isCode('InvalidScope', /add directory to PIM_SCOPES/));
  });

  it('createAzureClients builds the Graph side only when the directory is watched', async () => {
    const http = new FakeHttpClient(() => EMPTY);
    const without = createAzureClients({ endpoint: 'http://127.0.0.1:7071', credentialMode: 'none' }, { httpClient: http });
    assert.equal(without.directoryRoles, undefined);
    await assert.rejects(without.alerts.listAlerts('directory'), isCode('InvalidScope'));
    const withGraph = createAzureClients({ endpoint: 'http://127.0.0.1:7071', credentialMode: 'none', graphEndpoint: 'http://127.0.0.1:7072' }, { httpClient: http });
    await withGraph.alerts.listAlerts('directory');
    await withGraph.alerts.listAlerts(SCOPE);
    assert.deepEqual(http.requests.map((r) => new URL(r.url).origin), ['http://127.0.0.1:7072', 'http://127.0.0.1:7071']);
    assert.ok(withGraph.directoryRoles);
  });
});
