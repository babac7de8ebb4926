// Reads through the whole bot: people asking at the same moment share one ARM read per scope, a
// short cache answers repeated questions, every write and refresh outcome makes the next card read
// afresh, and cards say "as of" the time of the data they show.
import { strict as assert } from 'node:assert';
import { ALEX, buttons, cardAction, cardText, channelMessage, startHarness, type Harness } from '../helpers/harness';
import { PLAYGROUND_READER_OBJECT_ID } from '../../sim/seed';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A list of alerts: from ARM for an Azure scope, from Graph for the directory. */
const LIST = /(\/providers\/Microsoft\.Authorization\/roleManagementAlerts|\/beta\/identityGovernance\/roleManagementAlerts\/alerts)$/;
const T0 = Date.parse('2026-03-02T09:00:00Z');

describe('reads through the bot: shared, cached, invalidated, dated', function () {
  let h: Harness;
  let now = T0;
  beforeEach(async () => {
    now = T0;
    h = await startHarness({ env: { PIM_READ_CACHE_SECONDS: '300' }, overrides: { clock: { now: () => now } }, sim: { faults: { latencyMs: 50 } } });
  });
  afterEach(async () => {
    await h.close();
  });

  const lists = () => h.sim.requests.filter((r) => r.method === 'GET' && LIST.test(r.url.split('?')[0]!)).length;

  async function ask(text: string, from = ALEX): Promise<Json> {
    const msg = channelMessage(h, text, from);
    const before = h.cardsIn(msg.conversation.id).length;
    const res = await h.post(msg);
    assert.equal(res.status, 200);
    return h.cardsIn(msg.conversation.id)[before]!;
  }

  async function click(card: Json, verb: string, pick: (b: { title: string }) => boolean = () => true): Promise<Json> {
    const b = buttons(card).find((x) => x.verb === verb && pick(x));
    assert.ok(b, `a ${verb} button`);
    const res = await h.post(cardAction(h, b, { from: ALEX }));
    assert.equal(res.status, 200);
    return res.body.value;
  }

  it('two people typing `alerts` at the same moment cause one list call per scope', async () => {
    const megan = { id: '29:megan', name: 'Megan Bowen', aadObjectId: PLAYGROUND_READER_OBJECT_ID };
    const [a, b] = await Promise.all([ask('alerts'), ask('alerts', megan)]);
    assert.equal(lists(), h.sim.scopes.length, `${lists()} list calls for ${h.sim.scopes.length} scopes`);
    assert.equal(cardText(a).split('\n').slice(2).join('\n'), cardText(b).split('\n').slice(2).join('\n'), 'both see the same alerts');
  });

  it('answers a repeated question from the cache and says how old the data is', async () => {
    const first = await ask('alerts');
    assert.match(cardText(first), /as of 2 Mar 2026, 09:00 UTC \(just now\)/);
    now = T0 + 2 * 60_000;
    const second = await ask('alerts');
    assert.equal(lists(), h.sim.scopes.length, 'no second read within the cache time');
    assert.match(cardText(second), /as of 2 Mar 2026, 09:00 UTC \(2 min ago\)/, 'the time of the data, not of the card');
    now = T0 + 6 * 60_000;
    const third = await ask('alerts');
    assert.equal(lists(), 2 * h.sim.scopes.length, 'read again once the cache time is over');
    assert.match(cardText(third), /as of 2 Mar 2026, 09:06 UTC \(just now\)/);
    const detail = await ask('alert duplicate 1');
    assert.match(cardText(detail), /^As of 2 Mar 2026, 09:06 UTC \(just now\)$/m);
  });

  it('reads afresh after a dismiss, so the next card shows the change', async () => {
    const summary = await ask('alerts 1');
    assert.match(cardText(summary), /Too many permanent owners assigned to a resource/);
    const confirm = await click(await ask('alert permanent 1'), 'dismissConfirm');
    await click(confirm, 'dismiss');
    const after = await ask('alerts 1');
    assert.doesNotMatch(cardText(after), /Too many permanent owners assigned to a resource/, 'the dismissed alert is gone at once');
  });

  it('reads afresh after a refresh ends', async () => {
    const summary = await ask('alerts 1');
    const confirm = await click(summary, 'refreshConfirm');
    await click(confirm, 'refresh');
    await h.app.operations.idle();
    // The card updated with the outcome is read after the scan ended, not taken from the cache.
    const paths = h.sim.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
    const lastPoll = paths.map((p) => p.includes('/roleManagementAlertOperations/')).lastIndexOf(true);
    assert.ok(lastPoll >= 0, 'the scan was polled');
    assert.ok(paths.slice(lastPoll + 1).some((p) => p.startsWith('GET') && LIST.test(p)), `a list call after the last poll: ${paths.slice(lastPoll).join(', ')}`);
    const before = lists();
    await ask('alerts 1');
    assert.equal(lists(), before, 'and that fresh read is what the next question gets');
  });
});
