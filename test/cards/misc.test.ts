import assert from 'node:assert/strict';
import { COMMANDS } from '../../bot/commands/catalog';
import type { ActionPayload } from '../../cards/actions';
import { buildConfigCard, buildConfigFormCard } from '../../cards/config';
import { buildDetailCard } from '../../cards/detail';
import { buildErrorCard, buildErrorView } from '../../cards/error';
import { buildSummaryCard } from '../../cards/summary';
import { buildHelpCard } from '../../cards/help';
import { buildScopesCard, buildScopesView } from '../../cards/scopes';
import { cardChars } from '../../cards/size';
import { EXAMPLE_SCOPE, exampleAlert, exampleAlerts, exampleConfigurations, makeAlert, manyScopes, testContext } from './data';
import { markdownFields, shownText } from './markdown';
import { assertValidCard, collectActions } from './validateCard';

const payloads = (card: unknown): ActionPayload[] => collectActions(card).map((a) => (a.data as { a: ActionPayload }).a);

describe('cards: error, help, scopes and the local-run footer', () => {
  describe('error', () => {
    it('says what went wrong in one sentence and what to do, with the ids support needs', () => {
      const retry: ActionPayload = { verb: 'refreshConfirm', scope: EXAMPLE_SCOPE, alertId: 'DuplicateRoleCreated' };
      const vm = buildErrorView(
        {
          message: 'Azure answered 403 to the refresh. The caller has no permission on the scope.',
          whatToDo: 'Ask an admin to give the bot a role on the scope.',
          code: 'AuthorizationFailed',
          requestId: 'c8f0e0a4-5b9c-4e4d-8a1e-0b6d2f8c9a10',
          retry,
          help: true,
        },
        testContext(),
      );
      assert.equal(vm.message, 'Azure answered 403 to the refresh.');
      assert.equal(vm.whatToDo, 'Ask an admin to give the bot a role on the scope.');
      assert.deepEqual(vm.details, [
        { title: 'Error code', value: 'AuthorizationFailed' },
        { title: 'Request id', value: 'c8f0e0a4-5b9c-4e4d-8a1e-0b6d2f8c9a10' },
        { title: 'Time', value: '8 Apr 2022, 09:30 UTC' },
      ]);
      const card = buildErrorCard(
        { message: 'Azure answered 403 to the refresh.', retry, help: true },
        testContext(),
      );
      assert.deepEqual(collectActions(card).map((a) => a.title), ['Try again', 'Help']);
      assert.deepEqual(payloads(card), [retry, { verb: 'help' }]);
    });

    it('has no buttons or details when none are given', () => {
      const card = buildErrorCard({ message: 'The bot could not read the alerts.' }, testContext());
      assertValidCard(card);
      assert.equal(collectActions(card).length, 0);
      assert.ok(!JSON.stringify(card).includes('FactSet'));
    });
  });

  describe('help', () => {
    it('lists every command of the catalog with usage, description and example', () => {
      const card = buildHelpCard({}, testContext());
      assertValidCard(card);
      // As a person reads it (test/cards/untrusted.test.ts checks that no <placeholder> is read as a tag).
      const text = JSON.stringify(markdownFields(card).map(shownText));
      for (const c of COMMANDS) {
        assert.ok(text.includes(JSON.stringify(c.usage)), c.usage);
        assert.ok(text.includes(JSON.stringify(c.description)), c.description);
        assert.ok(text.includes(JSON.stringify(`Example: ${c.example}`)), c.example);
      }
    });
  });

  describe('scopes', () => {
    it('numbers the scopes, counts active alerts and warns about unreadable ones', () => {
      const vm = buildScopesView(
        {
          scopes: [
            { scope: EXAMPLE_SCOPE, displayName: 'Contoso Production', alerts: [...exampleAlerts(), makeAlert(EXAMPLE_SCOPE, 'AzureRolesAssignedOutsidePimAlert'), makeAlert(EXAMPLE_SCOPE, 'DuplicateRoleCreated', { active: false })] },
            { scope: 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', displayName: 'Contoso Finance', error: 'The bot has no role on this subscription. Ask an admin.' },
            { scope: 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', activeAlertCount: 0 },
          ],
        },
        testContext(),
      );
      assert.deepEqual(
        vm.scopes.map((s) => [s.position, s.title, s.status, s.statusColor]),
        [
          ['1', 'Contoso Production', '3 active alerts (1 High, 2 Medium)', 'attention'],
          ['2', 'Contoso Finance', '⚠ The bot cannot read this scope: The bot has no role on this subscription.', 'attention'],
          ['3', 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', 'No active alerts', 'default'],
        ],
      );
      // Under each name: what to type, and which half of PIM the scope is.
      assert.deepEqual(vm.scopes.map((s) => s.showId), [true, true, true]);
      assert.equal(vm.scopes[2]?.id, 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11 · Azure resource roles');
      assert.deepEqual(vm.scopes.map((s) => s.actions.map((a) => (a.data as { a: ActionPayload }).a)), [
        [{ verb: 'alerts', scope: EXAMPLE_SCOPE }],
        [],
        [{ verb: 'alerts', scope: 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11' }],
      ]);
    });

    it('pages long lists under the budget and keeps positions across pages', () => {
      const scopes = manyScopes(40, 80);
      const positions: string[] = [];
      for (let page = 1; page <= 40; page++) {
        const card = buildScopesCard({ scopes, page }, testContext(), { maxChars: 6_000 });
        assert.ok(cardChars(card) <= 6_000);
        const vm = buildScopesView({ scopes, page }, testContext(), { maxChars: 6_000 });
        positions.push(...vm.scopes.map((s) => s.position));
        if (!vm.hasMore) break;
        assert.ok(payloads(card).some((p) => p.verb === 'scopes' && p.page === page + 1));
      }
      assert.deepEqual(positions, scopes.map((_, i) => String(i + 1)));
    });
  });

  it('every card shows the local-run note in its footer only when set', () => {
    const note = 'Local run: everyone may act';
    const local = testContext({ localRunNote: note });
    const configuration = exampleConfigurations()[1];
    assert.ok(configuration);
    const cards = [
      buildSummaryCard({ scopes: [{ scope: EXAMPLE_SCOPE, alerts: exampleAlerts() }] }, local),
      buildDetailCard({ alert: exampleAlert() }, local),
      buildErrorCard({ message: 'Failed.' }, local),
      buildHelpCard({}, local),
      buildScopesCard({ scopes: [] }, local),
      buildConfigCard({ configuration }, local),
      buildConfigFormCard({ configuration }, local),
    ];
    for (const card of cards) {
      const last = card.body.at(-1) as { text?: string };
      assert.equal(last.text, note);
      assertValidCard(card);
    }
    assert.ok(!JSON.stringify(buildHelpCard({}, testContext())).includes('Local run'));
    assert.ok(!JSON.stringify(buildDetailCard({ alert: exampleAlert() }, testContext())).includes('Local run'));
  });
});
