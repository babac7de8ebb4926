// Telemetry as Application Insights receives it. The bot runs as a process with
// APPLICATIONINSIGHTS_CONNECTION_STRING naming a loopback fake of the ingestion endpoint (HTTPS
// with the test certificate, which the process trusts through NODE_EXTRA_CA_CERTS). After `help`,
// `alerts`, a forged card click and an `alerts` that ARM and Teams throttle, it is stopped with
// SIGTERM (which flushes what is buffered), and the test reads what arrived: a request per
// activity, ARM and Bot Connector dependencies, the bot's metrics, and neither the Authorization
// header nor the message text anywhere.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../sim/server';
import { SCOPES } from '../../sim/seed';
import { startFakeConnector, type FakeConnector } from '../fakes/connector';
import { startFakeIngestion, TEST_CERTIFICATE, type Envelope, type FakeIngestion } from '../fakes/ingestion';
import { cardAction, channelMessage } from '../helpers/harness';
import { REPO_ROOT, MAIN_FROM_SOURCE, post, startBot, stopAllBots, stopBot, waitFor, simulatorSettings } from '../helpers/process';

const REPORT_MODULES = path.join(REPO_ROOT, 'test', 'helpers', 'report-modules.cjs');
/** Text that only the message carries, and a token that only the Authorization header carries. */
const MESSAGE_MARKER = 'zebra-quartz-7319';
const TOKEN_MARKER = 'eyJ0ZXN0LXRva2VuLW1hcmtlci00NDIx';

const baseType = (e: Envelope) => e.data?.baseType;

function metricPoints(envelopes: readonly Envelope[], name: string): Array<{ value: number; dims: Record<string, string> }> {
  return envelopes
    .filter((e) => baseType(e) === 'MetricData')
    .flatMap((e) => ((e.data!.baseData!.metrics as Array<{ name: string; value: number }>) ?? []).filter((m) => m.name === name).map((m) => ({ value: m.value, dims: (e.data!.baseData!.properties as Record<string, string>) ?? {} })));
}

describe('telemetry: export to Application Insights (Azure Monitor OpenTelemetry)', function () {
  this.timeout(60_000);

  let sim: Simulator;
  let connector: FakeConnector;
  let ingestion: FakeIngestion;
  let dir: string;

  before(async () => {
    sim = await startSimulator();
    connector = await startFakeConnector({ perConversation: false, global: false });
    ingestion = await startFakeIngestion();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-telemetry-'));
  });

  after(async () => {
    await stopAllBots();
    await ingestion.close();
    await connector.close();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports requests, ARM dependencies and metrics, without tokens or message text, and probes nothing else', async () => {
    const refusals = path.join(dir, 'refused-connections.log');
    const modules = path.join(dir, 'modules.json');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const bot = await startBot(
      {
      ...simulatorSettings(sim, path.join(dir, 'data')),
      // Every `alerts` reads ARM, so the second one meets the throttling set up below.
      PIM_READ_CACHE_SECONDS: '0',
      APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
      NODE_EXTRA_CA_CERTS: TEST_CERTIFICATE,
      // The exporter keeps unsent telemetry on disk under the temp folder: this test's own.
      TMPDIR: tmp,
      NETWORK_GUARD_LOG: refusals,
      // Every trace, so that the count below is exact (the default samples at most 5 a second).
      OTEL_TRACES_SAMPLER: 'always_on',
      REPORT_MODULES_TO: modules,
      },
      dir,
      { args: ['--require', REPORT_MODULES, ...MAIN_FROM_SOURCE] },
    );
    assert.equal(bot.logs.find((l) => l.msg === 'bot listening')?.telemetry, 'on');

    const help = channelMessage({ connector }, `help ${MESSAGE_MARKER}`);
    assert.equal((await post(bot, help, { authorization: `Bearer ${TOKEN_MARKER}` })).status, 200);
    const alerts = channelMessage({ connector }, 'alerts');
    assert.equal((await post(bot, alerts)).status, 200);
    // A click whose data the bot never signed: refused, audited, counted.
    const forged = cardAction({ connector }, { verb: 'dismiss', data: { a: { verb: 'dismiss', scope: SCOPES.production, alertId: 'DuplicateRoleCreated' } } }, { conversationOf: alerts });
    assert.equal((await post(bot, forged)).status, 200);
    await waitFor('the answers', 5000, () => connector.delivered(alerts.conversation.id).length >= 1 && connector.delivered(help.conversation.id).length >= 1);
    // ARM throttles every read of the next `alerts` (answered at once, so the retries are quick), and
    // Teams throttles its answer once (botbuilder's client retries that by itself).
    sim.setFaults({ rate429: 1, retryAfter429Seconds: 0 });
    const throttled = channelMessage({ connector }, 'alerts');
    connector.script(throttled.conversation.id, [{ status: 429, retryAfter: 0 }]);
    assert.equal((await post(bot, throttled)).status, 200);
    sim.setFaults({});

    const exit = await stopBot(bot, 'SIGTERM', 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, bot.output());
    const envelopes = ingestion.envelopes;
    const dump = () => JSON.stringify(envelopes.map((e) => ({ name: e.name, type: baseType(e), data: e.data?.baseData })), null, 1).slice(0, 6000);

    // A request per activity, named after the route.
    const requests = envelopes.filter((e) => baseType(e) === 'RequestData');
    const turns = requests.filter((e) => /\/api\/messages/.test(String(e.data!.baseData!.name)));
    assert.equal(turns.length, 4, `four turns were exported as requests:\n${dump()}`);
    assert.ok(turns.every((t) => t.data!.baseData!.responseCode === '200'));
    const activityTypes = turns.map((t) => (t.data!.baseData!.properties as Record<string, string>)['pim.activity.type']).sort();
    assert.deepEqual(activityTypes, ['invoke', 'message', 'message', 'message']);

    // ARM calls as dependencies of the `alerts` turn, in the same operation.
    const simHost = new URL(sim.url).host;
    const arm = envelopes.filter((e) => baseType(e) === 'RemoteDependencyData' && String(e.data!.baseData!.target ?? '').includes(simHost));
    assert.ok(arm.length >= 1, `ARM calls were exported as dependencies:\n${dump()}`);
    assert.ok(arm.some((d) => /roleManagementAlerts/.test(String(d.data!.baseData!.data))), 'the alerts list call is one of them');
    assert.ok(arm.every((d) => !String(d.data!.baseData!.data).includes('?')), 'query strings are dropped from exported URLs');
    const operations = new Set(turns.map((t) => t.tags?.['ai.operation.id']));
    assert.ok(arm.every((d) => operations.has(d.tags?.['ai.operation.id'])), 'each ARM call belongs to a turn');
    // Bot Connector calls as dependencies too.
    const teams = envelopes.filter((e) => baseType(e) === 'RemoteDependencyData' && /\/v3\/conversations\//.test(String(e.data!.baseData!.data)));
    assert.ok(teams.length >= 2, `Bot Connector calls were exported as dependencies:\n${dump()}`);

    // The bot's own metrics.
    const clicks = metricPoints(envelopes, 'pim.card_actions');
    assert.deepEqual(clicks.map((p) => [p.dims.verb, p.dims.result, p.value]), [['dismiss', 'BadActionData', 1]], dump());
    const refused = metricPoints(envelopes, 'pim.refusals');
    assert.deepEqual(refused.map((p) => [p.dims.action, p.value]), [['dismiss', 1]], dump());
    const upstream = metricPoints(envelopes, 'pim.upstream_errors').map((p) => [p.dims.service, p.dims.status, p.value]);
    const armRetries = sim.requests.filter((r) => r.status === 429).length;
    assert.ok(armRetries >= 2, 'ARM answered 429 more than once');
    assert.deepEqual(upstream.sort(), [['arm', '429', armRetries], ['teams', '429', 1]], dump());

    // Logs carry the trace id of the request they belong to.
    const commandLines = bot.logs.filter((l) => l.msg === 'command');
    assert.equal(commandLines.length, 3);
    for (const line of commandLines) assert.ok(operations.has(line.trace_id as string), `log line ${JSON.stringify(line)} carries its request's trace id`);

    // Nothing secret went out: not the inbound token, not the message text, no header at all.
    const exported = ingestion.raw.map((r) => r.body).join('\n');
    assert.ok(exported.length > 0);
    assert.equal(exported.includes(TOKEN_MARKER), false, 'no Authorization header value is exported');
    assert.equal(exported.includes(MESSAGE_MARKER), false, 'no message text is exported');
    assert.equal(/header\.authorization|"authorization"\s*:/i.test(exported), false, 'no Authorization header is exported');

    // Nothing but loopback was reached or even looked up: no VM metadata probe, no statsbeat.
    const refusedLog = fs.existsSync(refusals) ? fs.readFileSync(refusals, 'utf8') : '';
    assert.equal(refusedLog, '', 'the process tried to reach something beyond loopback');
    assert.ok(ingestion.raw.every((r) => /\/v2(\.1)?\/track$/.test(r.path)), 'only the track API was called');

    // With the variable set, Azure Monitor's distribution was loaded (the production start test
    // shows that without it, nothing of it is).
    const loaded = JSON.parse(fs.readFileSync(modules, 'utf8')) as string[];
    assert.ok(loaded.some((m) => /[\\/]@azure[\\/]monitor-opentelemetry[\\/]/.test(m)));
  });
});
