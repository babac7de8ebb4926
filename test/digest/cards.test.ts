// The digest, subscriptions and welcome cards against the Adaptive Card 1.5 schema and the Teams
// size budget, and composeDigest's handling of scopes that could not be read.
import assert from 'node:assert/strict';
import { MAX_CARD_CHARS, buildDigestCard, buildSubscriptionsCard, buildWelcomeCard, cardChars, formatRunTime, type SubscriptionEntryInput } from '../../cards';
import { composeDigest } from '../../bot/digest/compose';
import { diffSnapshots, snapshotOf } from '../../bot/digest/diff';
import { scopeKey, type ScopeAlerts } from '../../bot/core/reader';
import { createActionSigner } from '../../bot/security/signing';
import { assertValidCard, collectActions } from '../cards/validateCard';
import { manyScopes, testContext } from '../cards/data';
import { PROD, SCOPES, SECRET, STAGING, cardText, makeAlert } from './helpers';

describe('digest cards', () => {
  it('cuts a digest of 40 scopes and 400 alerts to the size budget with "and N more", keeping new alerts first', () => {
    const scopes = manyScopes(40, 400);
    const newOnes = scopes.map((s) => ({ scope: s.scope, alertId: s.alerts[s.alerts.length - 1]!.name }));
    const card = buildDigestCard(
      {
        scopes,
        label: 'daily at 09:00',
        allClear: false,
        diff: { first: false, newAlerts: newOnes, resolvedAlerts: [], newIncidents: [], resolvedIncidents: [], changedCounts: [], changed: true },
      },
      { ...testContext(), actionData: (p) => createActionSigner({ secret: SECRET }).sign(p) },
    );
    assertValidCard(card, 'big digest');
    assert.ok(cardChars(card) <= MAX_CARD_CHARS, `${cardChars(card)} chars`);
    const text = cardText(card);
    assert.match(text, /and \d+ more (alerts?|scopes?)/);
    assert.match(text, /Since the last digest: 40 new alerts\./);
    // In every scope section shown, the first alert row is the new one.
    const sections = (card.body as Array<Record<string, any>>).filter((b) => b.type === 'Container' && Array.isArray(b.items));
    assert.ok(sections.length > 0);
    for (const section of sections) {
      const firstRow = (section.items as Array<Record<string, any>>).find((i) => i.type === 'ColumnSet');
      if (firstRow) assert.match(cardText(firstRow), /^New$/m);
    }
  });

  it('shows an all-clear and a warning row for a scope that could not be read', () => {
    const card = buildDigestCard(
      {
        scopes: [
          { scope: PROD, displayName: 'Contoso Production', alerts: [makeAlert(PROD, 'DuplicateRoleCreated', { active: false })] },
          { scope: STAGING, displayName: 'Contoso Staging', error: 'The client does not have authorization to perform action. Check the role.' },
        ],
        label: 'weekdays at 08:30',
        allClear: true,
      },
      testContext(),
    );
    assertValidCard(card, 'all-clear');
    const text = cardText(card);
    assert.match(text, /No active PIM alerts on the 1 scope watched that could be read\./);
    assert.match(text, /⚠ Could not read Contoso Staging: The client does not have authorization to perform action\./);
    assert.doesNotMatch(text, /Duplicate role created/);
  });

  it('gives every alert Details and Refresh buttons', () => {
    const card = buildDigestCard({ scopes: [{ scope: PROD, alerts: [makeAlert(PROD, 'DuplicateRoleCreated')] }], label: 'hourly', allClear: false }, testContext());
    assert.deepEqual(
      collectActions(card).map((a) => [a.title, a.verb, (a.data as { a: unknown }).a]),
      [
        ['Details', 'details', { verb: 'details', scope: PROD, alertId: 'DuplicateRoleCreated' }],
        ['Refresh', 'refreshConfirm', { verb: 'refreshConfirm', scope: PROD, alertId: 'DuplicateRoleCreated' }],
      ],
    );
  });
});

describe('subscriptions and welcome cards', () => {
  const entry = (i: number): SubscriptionEntryInput => ({
    id: `s${i}`,
    label: `daily at ${String(i % 24).padStart(2, '0')}:00`,
    timeZone: 'Europe/Berlin',
    scopes: SCOPES.map((s) => ({ scope: s.scope, displayName: `${s.displayName} with a long descriptive name for the team` })),
    mode: i % 2 ? 'changes' : 'always',
    severity: 'High',
    nextRun: new Date('2026-11-30T08:00:00Z'),
    enabled: i !== 3,
    disabledReason: 'The bot is no longer in this conversation (403 BotNotInConversationRoster); add it again and subscribe again.',
  });

  it('formats a run time in the subscription’s zone, adding the year only when it is not this year', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    assert.equal(formatRunTime(new Date('2026-11-30T08:00:00Z'), 'Europe/Berlin', now), 'Mon 30 Nov 09:00 (Europe/Berlin)');
    assert.equal(formatRunTime(new Date('2026-11-30T08:00:00Z'), 'Pacific/Auckland', now), 'Mon 30 Nov 21:00 (Pacific/Auckland)');
    assert.equal(formatRunTime(new Date('2027-01-01T09:00:00Z'), 'UTC', now), 'Fri 1 Jan 2027 09:00 (UTC)');
    assert.equal(formatRunTime(new Date('2026-11-30T08:00:00Z'), 'Not/AZone', now), 'Mon 30 Nov 08:00 (UTC)');
  });

  it('cuts a long list of subscriptions with the numbers that did not fit, and shows paused ones', () => {
    const card = buildSubscriptionsCard({ subscriptions: Array.from({ length: 60 }, (_, i) => entry(i + 1)) }, { ...testContext(), actionData: (p) => createActionSigner({ secret: SECRET }).sign(p) });
    assertValidCard(card, 'long list');
    assert.ok(cardChars(card) <= MAX_CARD_CHARS);
    const text = cardText(card);
    const more = /and (\d+) more subscriptions \(numbers (\d+) to 60\)/.exec(text);
    assert.ok(more, 'says what was left out');
    assert.equal(Number(more[1]), 60 - Number(more[2]) + 1);
    assert.match(text, /⚠ Paused: The bot is no longer in this conversation/);
    assert.match(text, /^3\. daily at 03:00\n⚠ Paused: .*\nNext run: Paused$/m);
  });

  it('counts subscriptions in plain grammar, and the empty list points at `help subscribe`', () => {
    const intro = (n: number) => cardText(buildSubscriptionsCard({ subscriptions: Array.from({ length: n }, (_, i) => entry(i + 1)) }, testContext())).split('\n')[1];
    assert.equal(intro(1), 'This conversation has 1 digest subscription.');
    assert.equal(intro(3), 'This conversation has 3 digest subscriptions.');
    assert.match(cardText(buildSubscriptionsCard({ subscriptions: [] }, testContext())), /or `help subscribe` for every option\./);
  });

  it('renders a valid welcome card with Show alerts and Help buttons', () => {
    const card = buildWelcomeCard(testContext({ localRunNote: 'Local run against the simulator: everyone may act.' }));
    assertValidCard(card, 'welcome');
    assert.deepEqual(collectActions(card).map((a) => a.verb), ['alerts', 'help']);
    assert.match(cardText(card), /@PIM Alerts subscribe daily 09:00/);
  });
});

describe('composeDigest', () => {
  const read = (scope: string, alerts = [makeAlert(scope, 'DuplicateRoleCreated', { seed: 5 })]): ScopeAlerts => ({ scope, alerts });
  const reads = (...r: ScopeAlerts[]) => new Map(r.map((x) => [scopeKey(x.scope), x]));

  it('keeps the last snapshot of a scope that could not be read, so its alerts are not "new" when it comes back', () => {
    const first = composeDigest({ scopes: [PROD, STAGING] }, 'daily', SCOPES, reads(read(PROD), read(STAGING)), undefined);
    assert.equal(first.diff.first, true);
    const failed = composeDigest({ scopes: [PROD, STAGING] }, 'daily', SCOPES, reads(read(PROD), { scope: STAGING, error: 'Timed out.' }), first.snapshot);
    assert.equal(failed.diff.changed, false);
    assert.deepEqual(failed.snapshot, first.snapshot, 'the unread scope is carried over');
    const back = composeDigest({ scopes: [PROD, STAGING] }, 'daily', SCOPES, reads(read(PROD), read(STAGING)), failed.snapshot);
    assert.equal(back.diff.changed, false);
    assert.deepEqual(back.diff.newAlerts, []);
  });

  it('names a subscribed scope that is no longer configured instead of reading it', () => {
    const gone = 'subscriptions/00000000-0000-0000-0000-000000000000';
    const c = composeDigest({ scopes: [gone, PROD] }, 'daily', SCOPES, reads(read(PROD)), undefined);
    assert.deepEqual(c.input.scopes.map((s) => [s.scope, s.error === undefined]), [
      [PROD, true],
      [gone, false],
    ]);
    assert.equal(c.activeCount, 1);
    assert.deepEqual(diffSnapshots(snapshotOf([{ scope: PROD, alerts: read(PROD).alerts! }]), c.snapshot).changed, false);
  });
});
