import assert from 'node:assert/strict';
import type { AuditEntry } from '../../bot/store/types';
import { buildAuditCard, buildAuditView, sortAuditEntries } from '../../cards/audit';
import { MAX_CARD_CHARS, cardChars } from '../../cards/size';
import { MEGAN, auditEntries } from './accessData';
import { EXAMPLE_SCOPE, testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

/** Facts as a person reads them: the invisible break opportunities of long values (breakable) left out. */
const factMap = (facts: Array<{ title: string; value: string }>): Record<string, string> => Object.fromEntries(facts.map((f) => [f.title, f.value.replace(/\u200b/g, '')]));

describe('cards: audit', () => {
  it('lists entries newest first whatever order the store returns them in', () => {
    const entries = auditEntries(12);
    const vm = buildAuditView({ entries }, testContext());
    const expected = [...entries].sort((a, b) => b.at.localeCompare(a.at));
    assert.notDeepEqual(entries, expected, 'the input is shuffled');
    assert.equal(vm.entries.length, 12);
    assert.deepEqual(sortAuditEntries(entries), expected);
    // 09:29 UTC is 11:29 in Berlin; each older entry is a minute earlier.
    const berlin = buildAuditView({ entries }, testContext({ timeZone: 'Europe/Berlin' }));
    assert.deepEqual(
      berlin.entries.slice(0, 3).map((e) => e.byLine),
      [
        '8 Apr 2022, 11:29 Europe/Berlin (1 min ago) · Megan Bowen',
        '8 Apr 2022, 11:28 Europe/Berlin (2 min ago) · Alex Wilber',
        '8 Apr 2022, 11:27 Europe/Berlin (3 min ago) · Adele Vance',
      ],
    );
    assert.match(berlin.subtitle, /^Latest 12 entries, newest first · times in Europe\/Berlin$/);
  });

  it('shows who, what, where, the result in its colour, the detail and the ARM request id', () => {
    const at = '2022-04-08T09:00:00Z';
    const base = { at, actorName: MEGAN.name, actorObjectId: MEGAN.objectId, scope: EXAMPLE_SCOPE, alertId: 'TooManyOwnersAssignedToResource' };
    const entries: AuditEntry[] = [
      { ...base, id: '6', action: 'remediate', result: 'succeeded', incidentId: 'a9f38501-74ec-43ea-8663-6c538602150d', armRequestId: '6d2f8c9a-0b6d-4e4d-8a1e-c8f0e0a45b9c', detail: 'Removed the role assignment.' },
      { ...base, id: '5', action: 'dismiss', result: 'refused', detail: 'You need Owner or User Access Administrator on the scope; you have Reader there.' },
      { ...base, id: '4', action: 'configure', result: 'failed' },
      { ...base, id: '3', action: 'refresh', result: 'started' },
      { ...base, id: '2', action: 'refresh', result: 'awaitingConfirmation' },
      { at, id: '1', action: 'subscribe', result: 'succeeded' },
    ];
    const vm = buildAuditView({ entries }, testContext());
    assert.deepEqual(
      vm.entries.map((e) => [e.headline, e.resultText, e.resultColor]),
      [
        ['Remediate', 'Succeeded', 'default'],
        ['Dismiss', 'Refused', 'attention'],
        ['Configure', 'Failed', 'attention'],
        ['Refresh', 'Started', 'accent'],
        ['Refresh', 'Awaiting confirmation', 'accent'],
        ['Subscribe', 'Succeeded', 'default'],
      ],
    );
    const first = vm.entries[0];
    assert.deepEqual(factMap(first?.facts ?? []), {
      Scope: EXAMPLE_SCOPE,
      Alert: 'TooManyOwnersAssignedToResource',
      Incident: 'a9f38501-74ec-43ea-8663-6c538602150d',
      'ARM request id': '6d2f8c9a-0b6d-4e4d-8a1e-c8f0e0a45b9c',
    });
    assert.equal(first?.objectIdText, `Object id ${MEGAN.objectId}`);
    assert.equal(first?.detail, 'Removed the role assignment.');
    assert.equal('ARM request id' in factMap(vm.entries[1]?.facts ?? []), false);
    assert.equal(vm.entries[2]?.hasDetail, false);
    const anonymous = vm.entries[5];
    assert.equal(anonymous?.hasObjectId, false);
    assert.equal(anonymous?.hasFacts, false);
    assert.match(anonymous?.byLine ?? '', / · an unknown person$/);

    const card = buildAuditCard({ entries }, testContext());
    assertValidCard(card);
    assert.equal(collectActions(card).length, 0);
    assert.equal(card.fallbackText, 'Audit log, 6 entries; latest: Remediate succeeded, 8 Apr 2022, 09:00 UTC (30 min ago) · Megan Bowen.');
    const text = JSON.stringify(card);
    assert.ok(text.includes('"color":"attention"') && text.includes('"color":"accent"') && !text.includes('"color":"good"'));
  });

  it('shows an entry with an unparsable time or a result this version does not know, last', () => {
    const entries = [
      { at: 'yesterday', action: 'dismiss', result: 'rolledBack' as AuditEntry['result'] },
      { at: '2022-04-08T09:00:00Z', action: 'dismiss', result: 'succeeded' as const },
    ];
    const vm = buildAuditView({ entries }, testContext());
    assert.deepEqual(vm.entries.map((e) => e.resultText), ['Succeeded', 'Rolled back']);
    assert.match(vm.entries[1]?.byLine ?? '', /^unknown · /);
    assertValidCard(buildAuditCard({ entries }, testContext()));
  });

  it('shows an attempt whose outcome was never recorded as "Outcome unknown", and says what that means', () => {
    const entries: AuditEntry[] = [
      { id: '7', at: '2022-04-08T09:10:00Z', actorName: MEGAN.name, action: 'dismiss', scope: EXAMPLE_SCOPE, alertId: 'TooManyOwnersAssignedToResource', result: 'attempted', detail: 'Dismissing the alert (isActive: false).' },
    ];
    const vm = buildAuditView({ entries }, testContext());
    assert.deepEqual([vm.entries[0]?.headline, vm.entries[0]?.resultText, vm.entries[0]?.resultColor], ['Dismiss', 'Outcome unknown', 'attention']);
    assert.equal(vm.entries[0]?.detail, 'Dismissing the alert (isActive: false). No outcome was recorded, so Azure may or may not have made this change; check it in the Azure portal.');
    assertValidCard(buildAuditCard({ entries }, testContext()));
  });

  it('entries written in the same instant keep the order the store gave (its ids are opaque)', () => {
    const at = '2022-04-08T09:00:00Z';
    const entries: AuditEntry[] = [
      { id: 'b', at, action: 'dismiss', result: 'refused', reason: 'claimLost' },
      { id: 'a', at, action: 'dismiss', result: 'succeeded' },
    ];
    assert.deepEqual(sortAuditEntries(entries).map((e) => e.id), ['b', 'a']);
  });

  it('has an empty state', () => {
    const vm = buildAuditView({ entries: [] }, testContext());
    assert.equal(vm.showEmpty, true);
    assert.equal(vm.hasMore, false);
    const card = buildAuditCard({ entries: [] }, testContext());
    assertValidCard(card);
    assert.ok(JSON.stringify(card).includes('No actions have been recorded yet'));
  });

  it('cuts 500 entries to the size limit, keeping the newest, and says how many older ones are left out', () => {
    const entries = auditEntries(500);
    const card = buildAuditCard({ entries }, testContext());
    assert.ok(cardChars(card) <= MAX_CARD_CHARS, `card is ${cardChars(card)} chars`);
    assertValidCard(card);
    const vm = buildAuditView({ entries }, testContext());
    const shown = vm.entries.length;
    assert.ok(shown > 5 && shown < 500, `shows ${shown}`);
    assert.equal(vm.moreText, `and ${500 - shown} more entries, older than these`);
    assert.ok(JSON.stringify(card).includes(vm.moreText));
    assert.match(vm.entries[0]?.byLine ?? '', /^8 Apr 2022, 09:29 UTC/);
    const tighter = buildAuditView({ entries }, testContext(), { maxChars: cardChars(card) - 1 });
    assert.ok(tighter.entries.length < shown);
  });
});
