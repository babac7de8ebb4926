// What every request goes through: path and scope checks, api-version, ARM error bodies, headers,
// paging, bearer tokens and injected faults.
import assert from 'node:assert/strict';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/server';
import { EXAMPLE_SCOPE, SCOPES } from '../../sim/seed';
import { API, authz, readAll, wire } from './http';

const PROD = SCOPES.production;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('simulator: transport', () => {
  let sim: Simulator | undefined;
  const start = async (options: SimulatorOptions = {}) => (sim = await startSimulator(options));
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  describe('errors and paths', () => {
    const cases: Array<[string, { method?: string; path: string; apiVersion?: string }, number, string]> = [
      ['unknown subscription', { path: authz('subscriptions/0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de', 'roleManagementAlerts'), apiVersion: API }, 404, 'SubscriptionNotFound'],
      ['malformed subscription id', { path: authz('subscriptions/not-a-guid', 'roleManagementAlerts'), apiVersion: API }, 400, 'InvalidSubscriptionId'],
      ['unknown resource group', { path: authz(`${PROD}/resourceGroups/rg-nope`, 'roleManagementAlerts'), apiVersion: API }, 404, 'ResourceGroupNotFound'],
      ['tenant root', { path: '/providers/Microsoft.Authorization/roleManagementAlerts', apiVersion: API }, 400, 'InvalidScope'],
      ['unknown alert', { path: authz(PROD, 'roleManagementAlerts/NoSuchAlert'), apiVersion: API }, 404, 'RoleManagementAlertNotFound'],
      ['unknown definition', { path: authz(PROD, 'roleManagementAlertDefinitions/NoSuchAlert'), apiVersion: API }, 404, 'RoleManagementAlertDefinitionNotFound'],
      ['unknown configuration', { path: authz(PROD, 'roleManagementAlertConfigurations/NoSuchAlert'), apiVersion: API }, 404, 'RoleManagementAlertConfigurationNotFound'],
      ['unknown incident', { path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated/alertIncidents/0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de'), apiVersion: API }, 404, 'RoleManagementAlertIncidentNotFound'],
      ['missing api-version', { path: authz(PROD, 'roleManagementAlerts') }, 400, 'MissingApiVersionParameter'],
      ['other api-version', { path: authz(PROD, 'roleManagementAlerts'), apiVersion: '2022-04-01-preview' }, 400, 'InvalidApiVersionParameter'],
      ['unsupported method', { method: 'DELETE', path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated'), apiVersion: API }, 405, 'MethodNotAllowed'],
      ['GET on an action', { path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated/refresh'), apiVersion: API }, 405, 'MethodNotAllowed'],
      ['unknown resource type', { path: authz(PROD, 'roleManagementPolicies'), apiVersion: API }, 400, 'InvalidResourceType'],
      ['not an authorization path', { path: `/${PROD}/resourceGroups`, apiVersion: API }, 404, 'NotFound'],
      ['dot-dot segment', { path: `/${PROD}/../subscriptions/${'c8a712ad-eaae-41a3-9e8c-113368238c79'}/providers/Microsoft.Authorization/roleManagementAlerts`, apiVersion: API }, 400, 'InvalidRequestUri'],
      ['encoded dot-dot', { path: authz(PROD, 'roleManagementAlerts/%2e%2e'), apiVersion: API }, 400, 'InvalidRequestUri'],
      ['encoded slash in an id', { path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated%2F..%2F..'), apiVersion: API }, 400, 'InvalidRequestUri'],
      ['backslash', { path: authz(PROD, 'roleManagementAlerts/..\\x'), apiVersion: API }, 400, 'InvalidRequestUri'],
      ['doubled slash', { path: `/${PROD}//providers/Microsoft.Authorization/roleManagementAlerts`, apiVersion: API }, 400, 'InvalidRequestUri'],
      ['alert id with a space', { path: authz(PROD, 'roleManagementAlerts/Too%20Many'), apiVersion: API }, 400, 'InvalidResourceName'],
      ['bad percent-encoding', { path: authz(PROD, 'roleManagementAlerts/%E0%A4%A'), apiVersion: API }, 400, 'InvalidRequestUri'],
    ];
    for (const [name, req, status, code] of cases) {
      it(`${name}: ${status} ${code} as an ARM error body`, async () => {
        const s = await start();
        const res = await wire(s.url, req);
        assert.equal(res.status, status, res.text);
        assert.deepEqual(Object.keys(res.body), ['error']);
        assert.equal(res.body.error.code, code);
        assert.ok(res.body.error.message.length > 10);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.match(String(res.headers['x-ms-request-id']), GUID);
      });
    }

    it('405 names the allowed methods', async () => {
      const s = await start();
      const res = await wire(s.url, { method: 'PUT', path: authz(PROD, 'roleManagementAlertConfigurations/DuplicateRoleCreated'), apiVersion: API });
      assert.equal(res.headers['allow'], 'GET, PATCH');
    });

    it('treats provider and type segments and ids case-insensitively, answering with canonical ids', async () => {
      const s = await start();
      const res = await wire(s.url, { path: `/SUBSCRIPTIONS/${EXAMPLE_SCOPE.split('/')[1]!.toUpperCase()}/Providers/microsoft.authorization/ROLEMANAGEMENTALERTS/toomanyownersassignedtoresource`, apiVersion: API });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, `/${EXAMPLE_SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts/TooManyOwnersAssignedToResource`);
      assert.equal(res.body.properties.scope, EXAMPLE_SCOPE);
    });

    it('every response has a fresh request id; bodies are JSON, 204s have none', async () => {
      const s = await start();
      const a = await wire(s.url, { path: authz(PROD, 'roleManagementAlerts'), apiVersion: API });
      const b = await wire(s.url, { method: 'PATCH', path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated'), apiVersion: API, body: { properties: { isActive: false } } });
      assert.match(String(a.headers['x-ms-request-id']), GUID);
      assert.match(String(b.headers['x-ms-request-id']), GUID);
      assert.notEqual(a.headers['x-ms-request-id'], b.headers['x-ms-request-id']);
      assert.equal(b.status, 204);
      assert.equal(b.headers['content-type'], undefined);
      assert.equal(s.requests.length, 2);
      assert.deepEqual(s.requests.map((r) => r.status), [200, 204]);
    });
  });

  describe('paging', () => {
    it('splits lists into pages linked by absolute nextLinks on the simulator origin', async () => {
      const s = await start({ pageSize: 3 });
      const first = await wire(s.url, { path: authz(PROD, 'roleManagementAlerts'), apiVersion: API });
      assert.equal(first.body.value.length, 3);
      const next = new URL(first.body.nextLink as string);
      assert.equal(next.origin, s.url);
      assert.equal(next.pathname, authz(PROD, 'roleManagementAlerts'));
      assert.equal(next.searchParams.get('api-version'), API);
      assert.ok(next.searchParams.get('$skipToken'));
      const all = await readAll(s.url, { path: authz(PROD, 'roleManagementAlerts'), apiVersion: API });
      assert.equal(all.pages, 2);
      assert.deepEqual(all.items.map((a) => a.name), [
        'TooManyPermanentOwnersAssignedToResource',
        'TooManyOwnersAssignedToResource',
        'DuplicateRoleCreated',
        'AzureRolesAssignedOutsidePimAlert',
      ]);
    });

    it('pages incidents, configurations and definitions too, and has no nextLink on the last page', async () => {
      const s = await start({ pageSize: 1 });
      const incidents = await readAll(s.url, { path: authz(SCOPES.development, 'roleManagementAlerts/TooManyOwnersAssignedToResource/alertIncidents'), apiVersion: API });
      assert.equal(incidents.pages, 4);
      assert.equal(new Set(incidents.items.map((i) => i.name)).size, 4);
      assert.equal((await readAll(s.url, { path: authz(PROD, 'roleManagementAlertConfigurations'), apiVersion: API })).items.length, 4);
      assert.equal((await readAll(s.url, { path: authz(PROD, 'roleManagementAlertDefinitions'), apiVersion: API })).items.length, 4);
      const single = await wire(s.url, { path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated/alertIncidents'), apiVersion: API });
      assert.equal(single.body.value.length, 1);
      assert.equal('nextLink' in single.body, false);
    });

    it('rejects a forged skip token', async () => {
      const s = await start({ pageSize: 1 });
      const res = await wire(s.url, { path: `${authz(PROD, 'roleManagementAlerts')}?api-version=${API}&$skipToken=garbage` });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'InvalidSkipToken');
    });
  });

  describe('bearer token', () => {
    const path = authz(PROD, 'roleManagementAlerts');

    it('401 AuthenticationFailed without an Authorization header; any token passes when none is fixed', async () => {
      const s = await start({ requireToken: true });
      const missing = await wire(s.url, { path, apiVersion: API });
      assert.equal(missing.status, 401);
      assert.equal(missing.body.error.code, 'AuthenticationFailed');
      assert.match(String(missing.headers['www-authenticate']), /^Bearer /);
      const basic = await wire(s.url, { path, apiVersion: API, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(basic.status, 401);
      assert.equal((await wire(s.url, { path, apiVersion: API, headers: { authorization: 'Bearer eyJ0eXAi.any' } })).status, 200);
    });

    it('a fixed token: others get 401 InvalidAuthenticationToken', async () => {
      const s = await start({ requireToken: 'sim-token-123' });
      const wrong = await wire(s.url, { path, apiVersion: API, headers: { authorization: 'Bearer other' } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'InvalidAuthenticationToken');
      assert.equal((await wire(s.url, { path, apiVersion: API, headers: { authorization: 'Bearer sim-token-123' } })).status, 200);
    });

    it('no token needed by default', async () => {
      const s = await start();
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 200);
    });
  });

  describe('faults', () => {
    const path = authz(PROD, 'roleManagementAlerts');

    it('429 carries Retry-After and a TooManyRequests body', async () => {
      const s = await start({ faults: { rate429: 1, retryAfter429Seconds: 7 } });
      const res = await wire(s.url, { path, apiVersion: API });
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '7');
      assert.equal(res.body.error.code, 'TooManyRequests');
    });

    it('answers about the configured share with 500, repeatably for the same random seed', async () => {
      const run = async () => {
        const s = await startSimulator({ faults: { rate500: 0.3 }, randomSeed: 42 });
        const statuses: number[] = [];
        for (let i = 0; i < 100; i++) statuses.push((await wire(s.url, { path, apiVersion: API })).status);
        await s.close();
        return statuses;
      };
      const a = await run();
      const b = await run();
      assert.deepEqual(a, b);
      const failures = a.filter((x) => x === 500).length;
      assert.ok(failures >= 15 && failures <= 45, `${failures} of 100 failed`);
      assert.ok(a.every((x) => x === 200 || x === 500));
    });

    it('uses an injected random source and can be switched off at runtime', async () => {
      const draws = [0.05, 0.15, 0.5];
      const s = await start({ faults: { rate429: 0.1, rate500: 0.1 }, random: () => draws.shift() ?? 0.99 });
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 429);
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 500);
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 200);
      s.setFaults({});
      draws.push(0);
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 200);
    });

    it('a failed request changes nothing', async () => {
      const s = await start({ faults: { rate500: 1 } });
      const res = await wire(s.url, { method: 'PATCH', path: authz(PROD, 'roleManagementAlerts/DuplicateRoleCreated'), apiVersion: API, body: { properties: { isActive: false } } });
      assert.equal(res.status, 500);
      assert.equal(s.state.alert(PROD, 'DuplicateRoleCreated').isActive, true);
    });

    it('adds latency before answering', async () => {
      const s = await start({ faults: { latencyMs: 60 } });
      const t = process.hrtime.bigint();
      assert.equal((await wire(s.url, { path, apiVersion: API })).status, 200);
      assert.ok(Number(process.hrtime.bigint() - t) / 1e6 >= 55);
    });
  });
});
