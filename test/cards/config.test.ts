import assert from 'node:assert/strict';
import type { AlertConfiguration } from '../../bot/azure/models';
import type { ActionPayload } from '../../cards/actions';
import { buildConfigCard, buildConfigFormCard, buildConfigFormView, buildConfigView, parseConfigForm } from '../../cards/config';
import { EXAMPLE_SCOPE, exampleConfigurations, exampleDefinitions, testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

const byName = (name: string): AlertConfiguration => {
  const c = exampleConfigurations().find((x) => x.name === name);
  if (!c) throw new Error(name);
  return c;
};
const def = (name: string) => exampleDefinitions().find((d) => d.name === name);
const payloads = (card: unknown): ActionPayload[] => collectActions(card).map((a) => (a.data as { a: ActionPayload }).a);
/** Every input element of a card: [type, id, extra] */
function inputs(card: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (typeof o.type === 'string' && o.type.startsWith('Input.')) out.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

describe('cards: configuration', () => {
  it('shows the thresholds of TooManyPermanentOwners and a Change button when configurable', () => {
    const configuration = byName('TooManyPermanentOwnersAssignedToResource');
    const vm = buildConfigView({ configuration, definition: def(configuration.name) }, testContext());
    assert.equal(vm.title, 'Configuration: Too many permanent owners assigned to a resource');
    assert.deepEqual(vm.facts, [
      { title: 'Enabled', value: 'Yes' },
      { title: 'Permanent owner count threshold', value: '10' },
      { title: 'Permanent owner percentage threshold (% of all owners)', value: '10%' },
    ]);
    assert.deepEqual(payloads(buildConfigCard({ configuration, definition: def(configuration.name) }, testContext())), [
      { verb: 'configure', scope: EXAMPLE_SCOPE, alertId: 'TooManyPermanentOwnersAssignedToResource' },
    ]);
  });

  it('has no Change button when the definition is not configurable, or the kind is unknown', () => {
    const dup = byName('DuplicateRoleCreated');
    const vm = buildConfigView({ configuration: dup, definition: def('DuplicateRoleCreated') }, testContext());
    assert.deepEqual(vm.facts, [{ title: 'Enabled', value: 'Yes' }]);
    assert.equal(vm.hasActions, false);
    assert.match(vm.note, /does not allow changing/);

    const unknown: AlertConfiguration = {
      id: `/${EXAMPLE_SCOPE}/providers/Microsoft.Authorization/roleManagementAlertConfigurations/StaleSignInAlert`,
      name: 'StaleSignInAlert',
      type: 'Microsoft.Authorization/roleManagementAlertConfigurations',
      properties: { alertConfigurationType: 'StaleSignInAlertConfiguration', alertDefinitionId: 'StaleSignInAlert', scope: EXAMPLE_SCOPE, isEnabled: false, thresholdDays: 90 },
    };
    const u = buildConfigView({ configuration: unknown }, testContext());
    assert.deepEqual(u.facts, [
      { title: 'Enabled', value: 'No' },
      { title: 'Kind', value: 'StaleSignInAlertConfiguration' },
      { title: 'Threshold days', value: '90' },
    ]);
    assert.equal(u.hasActions, false);
    assert.match(u.note, /does not know this kind/);
  });

  it('builds the form of TooManyOwners: a toggle and two number inputs with ranges, Save and Cancel', () => {
    const configuration = byName('TooManyOwnersAssignedToResource');
    const card = buildConfigFormCard({ configuration, definition: def(configuration.name) }, testContext());
    assertValidCard(card);
    const found = inputs(card);
    assert.deepEqual(
      found.map((i) => [i.type, i.id, i.value, i.min, i.max, i.isRequired]),
      [
        ['Input.Toggle', 'isEnabled', 'true', undefined, undefined, undefined],
        ['Input.Number', 'thresholdNumberOfOwners', 2, 1, 10000, true],
        ['Input.Number', 'thresholdPercentageOfOwnersOutOfAllRoleMembers', 3, 0, 100, true],
      ],
    );
    for (const i of found.slice(1)) {
      assert.ok(typeof i.label === 'string' && i.label.length > 0);
      assert.match(String(i.errorMessage), /^Enter a whole number/);
    }
    const actions = collectActions(card);
    assert.deepEqual(actions.map((a) => [a.title, a.verb, a.associatedInputs]), [
      ['Save', 'configureSubmit', 'auto'],
      ['Cancel', 'cancel', 'none'],
    ]);
  });

  it('builds forms with only the toggle for kinds without thresholds', () => {
    for (const name of ['DuplicateRoleCreated', 'AzureRolesAssignedOutsidePimAlert']) {
      const found = inputs(buildConfigFormCard({ configuration: byName(name) }, testContext()));
      assert.deepEqual(found.map((i) => i.id), ['isEnabled'], name);
    }
  });

  it('shows the refused submission again with its error', () => {
    const configuration = byName('TooManyPermanentOwnersAssignedToResource');
    const vm = buildConfigFormView(
      { configuration, formError: 'Permanent owner count threshold must be a whole number of at least 1. More.', values: { isEnabled: 'false', thresholdNumberOfPermanentOwners: '0' } },
      testContext(),
    );
    assert.equal(vm.formError, 'Permanent owner count threshold must be a whole number of at least 1.');
    assert.equal(vm.toggle.value, 'false');
    assert.deepEqual(vm.numbers.map((n) => n.value), [0, 10]);
  });

  describe('parseConfigForm', () => {
    it('reads the strings Teams sends into the update body of the kind', () => {
      assert.deepEqual(
        parseConfigForm('TooManyOwnersAssignedToResourceAlertConfiguration', {
          a: { verb: 'configureSubmit' },
          isEnabled: 'true',
          thresholdNumberOfOwners: '5',
          thresholdPercentageOfOwnersOutOfAllRoleMembers: '40',
        }),
        { ok: true, update: { alertConfigurationType: 'TooManyOwnersAssignedToResourceAlertConfiguration', isEnabled: true, thresholdNumberOfOwners: 5, thresholdPercentageOfOwnersOutOfAllRoleMembers: 40 } },
      );
      assert.deepEqual(parseConfigForm('DuplicateRoleCreatedAlertConfiguration', { isEnabled: 'false' }), {
        ok: true,
        update: { alertConfigurationType: 'DuplicateRoleCreatedAlertConfiguration', isEnabled: false },
      });
    });

    it('refuses values out of range, fractions, missing values and unknown kinds with one sentence', () => {
      const kind = 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration';
      const base = { isEnabled: 'true', thresholdNumberOfPermanentOwners: '3', thresholdPercentageOfPermanentOwnersOutOfAllOwners: '50' };
      const err = (r: ReturnType<typeof parseConfigForm>) => (r.ok ? '' : r.error);
      assert.match(err(parseConfigForm(kind, { ...base, thresholdNumberOfPermanentOwners: '0' })), /^Permanent owner count threshold must be a whole number from 1 to 10000/);
      assert.match(err(parseConfigForm(kind, { ...base, thresholdPercentageOfPermanentOwnersOutOfAllOwners: '101' })), /from 0 to 100/);
      assert.match(err(parseConfigForm(kind, { ...base, thresholdNumberOfPermanentOwners: '2.5' })), /whole number/);
      assert.match(err(parseConfigForm(kind, { ...base, thresholdNumberOfPermanentOwners: '' })), /whole number/);
      assert.match(err(parseConfigForm(kind, { thresholdNumberOfPermanentOwners: '3' })), /did not say whether the alert is enabled/);
      assert.match(err(parseConfigForm('StaleSignInAlertConfiguration', { isEnabled: 'true' })), /cannot change this kind/);
    });
  });
});
