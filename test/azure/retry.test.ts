import assert from 'node:assert/strict';
import sinon from 'sinon';
import { RestError } from '@azure/core-rest-pipeline';
import { PimAlertsClient, type PimAlertsClientOptions } from '../../bot/azure/client';
import { ArmError } from '../../bot/azure/errors';
import { ARM, FakeCredential, FakeHttpClient, SCOPE, armError, settle, type FakeResponse } from './fakes';

const ALERT = { id: `/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts/DuplicateRoleCreated`, name: 'DuplicateRoleCreated', type: 'Microsoft.Authorization/roleManagementAlerts', properties: { isActive: true } };
const OK: FakeResponse = { status: 200, body: ALERT };

describe('ARM retries (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-01T10:00:00Z') });
  });
  afterEach(() => clock.restore());

  function client(http: FakeHttpClient, extra: Partial<PimAlertsClientOptions> = {}) {
    return new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http, ...extra });
  }
  const gaps = (http: FakeHttpClient) => http.requests.slice(1).map((r, i) => r.at - http.requests[i]!.at);

  it('waits exactly what Retry-After asks on 429, then returns the answer', async () => {
    const http = new FakeHttpClient().reply(armError(429, 'TooManyRequests', 'slow down', { 'retry-after': '7' }), OK);
    const alert = await settle(clock, client(http).getAlert(SCOPE, 'DuplicateRoleCreated'), 500);
    assert.deepEqual(alert, ALERT);
    assert.deepEqual(gaps(http), [7_000]);
  });

  it('caps a huge Retry-After instead of obeying it', async () => {
    const http = new FakeHttpClient().reply(armError(429, 'TooManyRequests', 'slow down', { 'Retry-After': '3600' }), OK);
    await settle(clock, client(http).getAlert(SCOPE, 'DuplicateRoleCreated'));
    assert.deepEqual(gaps(http), [60_000]);
  });

  it('caps to a configured maximum and understands an HTTP-date Retry-After and retry-after-ms', async () => {
    const at = new Date(Date.now() + 20_000).toUTCString();
    const http = new FakeHttpClient().reply(
      armError(429, 'TooManyRequests', 'x', { 'retry-after': at }),
      armError(503, 'ServiceUnavailable', 'x', { 'retry-after-ms': '1500' }),
      armError(429, 'TooManyRequests', 'x', { 'retry-after': '45' }),
      OK,
    );
    await settle(clock, client(http, { retry: { maxRetryAfterMs: 30_000 } }).getAlert(SCOPE, 'DuplicateRoleCreated'), 500);
    assert.deepEqual(gaps(http), [20_000, 1_500, 30_000]);
  });

  it('retries 500, 503 and a 429 without Retry-After with growing, jittered backoff and succeeds', async () => {
    const http = new FakeHttpClient().reply(
      armError(500, 'InternalServerError', 'boom'),
      armError(503, 'ServiceUnavailable', 'busy'),
      armError(429, 'TooManyRequests', 'no header'),
      OK,
    );
    const alert = await settle(clock, client(http).getAlert(SCOPE, 'DuplicateRoleCreated'), 50);
    assert.deepEqual(alert, ALERT);
    const [g1, g2, g3] = gaps(http);
    // Equal jitter over base 1 s: attempt n waits between 2^n/2 and 2^n seconds.
    assert.ok(g1! >= 500 && g1! <= 1_000, `first gap ${g1}`);
    assert.ok(g2! >= 1_000 && g2! <= 2_000, `second gap ${g2}`);
    assert.ok(g3! >= 2_000 && g3! <= 4_000, `third gap ${g3}`);
  });

  it('gives up after 4 retries with an ArmError carrying status, ARM code and request id', async () => {
    const http = new FakeHttpClient((r) => armError(503, 'ServiceUnavailable', `busy ${r.at}`, { 'x-ms-request-id': 'rid-503', 'retry-after': '2' }));
    const p = client(http).listAlerts(SCOPE);
    await assert.rejects(settle(clock, p, 500), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.status, 503);
      assert.equal(e.code, 'ServiceUnavailable');
      assert.equal(e.requestId, 'rid-503');
      assert.match(e.armMessage!, /^busy/);
      assert.equal(e.message, `Azure Resource Manager failed with 503 (ServiceUnavailable) at ${SCOPE} even after retries: try again later (ARM request id rid-503).`);
      return true;
    });
    assert.equal(http.requests.length, 5);
    assert.deepEqual(gaps(http), [2_000, 2_000, 2_000, 2_000]);
  });

  it('honours a configured retry count', async () => {
    const http = new FakeHttpClient(() => armError(500, 'InternalServerError', 'x'));
    await assert.rejects(settle(clock, client(http, { retry: { maxRetries: 1 } }).listAlerts(SCOPE), 100), ArmError);
    assert.equal(http.requests.length, 2);
  });

  for (const [status, code] of [
    [400, 'BadRequest'],
    [401, 'InvalidAuthenticationToken'],
    [403, 'AuthorizationFailed'],
    [404, 'RoleManagementAlertNotFound'],
    [409, 'Conflict'],
  ] as const) {
    it(`does not retry ${status}`, async () => {
      const http = new FakeHttpClient().reply(armError(status, code, 'nope'));
      await assert.rejects(client(http).updateAlert(SCOPE, 'DuplicateRoleCreated', { isActive: false }), (e: unknown) => e instanceof ArmError && e.status === status && e.code === code);
      assert.equal(http.requests.length, 1);
    });
  }

  it('words a 403 on a read as the missing roleAssignments/read permission at the scope', async () => {
    const http = new FakeHttpClient().reply(armError(403, 'AuthorizationFailed', 'The client ... does not have authorization', { 'x-ms-request-id': 'rid-1' }));
    await assert.rejects(client(http).listAlerts(`/${SCOPE}`), {
      message: `The bot's identity lacks Microsoft.Authorization/roleAssignments/read at ${SCOPE}: give it Reader (or any built-in role) there (ARM request id rid-1).`,
    });
  });

  it('words a 403 on a write as the missing roleAssignments/write permission and names Owner / User Access Administrator', async () => {
    for (const act of [
      (c: PimAlertsClient) => c.updateAlert(SCOPE, 'DuplicateRoleCreated', { isActive: false }),
      (c: PimAlertsClient) => c.remediateAlertIncident(`${SCOPE}/resourceGroups/rg1`, 'DuplicateRoleCreated', '0645231d-16ba-4ebf-851a-0875df4052bd'),
      (c: PimAlertsClient) => c.refreshAllAlerts('providers/Microsoft.Management/managementGroups/root'),
    ]) {
      const http = new FakeHttpClient().reply({ status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no' } } });
      await assert.rejects(act(client(http)), (e: unknown) => {
        assert.ok(e instanceof ArmError);
        assert.match(e.message, /^The bot's identity lacks Microsoft\.Authorization\/roleAssignments\/write at (subscriptions\/\S+|providers\/Microsoft\.Management\/managementGroups\/root): give it Owner or User Access Administrator there\.$/);
        return true;
      });
    }
  });

  it('says what was not found, and where, on 404', async () => {
    const http = new FakeHttpClient().reply(armError(404, 'RoleManagementAlertNotFound', 'not found', { 'x-ms-request-id': 'rid-404' }));
    await assert.rejects(client(http).getAlert(SCOPE, 'NoSuchAlert'), {
      message: `The alert 'NoSuchAlert' was not found at ${SCOPE}: check the id and the scope (ARM request id rid-404).`,
    });
  });

  it('tolerates a non-JSON error body (a gateway page) and still retries the 502', async () => {
    const html = '<html><body>502 Bad Gateway</body></html>';
    const http = new FakeHttpClient(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: html }));
    await assert.rejects(settle(clock, client(http, { retry: { maxRetries: 2 } }).listAlerts(SCOPE), 100), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.status, 502);
      assert.equal(e.code, 'Http502');
      assert.equal(e.armMessage, html);
      return true;
    });
    assert.equal(http.requests.length, 3);
  });

  it('retries a dropped connection, and reports an unreachable ARM as RequestFailed', async () => {
    const drop = () => new RestError('socket hang up', { code: 'ECONNRESET' });
    const ok = new FakeHttpClient().reply(drop(), OK);
    assert.deepEqual(await settle(clock, client(ok).getAlert(SCOPE, 'DuplicateRoleCreated'), 100), ALERT);
    assert.equal(ok.requests.length, 2);

    const down = new FakeHttpClient(() => new RestError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }));
    await assert.rejects(settle(clock, client(down).listAlerts(SCOPE), 100), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.code, 'RequestFailed');
      assert.equal(e.status, 0);
      assert.equal(e.message, 'The bot could not reach Azure Resource Manager at https://management.azure.com (ECONNREFUSED): check the network and any proxy, then try again.');
      return true;
    });
    assert.equal(down.requests.length, 5);
  });

  it('re-sends the same body on a retried PATCH', async () => {
    const http = new FakeHttpClient().reply(armError(503, 'ServiceUnavailable', 'x', { 'retry-after': '1' }), { status: 204 });
    await settle(clock, client(http).updateAlert(SCOPE, 'DuplicateRoleCreated', { isActive: false }), 500);
    assert.equal(http.requests.length, 2);
    for (const r of http.requests) assert.deepEqual(JSON.parse(r.body!), { properties: { isActive: false } });
    // Each attempt is its own request id; the client request id header is always present.
    assert.ok(http.requests.every((r) => /^[0-9a-f-]{36}$/.test(r.headers['x-ms-client-request-id'] ?? '')));
    assert.match(http.requests[0]!.headers['user-agent']!, /^pim-alerts-for-teams\/0\.1\.0 /);
  });

  it('keeps query secrets out of the error url', async () => {
    const http = new FakeHttpClient().reply(
      { status: 200, body: { value: [], nextLink: `${ARM}/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts?api-version=2022-08-01-preview&$skipToken=SECRETTOKEN` } },
      armError(400, 'BadRequest', 'bad token'),
    );
    await assert.rejects(client(http).listAlerts(SCOPE), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.ok(!e.url!.includes('SECRETTOKEN'));
      assert.ok(!e.message.includes('SECRETTOKEN'));
      assert.match(e.url!, /roleManagementAlerts\?api-version=2022-08-01-preview&…$/);
      return true;
    });
  });
});
