import assert from 'node:assert/strict';
import type { AlertConfiguration } from '../../bot/azure/models';
import type { ActionPayload } from '../../cards/actions';
import { buildConfigCard, buildConfigFormCard, buildConfigFormView, buildConfigView, describeConfigChange, parseConfigForm } from '../../cards/config';
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
      { verb: 'configure', scope: EXAMPLE_SCOPE, alertId: 'TooManyPermanentOwnersAssignedToResource', from: 'config' },
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

  it('builds the form of TooManyOwners: each field with its unit and range, no client-side limits, Save and Cancel', () => {
    const configuration = byName('TooManyOwnersAssignedToResource');
    const card = buildConfigFormCard({ configuration, definition: def(configuration.name) }, testContext());
    assertValidCard(card);
    const found = inputs(card);
    assert.deepEqual(
      found.map((i) => [i.type, i.id, i.label, i.value]),
      [
        ['Input.Toggle', 'isEnabled', 'Alert enabled', 'true'],
        ['Input.Text', 'thresholdNumberOfOwners', 'Owner count threshold (owners, 1 to 10000)', '2'],
        ['Input.Text', 'thresholdPercentageOfOwnersOutOfAllRoleMembers', 'Owner percentage threshold (% of all role members, 0 to 100)', '3'],
      ],
    );
    // A client that clamps or blocks a value would hide the mistake from the person: the bot checks.
    for (const i of found) for (const limit of ['min', 'max', 'isRequired', 'regex', 'maxLength']) assert.equal(i[limit], undefined, `${String(i.id)}.${limit}`);
    const actions = collectActions(card);
    assert.deepEqual(actions.map((a) => [a.title, a.verb, a.associatedInputs]), [
      ['Save', 'configureSubmit', 'auto'],
      ['Cancel', 'cancel', 'none'],
    ]);
    assert.deepEqual(payloads(card)[1], { verb: 'cancel', scope: EXAMPLE_SCOPE, alertId: 'TooManyOwnersAssignedToResource' });
    const fromConfig = buildConfigFormCard({ configuration, from: 'config' }, testContext());
    assert.deepEqual(payloads(fromConfig).map((p) => 'from' in p && p.from), ['config', 'config'], 'Save and Cancel remember the form came from the config card');
  });

  it('builds forms with only the toggle for kinds without thresholds', () => {
    for (const name of ['DuplicateRoleCreated', 'AzureRolesAssignedOutsidePimAlert']) {
      const found = inputs(buildConfigFormCard({ configuration: byName(name) }, testContext()));
      assert.deepEqual(found.map((i) => i.id), ['isEnabled'], name);
    }
  });

  it('shows the refused submission again as typed, each message under its field', () => {
    const configuration = byName('TooManyPermanentOwnersAssignedToResource');
    const values = { isEnabled: 'false', thresholdNumberOfPermanentOwners: '2.5', thresholdPercentageOfPermanentOwnersOutOfAllOwners: '40' };
    const parsed = parseConfigForm(configuration.properties.alertConfigurationType, values);
    assert.ok(!parsed.ok);
    const card = buildConfigFormCard({ configuration, formError: parsed.error, fieldErrors: parsed.fieldErrors, values }, testContext());
    assertValidCard(card);
    const vm = buildConfigFormView({ configuration, formError: parsed.error, fieldErrors: parsed.fieldErrors, values }, testContext());
    assert.equal(vm.formError, 'Nothing was saved: correct Permanent owner count threshold and save again.');
    assert.equal(vm.toggle.value, 'false');
    assert.deepEqual(
      vm.fields.map((f) => [f.value, f.errorText]),
      [
        ['2.5', '"2.5" is not a whole number: enter a whole number of permanent owners from 1 to 10000.'],
        ['40', ''],
      ],
    );
    // The message is the element right after its input.
    const text = JSON.stringify(card);
    assert.ok(text.indexOf('"id":"thresholdNumberOfPermanentOwners"') < text.indexOf('is not a whole number'));
    assert.ok(text.indexOf('is not a whole number') < text.indexOf('"id":"thresholdPercentageOfPermanentOwnersOutOfAllOwners"'));
  });

  it('says for the audit log what a saved form changed, from what to what, as the card shows values', () => {
    const owners = byName('TooManyOwnersAssignedToResource');
    const kind = owners.properties.alertConfigurationType;
    const parsed = parseConfigForm(kind, { isEnabled: 'false', thresholdNumberOfOwners: '5', thresholdPercentageOfOwnersOutOfAllRoleMembers: '40' });
    assert.ok(parsed.ok);
    assert.equal(
      describeConfigChange(owners, parsed.update),
      'Changed Enabled from Yes to No, Owner count threshold from 2 to 5 and Owner percentage threshold (% of all role members) from 3% to 40%.',
    );
    const same = parseConfigForm(kind, { isEnabled: 'true', thresholdNumberOfOwners: '2', thresholdPercentageOfOwnersOutOfAllRoleMembers: '3' });
    assert.ok(same.ok);
    assert.equal(describeConfigChange(owners, same.update), 'Saved with no change.');
    // A directory duration: sent as ISO 8601, said in days.
    const stale = { ...owners, name: 'stale', properties: { alertConfigurationType: 'staleSignInAlertConfiguration', isEnabled: true, duration: 'P30D' } } as unknown as AlertConfiguration;
    const longer = parseConfigForm('staleSignInAlertConfiguration', { isEnabled: 'true', duration: '45' });
    assert.ok(longer.ok);
    assert.equal(describeConfigChange(stale, longer.update), 'Changed Time without sign-in from 30 days to 45 days.');
    for (const text of [describeConfigChange(owners, parsed.update), describeConfigChange(stale, longer.update)]) assert.doesNotMatch(text, /[{}"]|alertConfigurationType|P45D/);
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

    it('refuses values out of range, fractions, empty and missing values and unknown kinds, field by field', () => {
      const kind = 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration';
      const count = 'thresholdNumberOfPermanentOwners';
      const percent = 'thresholdPercentageOfPermanentOwnersOutOfAllOwners';
      const base = { isEnabled: 'true', [count]: '3', [percent]: '50' };
      const fieldError = (values: Record<string, unknown>, key: string) => {
        const r = parseConfigForm(kind, values);
        return r.ok ? '' : (r.fieldErrors[key] ?? '');
      };
      assert.equal(fieldError({ ...base, [count]: '0' }, count), '0 is out of range: enter a whole number of permanent owners from 1 to 10000.');
      assert.equal(fieldError({ ...base, [count]: '10001' }, count), '10001 is out of range: enter a whole number of permanent owners from 1 to 10000.');
      assert.equal(fieldError({ ...base, [percent]: '101' }, percent), '101 is out of range: enter a whole percentage from 0 to 100.');
      assert.equal(fieldError({ ...base, [percent]: '-1' }, percent), '-1 is out of range: enter a whole percentage from 0 to 100.');
      assert.equal(fieldError({ ...base, [count]: '2.5' }, count), '"2.5" is not a whole number: enter a whole number of permanent owners from 1 to 10000.');
      assert.equal(fieldError({ ...base, [count]: '1e3' }, count), '"1e3" is not a whole number: enter a whole number of permanent owners from 1 to 10000.');
      assert.equal(fieldError({ ...base, [count]: '' }, count), 'Enter a whole number of permanent owners from 1 to 10000; the field is empty.');
      assert.equal(fieldError({ ...base, [count]: undefined }, count), 'Enter a whole number of permanent owners from 1 to 10000; the field is empty.');
      const both = parseConfigForm(kind, { ...base, [count]: 'x', [percent]: '300' });
      assert.ok(!both.ok);
      assert.deepEqual(Object.keys(both.fieldErrors), [count, percent], 'every refused field is named, not only the first');
      assert.equal(both.error, 'Nothing was saved: correct Permanent owner count threshold and Permanent owner percentage threshold (% of all owners) and save again.');
      assert.deepEqual(parseConfigForm(kind, { ...base, [count]: ' 7 ', [percent]: '10.0' }), {
        ok: true,
        update: { alertConfigurationType: kind, isEnabled: true, [count]: 7, [percent]: 10 },
      });
      const err = (r: ReturnType<typeof parseConfigForm>) => (r.ok ? '' : r.error);
      assert.match(err(parseConfigForm(kind, { [count]: '3' })), /did not say whether the alert is enabled/);
      assert.match(err(parseConfigForm('StaleSignInAlertConfiguration', { isEnabled: 'true' })), /cannot change this kind/);
    });
  });
});
