import assert from 'node:assert/strict';
import { buildWhoamiCard, buildWhoamiView } from '../../cards/whoami';
import { MAX_CARD_CHARS, cardChars } from '../../cards/size';
import { MEGAN, decidedScopes } from './accessData';
import { EXAMPLE_SCOPE, testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

describe('cards: whoami', () => {
  it('says who you are, how rbac mode decides, and your right on each scope with its reason', () => {
    const scopes = [
      { scope: EXAMPLE_SCOPE, displayName: 'Contoso Production', allowed: true, reason: `Allowed: Owner at ${EXAMPLE_SCOPE}.` },
      {
        scope: 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590',
        allowed: false,
        reason: 'You need Owner or User Access Administrator on subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590; you have Reader there.',
      },
    ];
    const vm = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes }, testContext());
    assert.deepEqual(vm.facts, [
      { title: 'Name', value: 'Megan Bowen' },
      { title: 'Object id', value: '7faf8ab2-3d56-4244-b585-20c8a42ed2b8' },
    ]);
    assert.match(vm.rulesText, /on an Azure scope, Owner or User Access Administrator \(roleAssignments\/write\) on the scope or above, unless a deny assignment there blocks it for you; on the Entra ID directory, an active Privileged Role Administrator or Global Administrator assignment, direct or through a group/);
    assert.equal(vm.intro, 'You may act on 1 of 2 configured scopes; on the others you can read alerts only.');
    assert.deepEqual(
      vm.scopes.map((s) => [s.title, s.showId, s.status, s.statusColor, s.reason]),
      [
        ['Contoso Production', true, '✔ May act', 'accent', `Allowed: Owner at ${EXAMPLE_SCOPE}.`],
        ['subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', true, '✖ Read only', 'default', scopes[1]?.reason],
      ],
    );
    const card = buildWhoamiCard({ ...MEGAN, mode: 'rbac', scopes }, testContext());
    assertValidCard(card);
    assert.equal(collectActions(card).length, 0);
    assert.equal(card.fallbackText, 'You are Megan Bowen. You may act on 1 of 2 configured scopes; on the others you can read alerts only.');
    const text = JSON.stringify(card);
    assert.ok(text.includes('Contoso Production') && text.includes(EXAMPLE_SCOPE));
  });

  it('names the rule of each mode and says when Teams did not send a name or object id', () => {
    const one = [{ scope: EXAMPLE_SCOPE, allowed: true, reason: 'Allowed: you are listed in PIM_OPERATORS.' }];
    const allow = buildWhoamiView({ ...MEGAN, mode: 'allowlist', scopes: one }, testContext());
    assert.match(allow.rulesText, /the operator list PIM_OPERATORS/);
    assert.equal(allow.intro, 'You may act on the configured scope.');
    const everyone = buildWhoamiView({ mode: 'everyone', scopes: one }, testContext({ localRunNote: 'Local run: everyone may act' }));
    assert.match(everyone.rulesText, /^Local run: everyone/);
    assert.deepEqual(everyone.facts.map((f) => f.value), ['not sent by Teams', 'not sent by Teams']);
    assert.equal(everyone.fallbackText.startsWith('You are an unknown person.'), true);
    assert.equal(everyone.hasLocalRunNote, true);
    const none = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes: decidedScopes(3).map((s) => ({ ...s, allowed: false })) }, testContext());
    assert.equal(none.intro, 'You can read alerts on all 3 configured scopes but act on none.');
  });

  it('calls out a scope where a deny assignment outweighs the role', () => {
    const scopes = [
      {
        scope: `${EXAMPLE_SCOPE}/resourceGroups/rg-payments-prod`,
        displayName: 'Payments',
        allowed: false,
        reason: 'The deny assignment "payments-platform" at the resource group blocks this for you, and a deny outweighs your Owner role.',
        deniedBy: { name: 'payments-platform', scope: `${EXAMPLE_SCOPE}/resourceGroups/rg-payments-prod` },
      },
    ];
    const vm = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes }, testContext());
    assert.deepEqual([vm.scopes[0]?.status, vm.scopes[0]?.statusColor], ['⛔ Denied', 'attention']);
    assert.match(vm.scopes[0]?.reason ?? '', /deny outweighs your Owner role/);
    assert.match(vm.rulesText, /unless a deny assignment there blocks it for you/);
    assertValidCard(buildWhoamiCard({ ...MEGAN, mode: 'rbac', scopes }, testContext()));
  });

  it('says so when no scopes are configured', () => {
    const card = buildWhoamiCard({ ...MEGAN, mode: 'rbac', scopes: [] }, testContext());
    assertValidCard(card);
    const vm = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes: [] }, testContext());
    assert.equal(vm.showEmpty, true);
    assert.equal(vm.scopes.length, 0);
    assert.ok(JSON.stringify(card).includes('No scopes are configured yet'));
  });

  it('cuts 200 scopes to the size limit and counts the rights of the scopes left out', () => {
    const scopes = decidedScopes(200);
    const card = buildWhoamiCard({ ...MEGAN, mode: 'rbac', scopes }, testContext());
    assert.ok(cardChars(card) <= MAX_CARD_CHARS, `card is ${cardChars(card)} chars`);
    assertValidCard(card);
    const vm = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes }, testContext());
    const shown = vm.scopes.length;
    assert.ok(shown > 10 && shown < 200, `shows ${shown}`);
    assert.deepEqual(vm.scopes.map((s) => s.scope), scopes.slice(0, shown).map((s) => s.scope));
    const hidden = scopes.slice(shown);
    const hiddenAllowed = hidden.filter((s) => s.allowed).length;
    assert.ok(hiddenAllowed > 0 && hiddenAllowed < hidden.length);
    assert.equal(vm.moreText, `and ${hidden.length} more scopes (${hiddenAllowed} where you may act, ${hidden.length - hiddenAllowed} read only)`);
    assert.equal(vm.intro, `You may act on ${scopes.filter((s) => s.allowed).length} of 200 configured scopes; on the others you can read alerts only.`);
    // Measured: one character less budget shows fewer scopes.
    const tighter = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes }, testContext(), { maxChars: cardChars(card) - 1 });
    assert.ok(tighter.scopes.length < shown);
  });

  it('caps a long reason and still shows one scope when even that is over a tiny budget', () => {
    const scopes = [{ scope: EXAMPLE_SCOPE, allowed: false, reason: 'You need Owner. '.repeat(100) }, ...decidedScopes(2)];
    const vm = buildWhoamiView({ ...MEGAN, mode: 'rbac', scopes }, testContext(), { maxChars: 500 });
    assert.equal(vm.scopes.length, 1);
    assert.ok((vm.scopes[0]?.reason.length ?? 0) <= 300);
    assert.ok(vm.scopes[0]?.reason.endsWith('…'));
    assert.match(vm.moreText, /^and 2 more scopes/);
  });
});
