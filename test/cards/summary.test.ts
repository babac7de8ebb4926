import assert from 'node:assert/strict';
import { buildSummaryCard, buildSummaryView, totalsBySeverity, MIN_ALERTS_PER_SCOPE } from '../../cards/summary';
import { MAX_CARD_CHARS, cardChars } from '../../cards/size';
import type { ActionPayload } from '../../cards/actions';
import { EXAMPLE_SCOPE, exampleAlerts, makeAlert, manyScopes, testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

const payloads = (card: unknown): ActionPayload[] => collectActions(card).map((a) => (a.data as { a: ActionPayload }).a);

describe('cards: summary', () => {
  const scope = EXAMPLE_SCOPE;
  const alerts = [
    makeAlert(scope, 'TooManyOwnersAssignedToResource'),
    makeAlert(scope, 'RolesActivatedTooFrequently'), // Low
    makeAlert(scope, 'AzureRolesAssignedOutsidePimAlert', { incidents: 2 }), // High
    makeAlert(scope, 'DuplicateRoleCreated'), // Medium
    makeAlert(scope, 'RolesWithoutMfaActivation'), // High
    makeAlert(scope, 'TooManyPermanentOwnersAssignedToResource', { active: false }),
  ];

  it('orders active alerts High first, then Medium, then Low, each by name, and leaves out inactive ones', () => {
    const vm = buildSummaryView({ scopes: [{ scope, alerts }] }, testContext());
    assert.deepEqual(
      vm.scopes[0]?.alerts.map((a) => `${a.severity} ${a.name}`),
      [
        "■■■ High Roles are being assigned outside of Privileged Identity Management",
        "■■■ High Roles don't require multi-factor authentication for activation",
        '■■□ Medium Duplicate role created',
        '■■□ Medium Too many owners assigned to a resource',
        '■□□ Low Roles are being activated too frequently',
      ],
    );
    assert.deepEqual(
      vm.scopes[0]?.alerts.map((a) => a.severityColor),
      ['attention', 'attention', 'accent', 'accent', 'default'],
    );
  });

  it('totals count active alerts by severity across readable scopes', () => {
    const other = makeAlert('subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', 'StaleSignInAlert'); // Medium
    const input = { scopes: [{ scope, alerts }, { scope: 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', alerts: [other] }, { scope: 'subscriptions/x', error: 'Forbidden.' }] };
    assert.deepEqual(totalsBySeverity(input.scopes), { High: 2, Medium: 3, Low: 1, Other: 0 });
    const vm = buildSummaryView(input, testContext());
    assert.deepEqual(vm.totals.map((t) => `${t.count} ${t.label}`), ['2 ■■■ High', '3 ■■□ Medium', '1 ■□□ Low']);
    assert.match(vm.fallbackText, /^6 active PIM alerts: 2 High, 3 Medium, 1 Low; 1 scope could not be read\.$/);
    assert.ok(vm.notes.some((n) => /leave out 1 scope/.test(n.text)));
  });

  it('shows each alert with incident count, last scan in the given time zone, and a Details button', () => {
    const vm = buildSummaryView({ scopes: [{ scope, displayName: 'Contoso Production', alerts: exampleAlerts() }] }, testContext({ timeZone: 'Europe/Berlin' }));
    const row = vm.scopes[0]?.alerts[0];
    // 18:25 UTC on 6 April is 20:25 in Berlin (CEST); "now" is 8 April 09:30 UTC.
    assert.equal(row?.meta, '1 incident · scanned 6 Apr 2022, 20:25 Europe/Berlin (39 h ago)');
    assert.deepEqual(row?.actions.map((a) => a.data), [
      { a: { verb: 'details', scope, alertId: 'TooManyOwnersAssignedToResource' } },
      { a: { verb: 'dismissConfirm', scope, alertId: 'TooManyOwnersAssignedToResource' } },
    ]);
    assert.equal(vm.scopes[0]?.title, 'Contoso Production');
    assert.equal(vm.scopes[0]?.id, `${scope} · Azure resource roles`);
  });

  it('shows a scope that failed as a one-sentence warning and an empty scope as "No active alerts"', () => {
    const card = buildSummaryCard(
      {
        scopes: [
          { scope: 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', displayName: 'Contoso Finance', error: 'The client does not have authorization. Trace: abc.' },
          { scope, alerts: [makeAlert(scope, 'DuplicateRoleCreated', { active: false })] },
        ],
      },
      testContext(),
    );
    const text = JSON.stringify(card);
    assert.ok(text.includes('Could not read Contoso Finance: The client does not have authorization.'));
    assert.ok(!text.includes('Trace: abc'));
    assert.ok(text.includes('"No active alerts"'));
    assertValidCard(card);
  });

  it('filters by severity but keeps the totals of every severity', () => {
    const vm = buildSummaryView({ scopes: [{ scope, alerts }], filter: { severity: 'High' } }, testContext());
    assert.deepEqual(vm.scopes[0]?.alerts.map((a) => a.severity), ['■■■ High', '■■■ High']);
    assert.equal(vm.totals.find((t) => t.label === '■■□ Medium')?.count, '2');
    const empty = buildSummaryView({ scopes: [{ scope, alerts: [makeAlert(scope, 'DuplicateRoleCreated')] }], filter: { severity: 'Low' } }, testContext());
    assert.equal(empty.scopes[0]?.emptyText, 'No active Low alerts');
    assert.equal(empty.scopes[0]?.showEmpty, true);
  });

  it('uses the injected actionData for every button, so signing plugs in without touching cards', () => {
    const signed = testContext({ actionData: (p) => ({ a: p, s: `sig-${p.verb}` }) });
    const card = buildSummaryCard({ scopes: [{ scope, alerts }] }, signed);
    const actions = collectActions(card);
    assert.ok(actions.length > 0);
    for (const a of actions) assert.equal((a.data as { s: string }).s, `sig-${String(a.verb)}`);
  });

  describe('scope buttons, banner and confirm step', () => {
    const finance = 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590';
    const dev = 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11';
    const three = () => [
      { scope, displayName: 'Contoso Production', alerts: exampleAlerts() },
      { scope: finance, displayName: 'Contoso Finance', error: 'The client does not have authorization.' },
      { scope: dev, displayName: 'Contoso Dev', alerts: [makeAlert(dev, 'DuplicateRoleCreated')] },
    ];

    it('puts a Refresh button next to the title of every scope that could be read', () => {
      const card = buildSummaryCard({ scopes: three() }, testContext());
      assertValidCard(card);
      assert.deepEqual(payloads(card), [
        { verb: 'refreshConfirm', scope },
        { verb: 'details', scope, alertId: 'TooManyOwnersAssignedToResource' },
        { verb: 'dismissConfirm', scope, alertId: 'TooManyOwnersAssignedToResource' },
        { verb: 'details', scope, alertId: 'TooManyPermanentOwnersAssignedToResource' },
        { verb: 'dismissConfirm', scope, alertId: 'TooManyPermanentOwnersAssignedToResource' },
        { verb: 'refreshConfirm', scope: dev },
        { verb: 'details', scope: dev, alertId: 'DuplicateRoleCreated' },
        { verb: 'dismissConfirm', scope: dev, alertId: 'DuplicateRoleCreated' },
      ]);
      // The button sits in the same row as the scope's title.
      const text = JSON.stringify(card);
      assert.match(text, /"text":"Contoso Dev","weight":"Bolder","wrap":true\}\]\},\{"type":"Column","width":"auto","items":\[\{"type":"ActionSet","actions":\[\{"type":"Action.Execute","title":"Refresh","verb":"refreshConfirm"/);
    });

    it('shows a status banner above the title', () => {
      const banner = { text: 'Refresh of all alerts on Contoso Production succeeded after 12 s', style: 'good' as const };
      const card = buildSummaryCard({ scopes: three().slice(0, 1), banner }, testContext());
      assertValidCard(card);
      assert.deepEqual(card.body[0], {
        type: 'Container',
        style: 'good',
        bleed: true,
        items: [{ type: 'TextBlock', text: banner.text, wrap: true, weight: 'Bolder' }],
      });
      const plain = buildSummaryView({ scopes: three() }, testContext());
      assert.equal(plain.hasBanner, false);
      assert.equal((buildSummaryCard({ scopes: three() }, testContext()).body[0] as { text?: string }).text, 'PIM alerts');
      const refreshing = buildSummaryView({ scopes: three(), banner: { text: 'Refreshing — started by Megan Bowen at 10:02' } }, testContext());
      assert.equal(refreshing.bannerStyle, 'accent');
    });

    it('in the confirm step offers only Confirm and Cancel, and Cancel names the scope', () => {
      const confirm = {
        question: 'Rescan every alert on Contoso Production now?',
        detail: 'A scan can take a few minutes; I will post the result in this thread.',
        confirm: { verb: 'refresh' as const, scope },
        confirmTitle: 'Refresh',
      };
      const card = buildSummaryCard({ scopes: three().slice(0, 1), confirm }, testContext());
      assertValidCard(card);
      assert.deepEqual(payloads(card), [confirm.confirm, { verb: 'cancel', scope }]);
      assert.deepEqual(collectActions(card).map((a) => [a.title, a.style]), [['Refresh', 'positive'], ['Cancel', 'default']]);
      const text = JSON.stringify(card);
      assert.ok(text.includes(confirm.question) && text.includes(confirm.detail));
      // The alerts are still listed, without their buttons.
      assert.ok(text.includes('Too many owners assigned to a resource'));

      const many = manyScopes(50, 300);
      const cut = buildSummaryView({ scopes: many, confirm: { ...confirm, confirm: { verb: 'refresh', scope: many[0]?.scope ?? '' } } }, testContext());
      assert.ok(cut.hasMoreScopes);
      assert.equal(cut.hasPaging, false);
      assert.ok(!cut.moreScopesText.includes('Next page'), cut.moreScopesText);
      assert.ok(cut.scopes.every((s) => !s.hasScopeActions && !s.hasMoreActions && s.alerts.every((a) => !a.hasActions)));
      assert.deepEqual(cut.confirmActions.map((a) => a.data), [{ a: { verb: 'refresh', scope: many[0]?.scope } }, { a: { verb: 'cancel', scope: many[0]?.scope } }]);
    });
  });

  describe('cutting to the size limit', () => {
    const big = manyScopes(50, 300);

    it('300 alerts over 50 scopes fit, with "and N more" lines and buttons that lead to the rest', () => {
      const card = buildSummaryCard({ scopes: big }, testContext());
      assert.ok(cardChars(card) <= MAX_CARD_CHARS, `card is ${cardChars(card)} chars`);
      assertValidCard(card);
      const vm = buildSummaryView({ scopes: big }, testContext());
      const shownScopes = vm.scopes.length;
      assert.ok(shownScopes >= 1 && shownScopes < 50);
      // Every shown scope has 6 alerts and shows at least MIN_ALERTS_PER_SCOPE of them.
      for (const s of vm.scopes) {
        assert.ok(s.alerts.length >= MIN_ALERTS_PER_SCOPE);
        assert.equal(s.alerts.length + s.moreCount, 6);
        assert.equal(s.moreText, `and ${s.moreCount} more alert${s.moreCount === 1 ? '' : 's'} — use \`alerts ${s.scope}\` to see them`);
      }
      assert.equal(vm.moreScopesCount, 50 - shownScopes);
      assert.match(vm.moreScopesText, new RegExp(`^and ${50 - shownScopes} more scopes with ${(50 - shownScopes) * 6} active alerts`));
      const text = JSON.stringify(card);
      assert.match(text, /and \d+ more alerts — use `alerts [^`]+` to see them/);
      const p = payloads(card);
      assert.ok(p.some((x) => x.verb === 'alerts' && x.scope === vm.scopes[0]?.scope && x.page === undefined));
      assert.ok(p.some((x) => x.verb === 'alerts' && x.scope === 'all' && x.page === 2));
    });

    it('a cut that is measured: the next bigger cut would be over the budget', () => {
      const full = buildSummaryCard({ scopes: big }, testContext());
      const tighter = buildSummaryCard({ scopes: big }, testContext(), { maxChars: cardChars(full) - 1 });
      // The cut is chosen by measuring: one character less budget cannot keep the same card.
      assert.ok(cardChars(tighter) <= cardChars(full) - 1, 'the tighter cut fits its budget');
      assert.notDeepEqual(tighter, full);
    });

    it('pages of scopes cover every scope exactly once, in order', () => {
      const seen: string[] = [];
      for (let page = 1; page <= 50; page++) {
        const vm = buildSummaryView({ scopes: big, page }, testContext());
        assert.equal(vm.page, page);
        seen.push(...vm.scopes.map((s) => s.scope));
        if (!vm.hasMoreScopes) break;
      }
      assert.deepEqual(seen, big.map((s) => s.scope));
    });

    it('one scope with many alerts pages its alerts, and the pages cover every alert once', () => {
      const many = Array.from({ length: 40 }, (_, i) => makeAlert(scope, i % 2 ? 'DuplicateRoleCreated' : 'TooManyOwnersAssignedToResource', { seed: i }))
        .map((a, i) => ({ ...a, name: `${a.name}-${i}` }));
      const input = { scopes: [{ scope, ref: '1', alerts: many }] };
      const seen: string[] = [];
      let pages = 0;
      for (let page = 1; page <= 40; page++) {
        const card = buildSummaryCard({ ...input, page }, testContext(), { maxChars: 8_000 });
        assert.ok(cardChars(card) <= 8_000);
        const vm = buildSummaryView({ ...input, page }, testContext(), { maxChars: 8_000 });
        seen.push(...(vm.scopes[0]?.alerts.map((a) => a.alertId) ?? []));
        pages++;
        if (!vm.hasMoreScopes) break;
        assert.match(vm.moreScopesText, /^and \d+ more alerts/);
        assert.ok(payloads(card).some((p) => p.verb === 'alerts' && p.scope === scope && p.page === page + 1));
      }
      assert.ok(pages > 1);
      assert.equal(seen.length, 40);
      assert.equal(new Set(seen).size, 40);
    });

    it('a page past the end shows the last page', () => {
      const vm = buildSummaryView({ scopes: big, page: 99 }, testContext());
      assert.equal(vm.hasMoreScopes, false);
      assert.ok(vm.page < 99);
      assert.equal(vm.scopes.at(-1)?.scope, big.at(-1)?.scope);
    });
  });
});
