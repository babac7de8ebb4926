// One-click remediation through the real pipeline: Teams-shaped adaptiveCard/action invokes go to
// /api/messages, the bot checks the person and the signed data, writes to the in-process
// simulator, answers with the updated card, updates the card for everyone and posts thread
// replies to the fake Bot Connector. Each test asserts on the ARM calls the simulator saw.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertValidCard } from '../cards/validateCard';
import { parseActionPayload } from '../../bot/core/payload';
import { PRINCIPAL_IDS, PLAYGROUND_READER_OBJECT_ID, SUBSCRIPTIONS } from '../../sim/seed';
import { ALEX, TENANT_ID, buttons, cardAction, cardFor, cardText, channelMessage, click, personalMessage, startHarness, writes, type Harness, type Who } from '../helpers/harness';

const READER: Who = { id: '29:megan', name: 'Megan Bowen', aadObjectId: PLAYGROUND_READER_OBJECT_ID };
const GROUP_MEMBER: Who = { id: '29:tomas', name: 'Tomás Ribeiro', aadObjectId: PRINCIPAL_IDS.pimOperatorsMember };
const CUSTOM_ROLE: Who = { id: '29:yuki', name: 'Yuki Tanaka', aadObjectId: PRINCIPAL_IDS.customRoleUser };
const DANA: Who = { id: '29:dana', name: 'Dana Whitfield', aadObjectId: PRINCIPAL_IDS.subscriptionOwner };

type Json = Record<string, any>;

/** Every input of a card, as a person sees it filled in. */
function inputsOf(card: Json): Json[] {
  const out: Json[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof (n as Json).type === 'string' && (n as Json).type.startsWith('Input.')) out.push(n as Json);
    Object.values(n).forEach(walk);
  };
  walk(card);
  return out;
}

describe('card actions: dismiss, remediate, configure, refresh', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('dismisses after a confirm step and shows who dismissed it', async () => {
    const detail = await cardFor(h, 'alert permanent 1');
    const confirm = await click(h, detail, 'dismissConfirm');
    assert.match(cardText(confirm), /Dismiss this alert/);
    assert.deepEqual(writes(h), [], 'nothing written before Confirm');
    const done = await click(h, confirm, 'dismiss');
    assert.match(cardText(done), /Dismissed by Alex Wilber/);
    const patch = writes(h);
    assert.equal(patch.length, 1);
    assert.equal(patch[0]!.method, 'PATCH');
    assert.match(patch[0]!.path, /roleManagementAlerts\/TooManyPermanentOwnersAssignedToResource$/);
    assert.equal(h.sim.state.alert(`subscriptions/${SUBSCRIPTIONS.production}`, 'TooManyPermanentOwnersAssignedToResource')!.isActive, false);
    const audit = await h.app.deps.store.latestAudit(5);
    assert.ok(audit.some((e) => e.action === 'dismiss' && e.result === 'succeeded' && e.actorName === 'Alex Wilber' && /^[0-9a-f-]{36}$/.test(e.armRequestId ?? '')));
  });

  it('makes one ARM write when two people confirm at once, and tells the second who did it', async () => {
    const detail = await cardFor(h, 'alert permanent 1');
    const confirm = await click(h, detail, 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const [r1, r2] = await Promise.all([h.post(cardAction(h, b, { from: ALEX })), h.post(cardAction(h, b, { from: DANA }))]);
    assert.equal(writes(h).length, 1);
    const texts = [cardText(r1.body.value), cardText(r2.body.value)].join('\n');
    assert.match(texts, /Dismissed by/);
    assert.match(texts, /already/i);
  });

  it('refuses a replay of a completed action without an ARM call', async () => {
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    await h.post(cardAction(h, b));
    const before = writes(h).length;
    const replay = await h.post(cardAction(h, b));
    assert.match(cardText(replay.body.value), /already used|already/i);
    assert.equal(writes(h).length, before);
  });

  it('remediates one incident and re-reads the alert', async () => {
    const detail = await cardFor(h, 'alert duplicate 1');
    const confirm = await click(h, detail, 'remediateConfirm');
    assert.match(cardText(confirm), /^Remediate the duplicate role VM Operators \(custom\) on Contoso Production\?$/m);
    const done = await click(h, confirm, 'remediate');
    assert.match(cardText(done), /^Remediated by Alex Wilber at .*: the duplicate role VM Operators \(custom\)$/m);
    const w = writes(h);
    assert.equal(w.length, 1);
    assert.match(w[0]!.path, /alertIncidents\/[^/]+\/remediate$/);
  });

  it('names the person and the role of an incident in the confirm step, the result and the audit log', async () => {
    const incident = '8dac1ccd-cfdd-467e-87b2-9de90d0cfba9';
    const subject = 'the User Access Administrator assignment of Sam Contractor (sam_fabrikam.com#EXT#@contoso.onmicrosoft.com), made outside PIM';
    const confirm = await cardFor(h, `remediate outside ${incident} "Contoso Development"`);
    const asked = cardText(confirm).replace(/\u200b/g, '');
    assert.ok(asked.includes(`Remediate ${subject} on Contoso Development?`), asked);
    assert.match(asked, new RegExp(`Incident ${incident}\\.`));
    assert.doesNotMatch(asked, new RegExp(`Remediate incident ${incident}`), 'not just the GUID');
    const done = await click(h, confirm, 'remediate');
    assert.ok(cardText(done).replace(/\u200b/g, '').includes(`Remediated by Alex Wilber at `) && cardText(done).includes(`: ${subject}`), cardText(done));
    const entry = (await h.app.deps.store.latestAudit(5)).find((e) => e.action === 'remediate' && e.result === 'succeeded');
    assert.equal(entry?.detail, `Remediated ${subject}.`);
  });

  it('changes a configuration through the form, validating before sending', async () => {
    const cfg = await cardFor(h, 'config "too many owners assigned to a resource" 1');
    const form = await click(h, cfg, 'configure');
    const bad = await click(h, form, 'configureSubmit', ALEX, { inputs: { isEnabled: 'true', thresholdNumberOfOwners: '5', thresholdPercentageOfOwnersOutOfAllRoleMembers: '140' } });
    assert.match(cardText(bad), /100/);
    assert.deepEqual(writes(h), [], 'an invalid form makes no write');
    const saved = await click(h, form, 'configureSubmit', ALEX, { inputs: { isEnabled: 'true', thresholdNumberOfOwners: '5', thresholdPercentageOfOwnersOutOfAllRoleMembers: '40' } });
    assert.match(cardText(saved), /Saved by Alex Wilber/);
    const cfgNow = h.sim.state.alert(`subscriptions/${SUBSCRIPTIONS.production}`, 'TooManyOwnersAssignedToResource')!.configuration;
    assert.equal(cfgNow.settings.thresholdNumberOfOwners, 5);
    assert.equal(cfgNow.settings.thresholdPercentageOfOwnersOutOfAllRoleMembers, 40);
  });

  it('answers an invalid value with the form again, the value kept and the message under its field, writing nothing', async () => {
    const cfg = await cardFor(h, 'config "too many owners assigned to a resource" 1');
    const form = await click(h, cfg, 'configure');
    const before = h.sim.state.alert(`subscriptions/${SUBSCRIPTIONS.production}`, 'TooManyOwnersAssignedToResource')!.configuration.settings;
    const cases: Array<[string, string, RegExp]> = [
      ['out of range', '10001', /^10001 is out of range: enter a whole number of owners from 1 to 10000\.$/m],
      ['zero', '0', /^0 is out of range: enter a whole number of owners from 1 to 10000\.$/m],
      ['a fraction', '2.5', /^"2\.5" is not a whole number: enter a whole number of owners from 1 to 10000\.$/m],
      ['empty', '', /^Enter a whole number of owners from 1 to 10000; the field is empty\.$/m],
    ];
    for (const [what, typed, message] of cases) {
      const again = await click(h, form, 'configureSubmit', ALEX, { inputs: { isEnabled: 'true', thresholdNumberOfOwners: typed, thresholdPercentageOfOwnersOutOfAllRoleMembers: '40' } });
      const field = inputsOf(again).find((i) => i.id === 'thresholdNumberOfOwners');
      assert.equal(field?.value ?? '', typed, `${what}: the value is kept as typed`);
      assert.equal(field?.label, 'Owner count threshold (owners, 1 to 10000)');
      assert.match(cardText(again), message, what);
      assert.match(cardText(again), /^Nothing was saved: correct Owner count threshold and save again\.$/m);
      assert.equal(inputsOf(again).find((i) => i.id === 'thresholdPercentageOfOwnersOutOfAllRoleMembers')?.value, '40', 'the other field keeps its value too');
    }
    assert.deepEqual(writes(h), [], 'an invalid form makes no write');
    assert.deepEqual(h.sim.state.alert(`subscriptions/${SUBSCRIPTIONS.production}`, 'TooManyOwnersAssignedToResource')!.configuration.settings, before);
  });

  it('the audit log says what a configuration change changed, from what to what, not raw JSON', async () => {
    const form = await click(h, await cardFor(h, 'config "too many owners assigned to a resource" 1'), 'configure');
    await click(h, form, 'configureSubmit', ALEX, { inputs: { isEnabled: 'true', thresholdNumberOfOwners: '5', thresholdPercentageOfOwnersOutOfAllRoleMembers: '40' } });
    const log = cardText(await cardFor(h, 'audit 5'));
    assert.match(log, /^Changed Owner count threshold from \d+ to 5 and Owner percentage threshold \(% of all role members\) from \d+% to 40%\.$/m, log);
    assert.doesNotMatch(log, /alertConfigurationType|\{"|Configuration saved:/);
  });

  it('Cancel on the form goes back to the card the person came from', async () => {
    const cfg = await cardFor(h, 'config "too many owners assigned to a resource" 1');
    const fromConfig = await click(h, await click(h, cfg, 'configure'), 'cancel');
    assert.match(cardText(fromConfig), /^Configuration: Too many owners assigned to a resource$/m, 'back to the configuration card');
    const detail = await cardFor(h, 'alert "too many owners assigned to a resource" 1');
    const fromDetail = await click(h, await click(h, detail, 'configure'), 'cancel');
    assert.match(cardText(fromDetail), /^Security impact$/m, 'back to the alert card');
    assert.deepEqual(writes(h), []);
  });

  it('refreshes, polls to the end, updates the card and posts the outcome in the thread', async () => {
    const msg = channelMessage(h, 'alert outside 1');
    await h.post(msg);
    const detail = h.cardsIn(msg.conversation.id).at(-1)!;
    const confirm = await click(h, detail, 'refreshConfirm');
    const started = await click(h, confirm, 'refresh');
    assert.match(cardText(started), /Refreshing — started by Alex Wilber/);
    await h.app.operations.idle();
    const replies = h.connector.allDelivered().filter((a) => typeof a.activity.text === 'string' && /Refresh of/.test(a.activity.text as string));
    assert.equal(replies.length, 1, 'exactly one outcome reply');
    assert.match(replies[0]!.activity.text as string, /succeeded/);
    // In a channel the reply goes into the card's thread: Teams threads by the root message id.
    assert.equal(replies[0]!.conversationId, msg.conversation.id);
    assert.match(replies[0]!.conversationId, /;messageid=/);
    const ops = await h.app.deps.store.listUnreportedOperations();
    assert.equal(ops.length, 0);
  });

  it('reports a failed refresh the same way', async () => {
    h.sim.setFaults({ failRefreshFor: ['AzureRolesAssignedOutsidePimAlert'] });
    const detail = await cardFor(h, 'alert outside 1');
    const confirm = await click(h, detail, 'refreshConfirm');
    await click(h, confirm, 'refresh');
    await h.app.operations.idle();
    const texts = h.connector.allDelivered().map((a) => a.activity.text).filter((t): t is string => typeof t === 'string');
    assert.ok(texts.some((t) => /Refresh of .* failed/.test(t)), texts.join('\n'));
  });

  it('reports a rescan of a scope as people read it: active alerts with incidents, what it cleared and raised', async () => {
    const prod = `subscriptions/${SUBSCRIPTIONS.production}`;
    // Before the scan: one alert dismissed earlier (its incidents are still there, so the scan
    // raises it again), and one whose only assignment was removed in the portal (the scan clears it).
    h.sim.state.alert(prod, 'TooManyPermanentOwnersAssignedToResource')!.isActive = false;
    h.sim.state.alert(prod, 'DuplicateRoleCreated')!.incidents = [];
    const msg = channelMessage(h, 'refresh all 1');
    await h.post(msg);
    const posted = h.connector.delivered(msg.conversation.id).at(-1)!;
    const confirm = h.cardsIn(msg.conversation.id).at(-1)!;
    const b = buttons(confirm).find((x) => x.verb === 'refresh')!;
    assert.equal((await h.post(cardAction(h, b, { from: ALEX, conversationOf: msg, cardActivityId: posted.id }))).status, 200);
    await h.app.operations.idle();
    const reply = h.connector.allDelivered().map((a) => a.activity.text).find((t): t is string => typeof t === 'string' && /^Refresh of all alerts/.test(t));
    assert.ok(reply, 'the outcome is posted');
    assert.match(reply, /^Refresh of all alerts on Contoso Production succeeded after \d+ s \(started by Alex Wilber\)\. /);
    assert.match(reply, / \d+ alerts are active on Contoso Production now: Roles are being assigned outside of Privileged Identity Management \(2 incidents\), /);
    assert.match(reply, /Too many permanent owners assigned to a resource \(\d+ incidents?, newly active\)/);
    assert.match(reply, / Cleared by this scan: Duplicate role created\.$/);
    assert.doesNotMatch(reply, /DuplicateRoleCreated|Alert scan is|\.;/, 'no ids, no raw status details');
    // The card everyone sees carries the short version above the alerts it lists.
    const card = h.connector.activity(posted.conversationId, posted.id)!.activity;
    const banner = cardText((card.attachments as Array<{ content: Record<string, unknown> }>)[0]!.content).split('\n')[0];
    assert.match(banner ?? '', /^Refresh by Alex Wilber succeeded after \d+ s: \d+ alerts active, 1 cleared, 1 newly active$/);
  });

  it('answers text commands with the confirm step and changes nothing', async () => {
    for (const text of ['dismiss permanent 1', 'remediate duplicate 1 1', 'refresh all 1', 'refresh outside 1']) {
      const card = await cardFor(h, text);
      assert.ok(buttons(card).some((b) => ['dismiss', 'remediate', 'refresh'].includes(b.verb)), `${text} shows a Confirm button`);
    }
    assert.deepEqual(writes(h), []);
    const audit = await h.app.deps.store.latestAudit(10);
    assert.ok(audit.filter((e) => e.result === 'awaitingConfirmation').length >= 4);
  });
});

describe('card actions: who may act', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  async function tryDismiss(who: Who, scopeRef = '1'): Promise<string> {
    const detail = await cardFor(h, `alert permanent ${scopeRef}`, ALEX);
    const confirm = await click(h, detail, 'dismissConfirm', ALEX);
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const res = await h.post(cardAction(h, b, { from: who }));
    return cardText(res.body.value);
  }

  it('refuses a Reader, with no ARM write, and audits the refusal', async () => {
    const text = await tryDismiss(READER);
    assert.match(text, /Owner or User Access Administrator/);
    assert.deepEqual(writes(h), []);
    const audit = await h.app.deps.store.latestAudit(3);
    assert.ok(audit.some((e) => e.result === 'refused' && e.actorObjectId === READER.aadObjectId));
  });

  it('refuses a custom role with */write but notActions Microsoft.Authorization/*/write', async () => {
    assert.match(await tryDismiss(CUSTOM_ROLE), /Owner or User Access Administrator|not allowed|need/i);
    assert.deepEqual(writes(h), []);
  });

  it('allows a person through a group assignment (Owner of PIM Operators on Contoso Staging)', async () => {
    const staging = h.sim.scopes.findIndex((s) => s.id === `subscriptions/${SUBSCRIPTIONS.staging}`) + 1;
    const detail = await cardFor(h, `alerts ${staging}`, ALEX);
    const details = buttons(detail).find((b) => b.verb === 'details')!;
    const d = await h.post(cardAction(h, details, { from: GROUP_MEMBER }));
    const dismissConfirm = buttons(d.body.value).find((b) => b.verb === 'dismissConfirm');
    assert.ok(dismissConfirm);
    const c = await h.post(cardAction(h, dismissConfirm, { from: GROUP_MEMBER }));
    const dismiss = buttons(c.body.value).find((b) => b.verb === 'dismiss')!;
    const done = await h.post(cardAction(h, dismiss, { from: GROUP_MEMBER }));
    assert.match(cardText(done.body.value), /Dismissed by Tomás Ribeiro/);
  });

  it('refuses a person from another tenant without an ARM call', async () => {
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const other = cardAction(h, b, { from: ALEX });
    other.channelData = { ...other.channelData, tenant: { id: '11111111-2222-3333-4444-555555555555' } };
    other.conversation = { ...other.conversation, tenantId: '11111111-2222-3333-4444-555555555555' };
    const before = writes(h).length;
    const res = await h.post(other);
    assert.match(cardText(res.body.value), /organisation|tenant/i);
    assert.equal(writes(h).length, before);
  });

  it('audit shows the latest changes to operators, and is refused to a Reader', async () => {
    const operator = personalMessage(h, 'audit 5', ALEX);
    await h.post(operator);
    const log = h.cardsIn(operator.conversation.id).at(-1)!;
    assertValidCard(log as never);
    assert.match(cardText(log), /dismiss/i);
    assert.match(cardText(log), /refused/i);
    const reader = personalMessage(h, 'audit', READER);
    await h.post(reader);
    assert.match(cardText(h.cardsIn(reader.conversation.id).at(-1)!), /for operators/);
  });

  it('whoami tells each scope and why', async () => {
    const msg = personalMessage(h, 'whoami', READER);
    await h.post(msg);
    const card = h.cardsIn(msg.conversation.id).at(-1)!;
    assert.match(cardText(card), /Reader/);
  });
});

describe('card actions: tampered data', function () {
  let h: Harness;
  let dismiss: { verb: string; data: Json };
  // The bot's clock, injected: the expiry test moves it forward instead of waiting a week.
  let offsetMs = 0;
  before(async () => {
    h = await startHarness({ overrides: { clock: { now: () => Date.now() + offsetMs } } });
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    dismiss = buttons(confirm).find((x) => x.verb === 'dismiss')!;
  });
  after(async () => {
    await h.close();
  });

  const cases: Array<[string, (d: Json) => Json]> = [
    ['a changed scope', (d) => ({ ...d, p: { ...d.p, scope: `subscriptions/${SUBSCRIPTIONS.development}` } })],
    ['a changed alert', (d) => ({ ...d, p: { ...d.p, alertId: 'TooManyOwnersAssignedToResource' } })],
    ['a bad signature', (d) => ({ ...d, sig: d.sig.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) })],
    ['no signature (plain data)', (d) => ({ a: d.p })],
    ['an expiry moved later', (d) => ({ ...d, exp: d.exp + 86_400_000 })],
    ['a traversal in the alert id', (d) => ({ ...d, p: { ...d.p, alertId: '../../roleAssignments' } })],
  ];
  for (const [name, tamper] of cases) {
    it(`refuses ${name} without an ARM call, and audits it`, async () => {
      const before = writes(h).length;
      const res = await h.post(cardAction(h, { verb: dismiss.verb, data: tamper(dismiss.data) }));
      assert.match(cardText(res.body.value), /changed|not from this bot|cannot verify|expired/i);
      assert.equal(writes(h).length, before);
      const audit = await h.app.deps.store.latestAudit(1);
      assert.equal(audit[0]!.result, 'refused');
    });
  }

  it('refuses data whose verb does not match the button', async () => {
    const res = await h.post(cardAction(h, { verb: 'remediate', data: dismiss.data }));
    assert.match(cardText(res.body.value), /does not match/);
  });

  it('refuses an expired card', async () => {
    offsetMs = 8 * 24 * 3600_000;
    try {
      const before = writes(h).length;
      const res = await h.post(cardAction(h, dismiss));
      assert.match(cardText(res.body.value), /expired/i);
      assert.equal(writes(h).length, before);
    } finally {
      offsetMs = 0;
    }
  });
});

describe('card action data: subscription ids', function () {
  it('accepts every id the subscribe command can mint (base64url: letters, digits, - and _)', () => {
    for (const id of ['Ab_9-xYz', '________', '--------', 'a1B2c3D4']) {
      assert.deepEqual(parseActionPayload('unsubscribe', { verb: 'unsubscribe', subscriptionId: id }, () => true), { verb: 'unsubscribe', subscriptionId: id });
    }
    assert.throws(() => parseActionPayload('unsubscribe', { verb: 'unsubscribe', subscriptionId: '../x' }, () => true), /not valid/);
  });
});

describe('one write per change: the replay guard and the claim, each tested on its own', function () {
  let h: Harness;
  // The bot's clock, injected: the replay test moves it past the claim's lifetime.
  let offsetMs = 0;
  beforeEach(async () => {
    offsetMs = 0;
    // No cached decisions: a check that ran before the replay guard would show as an RBAC read.
    // Buttons valid for 90 days, the longest PIM_ACTION_TTL_HOURS allows.
    h = await startHarness({ env: { PIM_AUTHZ_CACHE_SECONDS: '0', PIM_ACTION_TTL_HOURS: '2160' }, overrides: { clock: { now: () => Date.now() + offsetMs } } });
  });
  afterEach(async () => {
    await h.close();
  });

  const rbacReads = () => h.sim.requests.filter((r) => r.method === 'GET' && /\/providers\/Microsoft\.Authorization\/(roleAssignments|roleDefinitions|denyAssignments)\b/i.test(r.url)).length;

  it('a completed button replayed after its write claim has lapsed is refused by its nonce alone, before any ARM call', async () => {
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    assert.match(cardText((await h.post(cardAction(h, b))).body.value), /Dismissed by Alex Wilber/);
    assert.equal(writes(h).length, 1);

    // The spent nonce is kept at least as long as the button could be used.
    const db = new Database(path.join(h.dataDir, 'pim-alerts.sqlite'), { readonly: true });
    try {
      const kept = db.prepare('SELECT expires_ms FROM used_nonces WHERE nonce = ?').pluck().get(b.data.n) as number;
      assert.ok(kept >= b.data.exp, `the nonce is kept until ${new Date(kept).toISOString()}, the button works until ${new Date(b.data.exp).toISOString()}`);
    } finally {
      db.close();
    }

    // 89 days on: the claim on this alert (15 minutes) is long gone; the card (90 days) is still valid.
    offsetMs = 89 * 24 * 3600_000;
    const reads = rbacReads();
    const replay = await h.post(cardAction(h, b));
    assert.match(cardText(replay.body.value), /already used/);
    assert.equal(writes(h).length, 1, 'no second write');
    assert.equal(rbacReads(), reads, 'the replay cost no RBAC read: the guard runs before authorization');
    const [row] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([row!.result, row!.reason], ['refused', 'replay']);
  });

  it('two people clicking Dismiss on two different cards for the same alert at once make one write: the claim', async () => {
    const alexCard = await click(h, await cardFor(h, 'alert permanent 1', ALEX), 'dismissConfirm');
    const danaCard = await click(h, await cardFor(h, 'alert permanent 1', ALEX), 'dismissConfirm', DANA);
    const alexButton = buttons(alexCard).find((x) => x.verb === 'dismiss')!;
    const danaButton = buttons(danaCard).find((x) => x.verb === 'dismiss')!;
    assert.notEqual(alexButton.data.n, danaButton.data.n, 'two cards, two nonces: the replay guard cannot tell them apart');

    const held = h.holdWrites();
    const alex = h.post(cardAction(h, alexButton, { from: ALEX }));
    await held.first; // Alex's PATCH is at ARM, unanswered
    const dana = h.post(cardAction(h, danaButton, { from: DANA }));
    // Dana's click either ends (refused by the claim) or sends a second write; either way, let ARM answer.
    await Promise.race([dana, held.second]);
    held.release();
    const [a, d] = await Promise.all([alex, dana]);

    assert.equal(writes(h).length, 1, 'one ARM write');
    assert.match(cardText(a.body.value), /Dismissed by Alex Wilber/);
    assert.match(cardText(d.body.value), /Already dismissed by Alex Wilber/);
    const rows = await h.app.deps.store.latestAudit(10);
    assert.deepEqual(
      rows.filter((e) => e.action === 'dismiss').map((e) => [e.actorName, e.result, e.reason]),
      [
        ['Dana Whitfield', 'refused', 'claimLost'],
        ['Alex Wilber', 'succeeded', undefined],
      ],
    );
  });
});

describe('write-ahead audit', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('writes the attempt before the ARM write and completes the same entry with the outcome', async () => {
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const held = h.holdWrites();
    const clicked = h.post(cardAction(h, b));
    await held.first;
    // ARM has the PATCH and has not answered: the attempt is already on record.
    const [attempt] = await h.app.deps.store.latestAudit(1).finally(() => held.release());
    assert.deepEqual([attempt!.action, attempt!.result, attempt!.actorName, attempt!.alertId], ['dismiss', 'attempted', 'Alex Wilber', 'TooManyPermanentOwnersAssignedToResource']);
    assert.equal(attempt!.scope, `subscriptions/${SUBSCRIPTIONS.production}`);
    assert.equal(attempt!.actorObjectId, ALEX.aadObjectId);
    assert.equal(attempt!.tenantId, TENANT_ID);
    assert.match(attempt!.conversationId ?? '', /^19:.*@thread/);
    assert.ok(attempt!.at, 'the time of the attempt');
    await clicked;
    const [done, ...rest] = await h.app.deps.store.latestAudit(10);
    assert.equal(done!.id, attempt!.id, 'the same entry, completed');
    assert.equal(done!.result, 'succeeded');
    assert.match(done!.armRequestId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(done!.completedAt && done!.completedAt >= done!.at, 'the completion time is recorded');
    assert.ok(!rest.some((e) => e.action === 'dismiss' && e.result !== 'awaitingConfirmation'), 'no second entry for the same write');
  });

  it('a write Azure refuses completes its attempt as failed, with the ARM request id', async () => {
    const confirm = await click(h, await cardFor(h, 'alert duplicate 1'), 'remediateConfirm');
    h.sim.setFaults({ rate500: 1 });
    const res = await h.post(cardAction(h, buttons(confirm).find((x) => x.verb === 'remediate')!));
    h.sim.setFaults({});
    assert.match(cardText(res.body.value), /Azure refused|went wrong|try again/i);
    const [row] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([row!.action, row!.result], ['remediate', 'failed']);
    assert.match(row!.armRequestId ?? '', /^[0-9a-f-]{36}$/);
  });
});
