// Digest subscriptions as people use them: Teams activities (from test/fixtures/teams) go through
// the real edge (PimTeamsBot), parser, router and handlers, with a real SQLite store, signer and
// authorizer; the scheduler is real but not started, so what it was told is visible.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestAdapter, type Activity } from 'botbuilder';
import { createBotCore } from '../../bot/core/router';
import type { CoreDeps } from '../../bot/core/deps';
import type { IncomingAction } from '../../bot/core/turn';
import { createDigestScheduler, type DigestService } from '../../bot/digest/scheduler';
import type { BotCore } from '../../bot/core/turn';
import { PimTeamsBot } from '../../bot/edge/teamsBot';
import { createHandlers } from '../../bot/handlers';
import { silentLogger } from '../../bot/log';
import type { BotStore } from '../../bot/store/types';
import { assertValidCard, collectActions } from '../cards/validateCard';
import { FakeAlertsApi, OPERATOR, PROD, STAGING, cardText, channelRef, makeAlert, makeDeps, recordingDeliver } from '../digest/helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'teams');
const fixture = (name: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

const CHANNEL_THREAD = '19:generalChannelIdgeneralChannelId@thread.skype;messageid=teamActivityId';
const CHANNEL = '19:generalChannelIdgeneralChannelId@thread.skype';
const STRANGER = '5c0f6a0e-2f0e-4b7f-9a51-8d7a2b1c3e4f';
// Sunday 29 November 2026, 12:00 UTC.
const NOW = Date.parse('2026-11-29T12:00:00Z');

interface Bot {
  deps: CoreDeps;
  api: FakeAlertsApi;
  store: BotStore;
  core: BotCore;
  digests: DigestService;
  /** Runs an activity through the edge; returns the cards the bot answered with. */
  send(activity: Record<string, any>): Promise<Array<Record<string, any>>>;
}

function startBot(opts: { operators?: string[] } = {}): Bot {
  const { deps, api, store } = makeDeps({ authz: 'allowlist', operators: opts.operators ?? [OPERATOR] });
  deps.clock = { now: () => NOW };
  const digests = createDigestScheduler({ deps, deliver: recordingDeliver().deliver, logger: silentLogger() });
  deps.digests = digests;
  api.set(PROD, [makeAlert(PROD, 'TooManyOwnersAssignedToResource', { incidents: 2 })]);
  api.set(STAGING, [makeAlert(STAGING, 'DuplicateRoleCreated')]);
  const core = createBotCore(deps, createHandlers());
  const bot = new PimTeamsBot(core, silentLogger());
  const adapter = new TestAdapter();
  return {
    deps,
    api,
    store,
    core,
    digests,
    async send(activity) {
      const before = adapter.activeQueue.length;
      await adapter.processActivity(structuredClone(activity) as Partial<Activity>, (ctx) => bot.run(ctx));
      const replies = adapter.activeQueue.splice(before);
      return replies.map((r) => (r.attachments?.[0]?.content ?? { text: r.text }) as Record<string, any>);
    },
  };
}

/** The channel fixture (a message in a thread, mentioning the bot) with another command. */
function channelMessage(command: string, from: { aadObjectId: string; name: string } = { aadObjectId: OPERATOR, name: 'Megan Bowen' }): Record<string, any> {
  const a = fixture('channel-message-mention-bot.botbuilder-js-fixture.json');
  a.text = `<at>Teams Bot</at> ${command}\n`;
  a.from = { ...a.from, ...from };
  return a;
}

function personalMessage(command: string, aadObjectId = STRANGER): Record<string, any> {
  const a = fixture('personal-message.docs.json');
  a.text = command;
  a.from = { ...a.from, aadObjectId };
  return a;
}

function buttons(card: Record<string, any>): Array<Record<string, any>> {
  return collectActions(card);
}

describe('digest subscriptions through the bot', () => {
  let bot: Bot;
  beforeEach(() => {
    bot = startBot();
  });
  afterEach(async () => {
    await bot.digests.stop();
    await bot.store.close();
  });

  describe('subscribe', () => {
    it('refuses someone who may not act on the scopes in a channel: nothing stored, the refusal audited', async () => {
      const [card] = await bot.send(channelMessage('subscribe daily 09:00', { aadObjectId: STRANGER, name: 'Alex Wilber' }));
      assertValidCard(card!, 'refusal');
      assert.match(cardText(card), /Not allowed/);
      assert.match(cardText(card), /PIM_OPERATORS/);
      assert.deepEqual(await bot.store.listSubscriptions(), []);
      const [entry] = await bot.store.latestAudit(5);
      assert.equal(entry?.action, 'subscribe');
      assert.equal(entry?.result, 'refused');
      assert.equal(entry?.actorObjectId, STRANGER);
    });

    it('lets anyone subscribe their own personal chat', async () => {
      const [card] = await bot.send(personalMessage('subscribe weekdays 08:30 high'));
      assertValidCard(card!, 'confirmation');
      assert.match(cardText(card), /Digest subscribed/);
      const [sub] = await bot.store.listSubscriptions();
      assert.ok(sub);
      assert.match(sub.conversationId, /^a:17I0kl9/);
      assert.equal(sub.cron, '30 8 * * 1-5');
      assert.equal(sub.severity, 'High');
      assert.ok(await bot.store.getConversation(sub.conversationId), 'the chat can be reached later');
    });

    it('answers `subscribe daily 09:00 tz Europe/Berlin` with the next run in Berlin time, for the channel rather than the thread', async () => {
      const [card] = await bot.send(channelMessage('subscribe daily 09:00 tz Europe/Berlin'));
      assertValidCard(card!, 'confirmation');
      const text = cardText(card);
      assert.match(text, /Next run: Mon 30 Nov 09:00 \(Europe\/Berlin\)/);
      assert.match(text, /Time zone: Europe\/Berlin/);
      assert.match(text, /Scopes: All configured scopes \(3\)/);
      assert.match(text, /Severity: All severities/);
      assert.match(text, /Posts: Only when alerts changed/);
      assert.match(text, /^1\. daily at 09:00$/m);

      const [sub] = await bot.store.listSubscriptions();
      assert.equal(sub!.conversationId, CHANNEL, 'stored without the ;messageid= of the thread');
      assert.equal(sub!.timeZone, 'Europe/Berlin');
      assert.deepEqual(sub!.scopes, []);
      const ref = await bot.store.getConversation(CHANNEL);
      assert.equal(ref?.conversation.id, CHANNEL, 'a digest starts a new thread');
      assert.equal(ref?.activityId, undefined);
      assert.equal(bot.digests.nextRunOf(sub!.id)?.toISOString(), '2026-11-30T08:00:00.000Z', 'the scheduler was told');
      const [entry] = await bot.store.latestAudit(1);
      assert.equal(entry?.action, 'subscribe');
      assert.equal(entry?.result, 'succeeded');
    });

    it('takes scopes by number and refuses the same digest twice', async () => {
      await bot.send(channelMessage('subscribe weekly monday 10:00 1 2 always'));
      const [sub] = await bot.store.listSubscriptions();
      assert.deepEqual(sub!.scopes, [PROD, STAGING]);
      assert.equal(sub!.mode, 'always');
      const [again] = await bot.send(channelMessage('subscribe weekly monday 10:00 2 1 always'));
      assert.match(cardText(again), /already has this digest: number 1/);
      assert.equal((await bot.store.listSubscriptions()).length, 1);
    });
  });

  describe('subscriptions and unsubscribe', () => {
    async function subscribeThree(): Promise<void> {
      await bot.send(channelMessage('subscribe daily 09:00'));
      await bot.send(channelMessage('subscribe weekdays 17:00 1'));
      await bot.send(channelMessage('subscribe hourly severity high'));
    }

    it('tells an empty conversation how to subscribe', async () => {
      const [card] = await bot.send(channelMessage('subscriptions'));
      assertValidCard(card!, 'empty list');
      assert.match(cardText(card), /no digest subscriptions/);
      assert.match(cardText(card), /subscribe daily 09:00/);
    });

    it('lists the digests numbered, each with its next run and a signed Unsubscribe button', async () => {
      await subscribeThree();
      const [card] = await bot.send(channelMessage('subscriptions'));
      assertValidCard(card!, 'list');
      const text = cardText(card);
      assert.match(text, /^1\. daily at 09:00$/m);
      assert.match(text, /^2\. weekdays at 17:00$/m);
      assert.match(text, /^3\. hourly$/m);
      assert.match(text, /Next run: Sun 29 Nov 13:00 \(UTC\)/);
      assert.match(text, /Scopes: Contoso Production/);
      const subs = await bot.store.listSubscriptions();
      const unsub = buttons(card!).filter((b) => b.verb === 'unsubscribe');
      assert.equal(unsub.length, 3);
      unsub.forEach((b, i) => {
        const verified = bot.deps.signer.verify(b.data);
        assert.ok(verified.ok);
        assert.deepEqual(verified.payload, { verb: 'unsubscribe', subscriptionId: subs[i]!.id });
      });
    });

    it('stops one by number, refuses a number that does not exist, then stops all; each is audited and unscheduled', async () => {
      await subscribeThree();
      const before = await bot.store.listSubscriptions();
      const [card] = await bot.send(channelMessage('unsubscribe 2'));
      assertValidCard(card!, 'after unsubscribe');
      assert.match(cardText(card), /Stopped digest 2: weekdays at 17:00/);
      assert.deepEqual((await bot.store.listSubscriptions()).map((s) => s.label), ['daily at 09:00', 'hourly']);
      assert.equal(bot.digests.nextRunOf(before[1]!.id), undefined);

      const [wrong] = await bot.send(channelMessage('unsubscribe 5'));
      assert.match(cardText(wrong), /no digest number 5 here: this conversation has 2 digests/);

      const [all] = await bot.send(channelMessage('unsubscribe all'));
      assert.match(cardText(all), /Stopped all 2 digests/);
      assert.deepEqual(await bot.store.listSubscriptions(), []);
      const audit = (await bot.store.latestAudit(10)).filter((e) => e.action === 'unsubscribe');
      assert.equal(audit.length, 3);
      assert.ok(audit.every((e) => e.result === 'succeeded' && e.conversationId?.startsWith(CHANNEL)));
    });

    it('refuses unsubscribe in a channel to someone who may not act on the scopes', async () => {
      await bot.send(channelMessage('subscribe daily 09:00'));
      const [card] = await bot.send(channelMessage('unsubscribe 1', { aadObjectId: STRANGER, name: 'Alex Wilber' }));
      assert.match(cardText(card), /Not allowed/);
      assert.equal((await bot.store.listSubscriptions()).length, 1);
    });

    function click(conversationId: string, subscriptionId: string, from = { id: '29:1', aadObjectId: OPERATOR, name: 'Megan Bowen' }): IncomingAction {
      return {
        kind: 'action',
        verb: 'unsubscribe',
        data: bot.deps.signer.sign({ verb: 'unsubscribe', subscriptionId }),
        from,
        conversation: { id: conversationId, type: 'channel', tenantId: 'tenantId-Guid' },
        botId: '28:teamsbot-Guid',
        activityId: 'invoke-1',
        cardActivityId: '1700000000001',
      };
    }

    it('stops a digest with its Unsubscribe button, clicked in a thread of its channel, and answers with the updated list', async () => {
      await subscribeThree();
      const [first] = await bot.store.listSubscriptions();
      const reply = await bot.core.onAction(click(`${CHANNEL};messageid=1700000000001`, first!.id), channelRef(CHANNEL));
      assertValidCard(reply.card, 'updated list');
      assert.match(cardText(reply.card), /Megan Bowen stopped the digest daily at 09:00/);
      assert.match(cardText(reply.card), /^1\. weekdays at 17:00$/m);
      assert.equal((await bot.store.listSubscriptions()).length, 2);

      const again = await bot.core.onAction(click(CHANNEL, first!.id), channelRef(CHANNEL));
      assert.match(cardText(again.card), /already stopped/);
    });

    it('refuses the button of another conversation’s digest', async () => {
      await subscribeThree();
      const [first] = await bot.store.listSubscriptions();
      const reply = await bot.core.onAction(click('19:another-channel@thread.tacv2', first!.id), channelRef(CHANNEL));
      assert.match(cardText(reply.card), /belongs to another conversation/);
      assert.equal((await bot.store.listSubscriptions()).length, 3);
      const [entry] = await bot.store.latestAudit(1);
      assert.equal(entry?.result, 'refused');
    });
  });

  describe('digest now', () => {
    it('shows the digest of the subscription as a preview without touching its stored snapshot', async () => {
      await bot.send(channelMessage('subscribe daily 09:00 1'));
      const [card] = await bot.send(channelMessage('digest'));
      assertValidCard(card!, 'preview');
      const text = cardText(card);
      assert.match(text, /PIM alerts digest/);
      assert.match(text, /preview of the digest daily at 09:00/);
      assert.match(text, /Too many owners assigned to a resource/);
      assert.doesNotMatch(text, /Duplicate role created/, 'only the scope the subscription covers');
      assert.deepEqual(bot.api.listCalls, [PROD]);
      const [sub] = await bot.store.listSubscriptions();
      assert.equal(sub!.lastSnapshot, undefined);
      assert.equal(sub!.lastRunAt, undefined);
      const verbs = buttons(card!).map((b) => b.verb);
      assert.ok(verbs.includes('details') && verbs.includes('refreshConfirm'));
    });

    it('covers every configured scope when the conversation has no subscription', async () => {
      const [card] = await bot.send(personalMessage('digest'));
      assert.match(cardText(card), /3 scopes/);
      assert.equal(bot.api.listCalls.length, 3);
    });
  });

  describe('install and removal', () => {
    it('welcomes a team once when installed (installationUpdate and conversationUpdate of one install) and remembers the channel', async () => {
      const install = fixture('installationUpdate-add-team.docs.json');
      const [welcome] = await bot.send(install);
      assert.ok(welcome, 'the welcome card is posted');
      assertValidCard(welcome, 'welcome');
      assert.match(cardText(welcome), /PIM Alerts is here/);
      assert.match(cardText(welcome), /subscribe daily 09:00/);
      assert.match(cardText(welcome), /help/);
      const ref = await bot.store.getConversation(install.conversation.id);
      assert.equal(ref?.teamId, install.channelData.team.id);

      const added = await bot.send(fixture('conversationUpdate-bot-added-to-team.docs.json'));
      assert.deepEqual(added, [], 'the second event of the same install does not welcome again');
    });

    it('welcomes a team installed with only the conversationUpdate', async () => {
      const [welcome] = await bot.send(fixture('conversationUpdate-bot-added-to-team.docs.json'));
      assert.match(cardText(welcome), /PIM Alerts is here/);
    });

    it('deletes the digests of a channel the bot was uninstalled from (installationUpdate remove)', async () => {
      const install = fixture('installationUpdate-add-team.docs.json');
      await bot.send(install);
      const message = channelMessage('subscribe daily 09:00');
      message.conversation = { ...install.conversation, id: `${install.conversation.id};messageid=1638990000000` };
      message.channelData = install.channelData;
      message.recipient = install.recipient;
      message.entities = [{ type: 'mention', mentioned: install.recipient, text: '<at>Test Bot</at>' }];
      message.text = '<at>Test Bot</at> subscribe daily 09:00';
      await bot.send(message);
      const [sub] = await bot.store.listSubscriptions({ conversationId: install.conversation.id });
      assert.ok(sub);

      const remove = { ...install, action: 'remove', id: 'f:remove' };
      await bot.send(remove);
      assert.deepEqual(await bot.store.listSubscriptions(), []);
      assert.equal(await bot.store.getConversation(install.conversation.id), undefined);
      assert.equal(bot.digests.nextRunOf(sub.id), undefined);
      const [entry] = await bot.store.latestAudit(1);
      assert.equal(entry?.action, 'uninstall');
      assert.match(entry?.detail ?? '', /1 digest subscription deleted/);
    });

    it('deletes the digests of every channel of a team when the bot is removed from it (conversationUpdate membersRemoved)', async () => {
      const removed = fixture('conversationUpdate-teamMemberRemoved.docs.json');
      const teamId: string = removed.channelData.team.id;
      const botId: string = removed.recipient.id;
      removed.membersRemoved = [{ id: botId }];
      const inChannel = (channelId: string, command: string) => {
        const m = channelMessage(command);
        m.conversation = { isGroup: true, conversationType: 'channel', id: `${channelId};messageid=42`, tenantId: removed.channelData.tenant.id };
        m.channelData = { team: { id: teamId }, channel: { id: channelId }, tenant: removed.channelData.tenant };
        m.recipient = removed.recipient;
        m.entities = [{ type: 'mention', mentioned: { id: botId, name: removed.recipient.name }, text: `<at>${removed.recipient.name}</at>` }];
        m.text = `<at>${removed.recipient.name}</at> ${command}`;
        return m;
      };
      await bot.send(inChannel(removed.conversation.id, 'subscribe daily 09:00'));
      await bot.send(inChannel('19:securityops@thread.skype', 'subscribe weekdays 08:00'));
      await bot.send(channelMessage('subscribe hourly'));
      assert.equal((await bot.store.listSubscriptions()).length, 3);

      await bot.send(removed);
      const left = await bot.store.listSubscriptions();
      assert.deepEqual(left.map((s) => s.conversationId), [CHANNEL], 'only the digest of the other team stays');
      assert.equal(await bot.store.getConversation('19:securityops@thread.skype'), undefined);
    });

    it('does not treat another member leaving as the bot being removed', async () => {
      await bot.send(channelMessage('subscribe daily 09:00'));
      const removed = fixture('conversationUpdate-teamMemberRemoved.docs.json');
      removed.conversation.id = CHANNEL;
      await bot.send(removed);
      assert.equal((await bot.store.listSubscriptions()).length, 1);
    });

    it('remembers a channel from any message, without the thread suffix', async () => {
      await bot.send(channelMessage('help'));
      const ref = await bot.store.getConversation(CHANNEL);
      assert.equal(ref?.conversation.id, CHANNEL);
      assert.equal(ref?.teamId, CHANNEL);
      assert.equal(await bot.store.getConversation(CHANNEL_THREAD), undefined);
    });
  });
});
