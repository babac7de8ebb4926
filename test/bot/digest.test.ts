// Digests through the real pipeline: install in a team (welcome card), subscribe with a schedule
// and time zone, list, preview with `digest`, and removal of the bot deleting the subscriptions —
// Teams' own event payloads posted to /api/messages, answers read from the fake Bot Connector.
import { strict as assert } from 'node:assert';
import { assertValidCard } from '../cards/validateCard';
import { ALEX, BOT_ID, TENANT_ID, buttons, cardAction, cardText, channelMessage, fixture, startHarness, type Harness } from '../helpers/harness';

type Json = Record<string, any>;

function teamEvent(h: Harness, base: Json, overrides: Json): Json {
  const conversationId = base.conversation.id.split(';')[0];
  return {
    ...fixture<Json>('teams/installationUpdate-add-team.docs.json'),
    serviceUrl: h.connector.url,
    recipient: { id: BOT_ID, name: 'Teams Bot' },
    from: { id: ALEX.id, aadObjectId: ALEX.aadObjectId, name: ALEX.name },
    conversation: { isGroup: true, id: conversationId, conversationType: 'channel', tenantId: TENANT_ID },
    channelData: {
      channel: { id: conversationId },
      team: { id: conversationId, name: 'Security Operations' },
      tenant: { id: TENANT_ID },
    },
    ...overrides,
  };
}

describe('digests through the pipeline', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function say(text: string): Promise<Json> {
    const msg = channelMessage(h, text);
    const before = h.cardsIn(msg.conversation.id).length;
    const res = await h.post(msg);
    assert.equal(res.status, 200);
    const card = h.cardsIn(msg.conversation.id)[before];
    assert.ok(card, `a card answered "${text}"`);
    assertValidCard(card as never);
    return card;
  }

  it('welcomes a team on install, once', async () => {
    const base = channelMessage(h, '');
    const install = teamEvent(h, base, { type: 'installationUpdate', action: 'add' });
    assert.equal((await h.post(install)).status, 200);
    assert.equal((await h.post({ ...install, id: 'second-event' })).status, 200);
    const convo = base.conversation.id.split(';')[0];
    const welcome = h.cardsIn(convo);
    assert.equal(welcome.length, 1);
    assert.match(cardText(welcome[0]!), /subscribe/);
  });

  it('subscribe daily 09:00 tz Europe/Berlin answers with the next run time', async () => {
    const card = await say('subscribe daily 09:00 tz Europe/Berlin');
    const text = cardText(card);
    assert.match(text, /09:00/);
    assert.match(text, /Europe\/Berlin/);
    const subs = await h.app.deps.store.listSubscriptions();
    assert.equal(subs.length, 1);
    assert.equal(subs[0]!.timeZone, 'Europe/Berlin');
    const next = h.app.digests.nextRunOf(subs[0]!.id)!;
    // 09:00 in Berlin is 08:00Z (winter) or 07:00Z (summer).
    assert.ok([7, 8].includes(next.getUTCHours()) && next.getUTCMinutes() === 0, next.toISOString());
  });

  it('`digest` posts the digest card with the active alerts and their buttons', async () => {
    await say('subscribe daily 09:00 tz Europe/Berlin');
    const card = await say('digest');
    const text = cardText(card);
    assert.match(text, /digest/i);
    assert.match(text, /Too many owners assigned to a resource/);
    assert.ok(buttons(card).some((b) => b.verb === 'details'));
    // The digest's buttons work like every other card's.
    const details = buttons(card).find((b) => b.verb === 'details')!;
    const res = await h.post(cardAction(h, details));
    assert.match(cardText(res.body.value), /Security impact/);
  });

  it('lists subscriptions with an Unsubscribe button that works', async () => {
    await say('subscribe hourly');
    const list = await say('subscriptions');
    const unsub = buttons(list).find((b) => b.verb === 'unsubscribe');
    assert.ok(unsub);
    await h.post(cardAction(h, unsub));
    assert.equal((await h.app.deps.store.listSubscriptions()).length, 0);
  });

  it('removing the bot from the team deletes its subscriptions', async () => {
    await say('subscribe daily 09:00 tz Europe/Berlin');
    await say('subscribe weekly monday 08:30');
    assert.equal((await h.app.deps.store.listSubscriptions()).length, 2);
    const base = channelMessage(h, '');
    const removal = teamEvent(h, base, { type: 'installationUpdate', action: 'remove' });
    assert.equal((await h.post(removal)).status, 200);
    assert.equal((await h.app.deps.store.listSubscriptions()).length, 0);
  });

  it('a conversationUpdate removing the bot deletes them too', async () => {
    await say('subscribe hourly');
    const base = channelMessage(h, '');
    const removed = fixture<Json>('teams/conversationUpdate-teamMemberRemoved.docs.json');
    const ev = teamEvent(h, base, {
      type: 'conversationUpdate',
      membersRemoved: [{ id: BOT_ID }],
      channelData: { ...removed.channelData, team: { id: base.conversation.id.split(';')[0] }, tenant: { id: TENANT_ID }, eventType: 'teamMemberRemoved' },
    });
    delete ev.action;
    assert.equal((await h.post(ev)).status, 200);
    assert.equal((await h.app.deps.store.listSubscriptions()).length, 0);
  });

  it('refuses a channel subscription from someone who may not act', async () => {
    const msg = channelMessage(h, 'subscribe hourly', { id: '29:megan', name: 'Megan Bowen', aadObjectId: '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e21' });
    await h.post(msg);
    const card = h.cardsIn(msg.conversation.id).at(-1)!;
    assert.match(cardText(card), /Owner or User Access Administrator/);
    assert.equal((await h.app.deps.store.listSubscriptions()).length, 0);
  });
});
