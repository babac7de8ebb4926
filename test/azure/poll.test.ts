import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { OperationHandle } from '../../bot/azure/api';
import { PimAlertsClient, parseStatusDetail, type PimAlertsClientOptions } from '../../bot/azure/client';
import { ArmError } from '../../bot/azure/errors';
import type { AlertOperationResult } from '../../bot/azure/models';
import { ARM, FakeCredential, FakeHttpClient, SCOPE, armError, settle, type FakeResponse } from './fakes';

interface Example {
  responses: { 202: { headers: { Location: string }; body: AlertOperationResult } };
}
const refreshExample = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'arm', 'examples', 'RefreshAlert.json'), 'utf8')) as Example;
const LOCATION = refreshExample.responses[202].headers.Location; // note: api-version 2022-04-01-preview, not the spec's
const ACCEPTED: FakeResponse = { status: 202, headers: { location: LOCATION }, body: refreshExample.responses[202].body };
const ALERT_ID = 'AzureRolesAssignedOutsidePimAlert';

function op(status: string, statusDetail?: string, headers: Record<string, string> = {}): FakeResponse {
  return {
    status: 200,
    headers,
    body: {
      id: 'op-1',
      status,
      statusDetail: statusDetail ?? JSON.stringify({ result: [{ name: ALERT_ID, statusDetail: `Alert scan is ${status}.` }] }),
      createdDateTime: '2025-03-01T10:00:00Z',
      lastActionDateTime: '2025-03-01T10:00:05Z',
    },
  };
}

describe('pollOperation (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  const T0 = Date.parse('2025-03-01T10:00:00Z');
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0 });
  });
  afterEach(() => clock.restore());

  function client(http: FakeHttpClient, extra: Partial<PimAlertsClientOptions> = {}) {
    return new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http, ...extra });
  }
  async function started(http: FakeHttpClient, extra: Partial<PimAlertsClientOptions> = {}) {
    http.reply(ACCEPTED);
    const c = client(http, extra);
    const handle = await c.refreshAlert(SCOPE, ALERT_ID);
    return { c, handle };
  }
  const polls = (http: FakeHttpClient) => http.requests.filter((r) => r.method === 'GET');

  const terminal: Array<[string, string]> = [
    ['Succeeded', 'succeeded'],
    ['Failed', 'failed'],
    ['Canceled', 'canceled'],
    ['succeeded', 'succeeded'],
    ['FAILED', 'failed'],
    ['Cancelled', 'canceled'],
  ];
  for (const [status, outcome] of terminal) {
    it(`ends on status ${status} with outcome ${outcome}`, async () => {
      const http = new FakeHttpClient();
      const { c, handle } = await started(http);
      http.reply(op(status));
      const r = await settle(clock, c.pollOperation(handle));
      assert.equal(r.outcome, outcome);
      assert.equal(r.status, status);
      assert.equal(r.polls, 1);
      assert.deepEqual(r.details, [{ name: ALERT_ID, statusDetail: `Alert scan is ${status}.` }]);
    });
  }

  it('follows the Location exactly as given, other api-version included, with the token', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    assert.equal(handle.location, LOCATION);
    http.reply(op('Succeeded'));
    await settle(clock, c.pollOperation(handle));
    const get = polls(http)[0]!;
    assert.equal(get.url, LOCATION);
    assert.match(get.url, /api-version=2022-04-01-preview$/);
    assert.equal(get.headers.authorization, 'Bearer fake-arm-token');
  });

  it('goes NotStarted → Running → Succeeded, waiting the default 5 s between polls and reporting progress', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    http.reply(op('NotStarted'), op('Running'), op('Succeeded'));
    const seen: Array<string | undefined> = [];
    const r = await settle(clock, c.pollOperation(handle, { onProgress: (last) => seen.push(last.status) }), 250);
    assert.equal(r.outcome, 'succeeded');
    assert.equal(r.polls, 3);
    assert.deepEqual(seen, ['NotStarted', 'Running', 'Succeeded']);
    const times = polls(http).map((p) => p.at - T0);
    assert.deepEqual(times, [0, 5_000, 10_000]);
    assert.equal(r.durationMs, 10_000);
    assert.equal(r.last?.status, 'Succeeded');
  });

  it('waits what Retry-After asks, caps it, and never polls faster than once a second', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    http.reply(op('Running', undefined, { 'retry-after': '12' }), op('Running', undefined, { 'retry-after': '600' }), op('Running', undefined, { 'retry-after': '0' }), op('Succeeded'));
    const r = await settle(clock, c.pollOperation(handle), 250);
    assert.equal(r.outcome, 'succeeded');
    const at = polls(http).map((p) => p.at - T0);
    assert.deepEqual(at, [0, 12_000, 72_000, 73_000]);
  });

  it('honours configured poll interval and cap', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http, { pollIntervalMs: 2_000, pollMaxRetryAfterMs: 10_000 });
    http.reply(op('Running'), op('Running', undefined, { 'retry-after': '30' }), op('Succeeded'));
    await settle(clock, c.pollOperation(handle), 250);
    assert.deepEqual(polls(http).map((p) => p.at - T0), [0, 2_000, 12_000]);
  });

  it('gives up at the deadline with outcome timedOut instead of throwing', async () => {
    const http = new FakeHttpClient((r) => (r.method === 'GET' ? op('Running') : ACCEPTED));
    const c = client(http);
    const handle = await c.refreshAlert(SCOPE, ALERT_ID);
    const r = await settle(clock, c.pollOperation(handle, { deadline: T0 + 12_000 }), 500);
    assert.equal(r.outcome, 'timedOut');
    assert.equal(r.status, 'Running');
    assert.equal(r.polls, 3); // at 0, 5 s, 10 s; the wait after 10 s is cut to the 12 s deadline
    assert.equal(r.durationMs, 12_000);
    assert.ok(polls(http).every((p) => p.at < T0 + 12_000));
  });

  it('uses a 15 minute deadline from startedAt by default, so a restarted poll does not start the clock again', async () => {
    const http = new FakeHttpClient((r) => (r.method === 'GET' ? op('Running', undefined, { 'retry-after': '60' }) : ACCEPTED));
    const c = client(http);
    const handle = await c.refreshAlert(SCOPE, ALERT_ID);
    await clock.tickAsync(10 * 60_000); // the bot was down for 10 minutes
    const r = await settle(clock, c.pollOperation(handle), 5_000);
    assert.equal(r.outcome, 'timedOut');
    assert.equal(r.durationMs, 15 * 60_000);
    assert.equal(r.polls, 5); // at 10, 11, 12, 13, 14 minutes
  });

  it('refuses a handle whose Location is not on the ARM origin, sending nothing', async () => {
    const http = new FakeHttpClient();
    const c = client(http);
    for (const location of ['https://evil.example/op?api-version=1', 'http://management.azure.com/op', '//evil.example/op']) {
      const handle: OperationHandle = { location, scope: SCOPE, startedAt: new Date(T0).toISOString() };
      await assert.rejects(c.pollOperation(handle), (e: unknown) => e instanceof ArmError && e.code === 'ForeignHost');
    }
    assert.equal(http.requests.length, 0);
  });

  it('refuses a 202 whose Location points at another host', async () => {
    const http = new FakeHttpClient().reply({ ...ACCEPTED, headers: { location: 'https://evil.example/ops/1' } });
    await assert.rejects(client(http).refreshAllAlerts(SCOPE), (e: unknown) => e instanceof ArmError && e.code === 'ForeignHost');
    assert.equal(http.requests.length, 1, 'only the POST');
  });

  it('polls a handle that went through JSON storage, on a fresh client', async () => {
    const http = new FakeHttpClient();
    const { handle } = await started(http);
    const stored = JSON.parse(JSON.stringify(handle)) as OperationHandle;
    assert.deepEqual(stored, handle);
    const http2 = new FakeHttpClient().reply(op('Running'), op('Succeeded'));
    const r = await settle(clock, client(http2).pollOperation(stored), 500);
    assert.equal(r.outcome, 'succeeded');
    assert.deepEqual(http2.requests.map((q) => q.url), [LOCATION, LOCATION]);
  });

  it('keeps a statusDetail that is not JSON as one raw entry', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    http.reply(op('Failed', 'Scan failed: internal error'));
    const r = await settle(clock, c.pollOperation(handle));
    assert.equal(r.outcome, 'failed');
    assert.deepEqual(r.details, [{ statusDetail: 'Scan failed: internal error' }]);
  });

  it('treats 202 without a body as running and a later 200 without a status as done', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    http.reply({ status: 202 }, { status: 200 });
    const r = await settle(clock, c.pollOperation(handle), 500);
    assert.equal(r.outcome, 'succeeded');
    assert.equal(r.polls, 2);
  });

  it('throws ArmError when a poll request itself fails', async () => {
    const http = new FakeHttpClient();
    const { c, handle } = await started(http);
    http.reply(armError(404, 'OperationNotFound', 'gone'));
    await assert.rejects(settle(clock, c.pollOperation(handle)), (e: unknown) => e instanceof ArmError && e.status === 404 && e.code === 'OperationNotFound');
  });

  it('stops waiting when aborted', async () => {
    const http = new FakeHttpClient((r) => (r.method === 'GET' ? op('Running') : ACCEPTED));
    const c = client(http);
    const handle = await c.refreshAlert(SCOPE, ALERT_ID);
    const ac = new AbortController();
    const p = c.pollOperation(handle, { abortSignal: ac.signal });
    p.catch(() => undefined);
    await clock.tickAsync(1_000);
    ac.abort();
    await assert.rejects(p, { name: 'AbortError' });
    assert.equal(polls(http).length, 1);
  });

  it('builds the operation URL from the body id when a 202 has no Location', async () => {
    const http = new FakeHttpClient().reply({ status: 202, body: { id: 'op-42', status: 'NotStarted' } });
    const handle = await client(http).refreshAllAlerts(`/${SCOPE}`);
    assert.equal(handle.location, `${ARM}/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlertOperations/op-42?api-version=2022-08-01-preview`);
    assert.equal(handle.operationId, 'op-42');
    assert.equal(handle.alertId, undefined);

    const none = new FakeHttpClient().reply({ status: 202 });
    await assert.rejects(client(none).refreshAllAlerts(SCOPE), { code: 'MissingLocation' });
  });

  it('can be driven by an injected clock instead of global timers', async () => {
    clock.restore();
    let now = T0;
    const sleeps: number[] = [];
    const fakeClock = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const http = new FakeHttpClient().reply(ACCEPTED, op('Running', undefined, { 'retry-after': '3' }), op('Running'), op('Canceled'));
    const c = client(http, { clock: fakeClock });
    const handle = await c.refreshAlert(SCOPE, ALERT_ID);
    assert.equal(handle.startedAt, new Date(T0).toISOString());
    const r = await c.pollOperation(handle);
    assert.equal(r.outcome, 'canceled');
    assert.deepEqual(sleeps, [3_000, 5_000]);
    assert.equal(r.durationMs, 8_000);
    clock = sinon.useFakeTimers({ now: T0 }); // for afterEach
  });
});

describe('parseStatusDetail', () => {
  it('reads the JSON-in-a-string form of the examples', () => {
    const refreshAll = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'arm', 'examples', 'RefreshAllAlerts.json'), 'utf8')) as Example).responses[202].body;
    assert.deepEqual(parseStatusDetail(refreshAll.statusDetail), [
      { name: 'AzureRolesAssignedOutsidePimAlert', statusDetail: 'Alert scan is not yet started.' },
      { name: 'DuplicateRoleCreated', statusDetail: 'Alert scan is not yet started.' },
    ]);
  });
  it('is lenient with anything else', () => {
    assert.deepEqual(parseStatusDetail(undefined), []);
    assert.deepEqual(parseStatusDetail(''), []);
    assert.deepEqual(parseStatusDetail('{"other":1}'), [{ statusDetail: '{"other":1}' }]);
    assert.deepEqual(parseStatusDetail('{"result":[{"name":"A"},null,{"statusDetail":{"x":1}}]}'), [{ name: 'A' }, { statusDetail: '{"x":1}' }]);
  });
});
