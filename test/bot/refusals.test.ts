// Every refusal is audited with its reason code, through the real pipeline: Teams-shaped invokes
// and messages posted to /api/messages, the bot checking tenant, signature, signed data, replay,
// rights and claims against the in-process simulator, and the row each refusal leaves in the
// store. One table covers every reason; the tests after it show what a refusal row may hold (no
// message text, capped fields) and that a flood of refusals cannot fill the store.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../bot/log';
import { DEFAULT_REFUSAL_BUDGET } from '../../bot/core/audit';
import { MAX_VERB_CHARS } from '../../bot/edge/teamsBot';
import { STORE_LIMITS } from '../../bot/store/limits';
import type { AuditEntry, RefusalReason } from '../../bot/store/types';
import { PLAYGROUND_READER_OBJECT_ID, PRINCIPAL_IDS, SCOPES } from '../../sim/seed';
import {
  ALEX,
  BOT_ID,
  TENANT_ID,
  buttons,
  cardAction,
  cardFor,
  cardText,
  channelMessage,
  click,
  fixture,
  personalMessage,
  startHarness,
  writes,
  type Harness,
  type Who,
} from '../helpers/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OTHER_TENANT = '11111111-2222-3333-4444-555555555555';
const MEGAN: Who = { id: '29:megan', name: 'Megan Bowen', aadObjectId: PLAYGROUND_READER_OBJECT_ID };
const TOMAS: Who = { id: '29:tomas', name: 'Tomás Ribeiro', aadObjectId: PRINCIPAL_IDS.pimOperatorsMember };
const NOAH: Who = { id: '29:noah', name: 'Noah Berg', aadObjectId: PRINCIPAL_IDS.resourceGroupOwner };
const GUEST: Who = { id: '29:guest', name: 'Guest User', aadObjectId: undefined };
const PERMANENT = 'TooManyPermanentOwnersAssignedToResource';

describe('refusals: each one is audited with its reason code', function () {
  let h: Harness;
  // The bot's clock, injected: the expiry case moves it past a card's expiry instead of waiting.
  let offsetMs = 0;

  before(async () => {
    h = await startHarness({ overrides: { clock: { now: () => Date.now() + offsetMs } } });
  });
  after(async () => {
    await h.close();
  });

  const scopeNumber = (scope: string) => String(h.sim.scopes.findIndex((s) => s.id === scope) + 1);

  /** A fresh, unused Dismiss button for an active alert (the permanent-owners one on production by default). */
  async function dismissButton(scope: string = SCOPES.production, alert = 'permanent'): Promise<{ verb: string; data: Json }> {
    const confirm = await click(h, await cardFor(h, `alert ${alert} ${scopeNumber(scope)}`), 'dismissConfirm');
    return buttons(confirm).find((b) => b.verb === 'dismiss')!;
  }

  /** Data the bot itself signed, as a button it made earlier would carry. */
  const signed = (payload: Json) => h.app.deps.signer.sign(payload) as unknown as Json;

  async function allAudit(): Promise<AuditEntry[]> {
    return h.app.deps.store.latestAudit(10_000);
  }

  interface Case {
    name: string;
    reason: RefusalReason;
    /** The action the row names. */
    action: string;
    /** Whose row it is (default Alex). */
    who?: Who;
    tenantId?: string;
    /** Work before the refused request (not counted). */
    setup?: () => Promise<unknown>;
    /** Sends the refused request; returns what the person was answered. */
    run: (state: any) => Promise<string>; // eslint-disable-line @typescript-eslint/no-explicit-any
    answer: RegExp;
  }

  const invoke = async (button: { verb: string; data: unknown }, opts: Parameters<typeof cardAction>[2] = {}): Promise<string> => {
    const res = await h.post(cardAction(h, button, opts));
    assert.equal(res.status, 200);
    return cardText(res.body.value);
  };

  const cases: Case[] = [
    {
      name: 'a message from a tenant that is not allowed',
      reason: 'tenantNotAllowed',
      action: 'message',
      tenantId: OTHER_TENANT,
      run: async () => {
        const msg = personalMessage(h, 'alerts', ALEX, OTHER_TENANT);
        await h.post(msg);
        return cardText(h.cardsIn(msg.conversation.id).at(-1)!);
      },
      answer: /only serves its own organisation/,
    },
    {
      name: 'a click from a tenant that is not allowed',
      reason: 'tenantNotAllowed',
      action: 'dismiss',
      tenantId: OTHER_TENANT,
      setup: () => dismissButton(),
      run: (b) => {
        const a = cardAction(h, b);
        a.channelData = { ...a.channelData, tenant: { id: OTHER_TENANT } };
        a.conversation = { ...a.conversation, tenantId: OTHER_TENANT };
        return h.post(a).then((r) => cardText(r.body.value));
      },
      answer: /only serves its own organisation/,
    },
    {
      name: 'a click whose channelData.tenant.id and conversation.tenantId disagree',
      reason: 'tenantMismatch',
      action: 'dismiss',
      setup: () => dismissButton(),
      run: (b) => {
        const a = cardAction(h, b);
        a.conversation = { ...a.conversation, tenantId: OTHER_TENANT };
        return h.post(a).then((r) => cardText(r.body.value));
      },
      answer: /names two different tenants/,
    },
    {
      name: 'unsigned button data',
      reason: 'unsigned',
      action: 'dismiss',
      setup: () => dismissButton(),
      run: (b) => invoke({ verb: 'dismiss', data: b.data.p }),
      answer: /cannot verify/,
    },
    {
      name: 'a signature that does not match',
      reason: 'badSignature',
      action: 'dismiss',
      setup: () => dismissButton(),
      run: (b) => invoke({ verb: 'dismiss', data: { ...b.data, sig: b.data.sig.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) } }),
      answer: /changed or is not from this bot/,
    },
    {
      name: 'an expired card',
      reason: 'expired',
      action: 'dismiss',
      setup: async () => {
        const b = await dismissButton();
        offsetMs = 8 * 24 * 3600_000;
        return b;
      },
      run: (b) => invoke(b).finally(() => (offsetMs = 0)),
      answer: /expired/,
    },
    {
      name: 'button data that is not a signed envelope',
      reason: 'malformed',
      action: 'dismiss',
      run: () => invoke({ verb: 'dismiss', data: { v: 1, p: { verb: 'dismiss' }, exp: 'soon', n: 'x', sig: 'y' } }),
      answer: /changed or is not from this bot/,
    },
    {
      name: 'signed data missing a field',
      reason: 'malformed',
      action: 'dismiss',
      run: () => invoke({ verb: 'dismiss', data: signed({ verb: 'dismiss', scope: SCOPES.production }) }),
      answer: /alertId is missing/,
    },
    {
      name: 'a verb that does not match its signed data',
      reason: 'verbMismatch',
      action: 'remediate',
      setup: () => dismissButton(),
      run: (b) => invoke({ verb: 'remediate', data: b.data }),
      answer: /does not match its data/,
    },
    {
      name: 'signed data naming a scope no longer configured',
      reason: 'scopeNotConfigured',
      action: 'dismiss',
      run: () => invoke({ verb: 'dismiss', data: signed({ verb: 'dismiss', scope: 'subscriptions/0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de', alertId: PERMANENT }) }),
      answer: /not one I watch any more/,
    },
    {
      name: 'an id inside signed data that fails validation',
      reason: 'invalidId',
      action: 'dismiss',
      run: () => invoke({ verb: 'dismiss', data: signed({ verb: 'dismiss', scope: SCOPES.production, alertId: '../../roleAssignments' }) }),
      answer: /not a valid name or id|not valid/i,
    },
    {
      name: 'a replay of a completed button',
      reason: 'replay',
      action: 'dismiss',
      setup: async () => {
        const b = await dismissButton(SCOPES.production, 'duplicate');
        assert.match(await invoke(b), /Dismissed by Alex Wilber/);
        return b;
      },
      run: (b) => invoke(b),
      answer: /already used/,
    },
    {
      name: 'a person without the rights',
      reason: 'notAuthorized',
      action: 'dismiss',
      who: MEGAN,
      setup: () => dismissButton(),
      run: (b) => invoke(b, { from: MEGAN }),
      answer: /Owner or User Access Administrator/,
    },
    {
      name: 'an Owner blocked by a deny assignment',
      reason: 'denyAssignment',
      action: 'dismiss',
      who: NOAH,
      setup: () => dismissButton(SCOPES.payments),
      run: (b) => invoke(b, { from: NOAH }),
      answer: /deny assignment "Deny assignment 'payments-platform' created by deployment stack"/,
    },
    {
      name: 'a click without an Entra object id',
      reason: 'missingObjectId',
      action: 'dismiss',
      who: GUEST,
      setup: () => dismissButton(),
      run: (b) => invoke(b, { from: GUEST }),
      answer: /did not send your Microsoft Entra object id/,
    },
    {
      name: 'a click that loses the claim to a colleague mid-write',
      reason: 'claimLost',
      action: 'dismiss',
      who: TOMAS,
      // Two cards for the same alert: Alex's click is at ARM when Tomás (Owner through his group) clicks his.
      setup: async () => ({ alex: await dismissButton(SCOPES.staging), tomas: await dismissButton(SCOPES.staging) }),
      run: async ({ alex, tomas }) => {
        const held = h.holdWrites();
        const first = invoke(alex);
        await held.first;
        const answer = await Promise.race([invoke(tomas, { from: TOMAS }), held.second.then(() => 'a second write reached ARM')]);
        held.release();
        assert.match(await first, /Dismissed by Alex Wilber/);
        return answer;
      },
      answer: /Already dismissed by Alex Wilber/,
    },
    {
      name: 'a configuration form with invalid input',
      reason: 'invalidInput',
      action: 'configure',
      setup: async () => click(h, await cardFor(h, 'config "too many owners assigned to a resource" 1'), 'configure'),
      run: async (form) => {
        const b = buttons(form).find((x) => x.verb === 'configureSubmit')!;
        return invoke(b, { inputs: { isEnabled: 'true', thresholdNumberOfOwners: '5', thresholdPercentageOfOwnersOutOfAllRoleMembers: '140' } });
      },
      answer: /100/,
    },
    {
      name: "a digest's Unsubscribe button used in another conversation",
      reason: 'wrongConversation',
      action: 'unsubscribe',
      setup: async () => {
        await h.app.deps.store.addSubscription({
          id: 'subElsewhere1',
          conversationId: '19:elsewhere0000000000000000000000@thread.tacv2',
          cron: '0 9 * * *',
          label: 'daily at 09:00',
          timeZone: 'UTC',
          scopes: [],
          mode: 'changes',
          createdBy: { name: 'Dana Whitfield' },
          createdAt: new Date().toISOString(),
          enabled: true,
        });
      },
      run: () => invoke({ verb: 'unsubscribe', data: signed({ verb: 'unsubscribe', subscriptionId: 'subElsewhere1' }) }),
      answer: /belongs to another conversation/,
    },
  ];

  for (const c of cases) {
    it(`${c.reason}: ${c.name}`, async () => {
      const state = await c.setup?.();
      const before = (await allAudit()).length;
      const writesBefore = writes(h).length;
      const answer = await c.run(state);
      assert.match(answer, c.answer);
      const now = await allAudit();
      const added = now.slice(0, now.length - before);
      const refused = added.filter((e) => e.result === 'refused');
      assert.equal(refused.length, 1, `one refusal row (added: ${JSON.stringify(added)})`);
      const row = refused[0]!;
      const who = c.who ?? ALEX;
      assert.equal(row.reason, c.reason);
      assert.equal(row.action, c.action);
      assert.equal(row.actorObjectId, who.aadObjectId);
      assert.equal(row.actorName, who.name);
      assert.equal(row.tenantId, c.tenantId ?? TENANT_ID);
      assert.ok(row.conversationId, 'the conversation is recorded');
      assert.ok(row.detail && row.detail.length > 10, 'a sentence says why');
      // The claim case lets the colleague's write through on purpose; nothing else writes.
      assert.equal(writes(h).length - writesBefore, c.reason === 'claimLost' ? 1 : 0, 'no ARM write for the refused request');
    });
  }

  it('covers every reason code', () => {
    const covered = new Set(cases.map((c) => c.reason));
    const all: RefusalReason[] = [
      'tenantNotAllowed', 'tenantMismatch', 'unsigned', 'badSignature', 'expired', 'malformed', 'verbMismatch', 'scopeNotConfigured',
      'invalidId', 'replay', 'notAuthorized', 'denyAssignment', 'missingObjectId', 'claimLost', 'invalidInput', 'wrongConversation',
    ];
    assert.deepEqual([...covered].sort(), [...all].sort());
  });

  it('a tenant mismatch names both tenants in the row', async () => {
    const [row] = (await allAudit()).filter((e) => e.reason === 'tenantMismatch');
    assert.ok(row!.detail!.includes(TENANT_ID) && row!.detail!.includes(OTHER_TENANT), row!.detail);
  });

  it('an Owner blocked by a deny assignment: whoami says which deny assignment applies', async () => {
    const msg = personalMessage(h, 'whoami', NOAH);
    await h.post(msg);
    const text = cardText(h.cardsIn(msg.conversation.id).at(-1)!);
    assert.match(text, /⛔ Denied/);
    assert.match(text, /The deny assignment "Deny assignment 'payments-platform' created by deployment stack" at subscriptions\/\S+\/resourceGroups\/rg-payments-prod blocks this for you, and a deny outweighs your Owner role\./);
    // Alex, the Playground user, is excluded from it and keeps every right.
    const alex = personalMessage(h, 'whoami', ALEX);
    await h.post(alex);
    const alexText = cardText(h.cardsIn(alex.conversation.id).at(-1)!);
    assert.doesNotMatch(alexText, /Denied|The deny assignment/);
    assert.match(alexText, new RegExp(`You may act on all ${h.sim.scopes.length} configured scopes`));
  });
});

describe('refusals: what a refusal row may hold', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a typed command from outside is audited as a refused message; its text is stored nowhere', async () => {
    const secret = 'alerts 7f3-do-not-store-this-text';
    const msg = channelMessage(h, secret, ALEX, OTHER_TENANT);
    await h.post(msg);
    const [row] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([row!.result, row!.reason, row!.action, row!.tenantId], ['refused', 'tenantNotAllowed', 'message', OTHER_TENANT]);
    await h.close();
    for (const f of fs.readdirSync(h.dataDir)) {
      assert.equal(fs.readFileSync(path.join(h.dataDir, f)).includes('7f3-do-not-store-this-text'), false, `${f} holds the message text`);
    }
    h = await startHarness();
  });

  it('an invoke with a 480 KB verb is cut at the edge and leaves a row whose fields are capped', async () => {
    const confirm = await click(h, await cardFor(h, 'alert permanent 1'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const verb = `dismiss${'x'.repeat(480 * 1024)}`;
    const res = await h.post(cardAction(h, { verb, data: b.data }, { from: { ...ALEX, name: 'n'.repeat(2_000) } }));
    assert.equal(res.status, 200);
    assert.match(cardText(res.body.value), /does not match its data/);
    const [row] = await h.app.deps.store.latestAudit(1);
    assert.equal(row!.reason, 'verbMismatch');
    assert.equal(row!.action, `dismiss${'x'.repeat(MAX_VERB_CHARS - 'dismiss'.length)}`, 'the edge passed on the first 64 characters only');
    assert.equal(row!.actorName!.length, STORE_LIMITS.name);
    assert.ok(JSON.stringify(row).length < 4000, `the row is ${JSON.stringify(row).length} characters`);
    assert.deepEqual(writes(h), []);
  });

  it('the bot installed in a team of another tenant: nothing is sent there, and the refusal is audited', async () => {
    const conversationId = '19:foreign0team0000000000000000000@thread.tacv2';
    const install = {
      ...fixture<Json>('teams/installationUpdate-add-team.docs.json'),
      serviceUrl: h.connector.url,
      recipient: { id: BOT_ID, name: 'Teams Bot' },
      from: { id: ALEX.id, aadObjectId: ALEX.aadObjectId, name: ALEX.name },
      conversation: { isGroup: true, id: conversationId, conversationType: 'channel', tenantId: OTHER_TENANT },
      channelData: { channel: { id: conversationId }, team: { id: conversationId, name: 'Elsewhere' }, tenant: { id: OTHER_TENANT } },
      type: 'installationUpdate',
      action: 'add',
    };
    assert.equal((await h.post(install)).status, 200);
    assert.equal(h.cardsIn(conversationId).length, 0, 'no welcome card');
    const [row] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([row!.result, row!.reason, row!.action, row!.tenantId, row!.conversationId], ['refused', 'tenantNotAllowed', 'installed', OTHER_TENANT, conversationId]);
  });

  it('a flood of refusals from one source stores its first few a minute, and is counted in the log', async () => {
    await h.close();
    const lines: Json[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Json);
        done();
      },
    });
    h = await startHarness({ overrides: { logger: createLogger({ level: 'warn', destination }) } });
    for (let i = 0; i < DEFAULT_REFUSAL_BUDGET.perSource + 10; i++) {
      const res = await h.post(personalMessage(h, 'alerts', ALEX, OTHER_TENANT));
      assert.equal(res.status, 200);
    }
    const rows = (await h.app.deps.store.latestAudit(1000)).filter((e) => e.reason === 'tenantNotAllowed');
    assert.equal(rows.length, DEFAULT_REFUSAL_BUDGET.perSource);
    // Someone else's refusal is still stored: one source cannot hide another's.
    await h.post(personalMessage(h, 'alerts', MEGAN, OTHER_TENANT));
    const [latest] = await h.app.deps.store.latestAudit(1);
    assert.equal(latest!.actorObjectId, MEGAN.aadObjectId);
    const warned = lines.filter((l) => /over the audit budget/.test(String(l.msg)));
    assert.equal(warned.length, 1, 'one warning when the budget runs out, not one per refusal');
    assert.equal(warned[0]!.source, `${OTHER_TENANT}|${ALEX.aadObjectId}`);
  });
});
