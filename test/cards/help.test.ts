// `help` and `help <command>`: one card per command from the catalog the parser and the manifest
// use, with forms, examples (each a command the parser reads as that command) and the shared values
// (schedules, scopes, alert names); and every static card rendered once per configuration.
import assert from 'node:assert/strict';
import * as ACData from 'adaptivecards-templating';
import sinon from 'sinon';
import { ALERT_NAMES, COMMANDS, COMMAND_NAMES, helpTopic } from '../../bot/commands/catalog';
import { parseCommand } from '../../bot/commands/parser';
import { parseSchedule } from '../../bot/commands/schedule';
import { buildHelpCard, buildWelcomeCard } from '../../cards';
import { createActionSigner } from '../../bot/security/signing';
import { cardText as rawCardText } from '../helpers/harness';
import { shownText } from './markdown';

/** What a person reads on the card: placeholders show as typed (ownText's word joiners are invisible). */
const cardText = (card: Parameters<typeof rawCardText>[0]) => shownText(rawCardText(card));
import { testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

describe('cards: help per command', () => {
  it('every example of every command is read by the parser as that command', () => {
    for (const c of COMMANDS) {
      assert.ok(c.examples.length > 0, c.name);
      assert.equal(c.example, c.examples[0]!.text);
      for (const e of c.examples) {
        const parsed = parseCommand({ text: e.text });
        assert.ok(parsed.ok, `${e.text}: ${JSON.stringify(parsed)}`);
        assert.equal(parsed.command.name, c.name, e.text);
      }
    }
  });

  it('every schedule the subscribe help names is one the parser accepts', () => {
    for (const entry of helpTopic('schedule', { timeZone: 'UTC' }).entries) {
      const text = entry.usage.replace(/^cron /, '').replace(/"/g, '');
      assert.ok(parseSchedule(text).ok, entry.usage);
    }
  });

  it('`help subscribe` shows its forms, examples, the schedules, time zones, scopes and severities', () => {
    const card = buildHelpCard({ topic: 'subscribe' }, testContext({ timeZone: 'Europe/Berlin' }));
    assertValidCard(card, 'help subscribe');
    const text = cardText(card);
    assert.match(text, /^help subscribe$/m);
    assert.match(text, /Send this conversation a scheduled digest/);
    for (const form of COMMANDS.find((c) => c.name === 'subscribe')!.forms) assert.ok(text.includes(form.usage), form.usage);
    assert.match(text, /^subscribe daily 09:00 tz Europe\/Berlin\nEvery morning at 09:00 Berlin time\.$/m);
    for (const heading of ['Schedules', 'Time zones', 'Naming a scope', 'Severities']) assert.match(text, new RegExp(`^${heading}$`, 'm'));
    assert.match(text, /^weekly monday 09:00$/m);
    assert.match(text, /^cron "0 8 \* \* 1-5"$/m);
    assert.match(text, /Without tz, times are in Europe\/Berlin\./, 'names the configured default zone');
    assert.match(text, /^providers\/Microsoft\.Management\/managementGroups\/<id>$/m);
    assert.doesNotMatch(text, /Naming an alert/, 'subscribe takes no alert name');
  });

  it('`help alert` names the alerts a person can type', () => {
    const text = cardText(buildHelpCard({ topic: 'alert' }, testContext()));
    for (const a of ALERT_NAMES) {
      assert.ok(text.includes(a.displayName), a.displayName);
      assert.ok(text.includes(`id ${a.id}.`), a.id);
    }
    assert.match(text, /Naming a scope/);
  });

  it('has one valid card per command, each naming the command, and the list points at them', () => {
    for (const name of COMMAND_NAMES) {
      const card = buildHelpCard({ topic: name }, testContext());
      assertValidCard(card, `help ${name}`);
      assert.match(cardText(card), new RegExp(`^help ${name}$`, 'm'));
    }
    assert.match(cardText(buildHelpCard({}, testContext())), /Type help followed by a command, such as help subscribe/);
  });
});

describe('cards: static cards are rendered once per configuration', () => {
  let expand: sinon.SinonSpy;
  beforeEach(() => {
    expand = sinon.spy(ACData.Template.prototype, 'expand');
  });
  afterEach(() => sinon.restore());

  it('templates `help` and `help <command>` once, then hands out the same card', () => {
    const ctx = testContext({ timeZone: 'Asia/Tokyo', localRunNote: 'render-once test' });
    const first = buildHelpCard({}, ctx);
    const topic = buildHelpCard({ topic: 'audit' }, ctx);
    const calls = expand.callCount;
    assert.ok(calls <= 2);
    for (let i = 0; i < 50; i++) {
      assert.equal(buildHelpCard({}, ctx), first);
      assert.equal(buildHelpCard({ topic: 'audit' }, ctx), topic);
    }
    assert.equal(expand.callCount, calls, 'no templating after the first of each');
    assert.ok(Object.isFrozen(first), 'the shared card cannot be changed by whoever sends it');
    // Another configuration is another card.
    assert.notEqual(buildHelpCard({}, testContext({ timeZone: 'Asia/Tokyo' })), first);
    assert.match(cardText(buildHelpCard({ topic: 'subscribe' }, testContext({ timeZone: 'America/Chicago' }))), /America\/Chicago/);
  });

  it('templates the welcome card once and signs its buttons afresh each time', () => {
    const signer = createActionSigner({ secret: 'a'.repeat(32) });
    const ctx = testContext({ localRunNote: 'welcome render-once test', actionData: (p) => signer.sign(p) });
    const a = buildWelcomeCard(ctx);
    const calls = expand.callCount;
    const b = buildWelcomeCard(ctx);
    assert.equal(expand.callCount, calls);
    assertValidCard(b, 'welcome');
    const da = collectActions(a).map((x) => x.data as { n: string });
    const db = collectActions(b).map((x) => x.data as { n: string });
    assert.deepEqual(collectActions(b).map((x) => x.verb), ['alerts', 'help']);
    assert.notEqual(da[0]!.n, db[0]!.n, 'each card has its own signed data');
    for (const d of db) assert.ok(signer.verify(d).ok);
  });
});
