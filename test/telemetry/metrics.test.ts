// The bot's own metrics, recorded through the Telemetry interface (what Azure Monitor exports when
// telemetry is on): the whole bot in process with a recording Telemetry, driven with Teams-shaped
// activities. The export itself is shown in export.test.ts.
import { strict as assert } from 'node:assert';
import type { Telemetry } from '../../bot/telemetry';
import { ALEX, buttons, cardAction, channelMessage, startHarness, type Harness } from '../helpers/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function recordingTelemetry() {
  const calls: Array<[string, ...unknown[]]> = [];
  const telemetry: Telemetry = {
    activity: (a) => void calls.push(['activity', a.type]),
    cardAction: (verb, result) => void calls.push(['cardAction', verb, result]),
    refusal: (action, reason) => void calls.push(['refusal', action, reason]),
    digest: (outcome) => void calls.push(['digest', outcome]),
    refreshOutcome: (outcome, ms) => void calls.push(['refreshOutcome', outcome, typeof ms]),
    pendingOperations: (delta) => void calls.push(['pendingOperations', delta]),
    logContext: () => ({}),
    shutdown: async () => {},
  };
  const of = (kind: string) => calls.filter((c) => c[0] === kind).map((c) => c.slice(1));
  return { telemetry, of };
}

describe('telemetry: what the bot records', () => {
  let h: Harness;
  let rec: ReturnType<typeof recordingTelemetry>;
  beforeEach(async () => {
    rec = recordingTelemetry();
    h = await startHarness({ overrides: { telemetry: rec.telemetry } });
  });
  afterEach(async () => {
    await h.close();
  });

  async function card(text: string): Promise<{ msg: Json; card: Json }> {
    const msg = channelMessage(h, text);
    assert.equal((await h.post(msg)).status, 200);
    return { msg, card: h.cardsIn(msg.conversation.id).at(-1)! };
  }

  async function click(msg: Json, from: Json, verb: string): Promise<Json> {
    const b = buttons(from).find((x) => x.verb === verb)!;
    const res = await h.post(cardAction(h, b, { from: ALEX, conversationOf: msg }));
    assert.equal(res.status, 200);
    return res.body.value as Json;
  }

  it('a card action by verb and result, a refusal by action and reason, a refresh with its duration', async () => {
    const { msg, card: detail } = await card('alert outside 1');
    const confirm = await click(msg, detail, 'refreshConfirm');
    await click(msg, confirm, 'refresh');
    await h.app.operations.idle();
    // A forged click: data the bot never signed.
    const forged = cardAction(h, { verb: 'dismiss', data: { a: { verb: 'dismiss', scope: h.config.scopes[0]!.scope, alertId: 'x' } } }, { conversationOf: msg });
    assert.equal((await h.post(forged)).status, 200);

    assert.deepEqual(rec.of('cardAction'), [
      ['refreshConfirm', 'ok'],
      ['refresh', 'ok'],
      ['dismiss', 'BadActionData'],
    ]);
    assert.deepEqual(rec.of('refusal'), [['dismiss', 'unsigned']]);
    assert.deepEqual(rec.of('refreshOutcome'), [['succeeded', 'number']]);
    assert.deepEqual(rec.of('pendingOperations'), [[1], [-1]], 'the refresh was pending while it was polled');
    assert.deepEqual(rec.of('activity'), ['message', 'invoke', 'invoke', 'invoke'].map((t) => [t]));
  });

  it('a verb the bot does not know is recorded as other, so strangers cannot add metric values', async () => {
    const { msg } = await card('help');
    const res = await h.post(cardAction(h, { verb: `x${'y'.repeat(200)}`, data: {} }, { conversationOf: msg }));
    assert.equal(res.status, 200);
    assert.deepEqual(rec.of('cardAction'), [['other', 'BadActionData']]);
    assert.deepEqual(rec.of('refusal'), [['other', 'unsigned']]);
  });

  it('refusals over the audit budget are still counted', async () => {
    const { msg } = await card('help');
    const forged = () => cardAction(h, { verb: 'dismiss', data: { a: { verb: 'dismiss', scope: h.config.scopes[0]!.scope, alertId: 'x' } } }, { conversationOf: msg });
    for (let i = 0; i < 25; i++) assert.equal((await h.post(forged())).status, 200);
    assert.equal(rec.of('refusal').length, 25, 'every refusal counted');
    const stored = (await h.app.deps.store.latestAudit(100)).filter((e) => e.result === 'refused');
    assert.ok(stored.length < 25, `the audit budget stored ${stored.length} of them`);
  });

  it('a digest sent', async () => {
    await card('subscribe hourly');
    const [sub] = await h.app.deps.store.listSubscriptions();
    await h.app.digests.runDue(h.app.digests.nextRunOf(sub!.id)!.getTime());
    assert.deepEqual(rec.of('digest'), [['sent']]);
  });
});
