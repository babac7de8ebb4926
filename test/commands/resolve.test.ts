import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AlertDefinition } from '../../bot/azure/models';
import { editDistance, resolveAlert, resolveScope, words, type AlertChoice, type ScopeChoice } from '../../bot/commands/resolve';

// The four real PIM alert definitions, from the official GetAlertDefinitions example.
const definitions = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'arm', 'examples', 'GetAlertDefinitions.json'), 'utf8')) as {
    responses: { '200': { body: { value: AlertDefinition[] } } };
  }
).responses['200'].body.value;
const ALERTS: AlertChoice[] = definitions.map((d) => ({ id: d.name, displayName: d.properties.displayName }));

function alertId(name: string): string {
  const r = resolveAlert(name, ALERTS);
  if (!r.ok) assert.fail(`"${name}" did not resolve: ${r.message}`);
  return r.alertId;
}

describe('resolveAlert', () => {
  it('has the four real alerts to match against', () => {
    assert.deepEqual(ALERTS.map((a) => a.id).sort(), [
      'AzureRolesAssignedOutsidePimAlert',
      'DuplicateRoleCreated',
      'TooManyOwnersAssignedToResource',
      'TooManyPermanentOwnersAssignedToResource',
    ]);
  });

  it('matches the exact id in any case and the exact display name', () => {
    assert.equal(alertId('duplicaterolecreated'), 'DuplicateRoleCreated');
    assert.equal(alertId('TOOMANYOWNERSASSIGNEDTORESOURCE'), 'TooManyOwnersAssignedToResource');
    assert.equal(alertId('Roles are being assigned outside of Privileged Identity Management'), 'AzureRolesAssignedOutsidePimAlert');
    assert.equal(alertId('duplicate-role-created'), 'DuplicateRoleCreated');
  });

  it('prefers the exact display name over a longer name it is nearly part of', () => {
    assert.equal(alertId('too many owners assigned to a resource'), 'TooManyOwnersAssignedToResource');
    assert.equal(alertId('Too  many owners'), 'TooManyOwnersAssignedToResource');
  });

  it('matches unambiguous fragments', () => {
    assert.equal(alertId('duplicate'), 'DuplicateRoleCreated');
    assert.equal(alertId('permanent'), 'TooManyPermanentOwnersAssignedToResource');
    assert.equal(alertId('outside'), 'AzureRolesAssignedOutsidePimAlert');
    assert.equal(alertId('PIM'), 'AzureRolesAssignedOutsidePimAlert');
    // Word beginnings in any order.
    assert.equal(alertId('owners perm'), 'TooManyPermanentOwnersAssignedToResource');
    assert.equal(alertId('dup role'), 'DuplicateRoleCreated');
  });

  it('says "owners" is ambiguous and names both owner alerts', () => {
    const r = resolveAlert('owners', ALERTS);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, 'Ambiguous');
    assert.deepEqual([...r.candidates].sort(), ['TooManyOwnersAssignedToResource', 'TooManyPermanentOwnersAssignedToResource']);
    assert.match(r.message, /TooManyPermanentOwnersAssignedToResource/);
    assert.match(r.message, /TooManyOwnersAssignedToResource/);
    assert.match(r.message, /type more of the name/);
  });

  it('offers near misses for typos and says to list the alerts otherwise', () => {
    const typo = resolveAlert('dupliate', ALERTS);
    assert.ok(!typo.ok);
    assert.equal(typo.code, 'NotFound');
    assert.deepEqual(typo.candidates, ['DuplicateRoleCreated']);
    assert.match(typo.message, /did you mean DuplicateRoleCreated\?/);

    const none = resolveAlert('banana', ALERTS);
    assert.ok(!none.ok);
    assert.equal(none.code, 'NotFound');
    assert.deepEqual(none.candidates, []);
    assert.match(none.message, /type "alerts"/);
  });

  it('does not guess from one or two letters', () => {
    const r = resolveAlert('to', ALERTS);
    assert.ok(!r.ok);
    assert.equal(r.code, 'NotFound');
    assert.match(r.message, /too short/);
    assert.equal(resolveAlert('', ALERTS).ok, false);
  });

  it('works for alerts without a display name', () => {
    assert.equal(resolveAlert('created', [{ id: 'DuplicateRoleCreated' }]).ok, true);
  });
});

const SCOPES: ScopeChoice[] = [
  { scope: '/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f', displayName: 'Contoso Prod' },
  { scope: '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', displayName: 'Contoso Dev' },
  { scope: '/providers/Microsoft.Management/managementGroups/fabrikam-root', displayName: 'Fabrikam' },
  { scope: '/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f/resourceGroups/rg-payments' },
];

function scopeOf(ref: string) {
  const r = resolveScope(ref, SCOPES);
  if (!r.ok) assert.fail(`"${ref}" did not resolve: ${r.message}`);
  return r;
}

describe('resolveScope', () => {
  it('finds a scope by its position as listed by "scopes"', () => {
    assert.deepEqual(scopeOf('1'), { ok: true, scope: SCOPES[0]!.scope, position: 1 });
    assert.equal(scopeOf('4').scope, SCOPES[3]!.scope);
    const r = resolveScope('5', SCOPES);
    assert.ok(!r.ok);
    assert.equal(r.code, 'NotFound');
    assert.match(r.message, /no scope number 5 \(there are 4 scopes\): type "scopes"/);
    const zero = resolveScope('0', SCOPES);
    assert.ok(!zero.ok);
    assert.equal(resolveScope('1', []).ok, false);
  });

  it('finds a scope by id with or without the leading slash, in any case', () => {
    assert.equal(scopeOf('subscriptions/AFA2A084-766F-4003-8AE1-C4AEB893A99F').position, 1);
    assert.equal(scopeOf('/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f/').position, 1);
    assert.equal(scopeOf('providers/microsoft.management/managementgroups/FABRIKAM-ROOT').position, 3);
    assert.equal(scopeOf('/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f/resourceGroups/rg-payments').position, 4);
    assert.equal(scopeOf('0b1f6471-1bf0-4dda-aec3-cb9272f09590').position, 2, 'a bare subscription id');
    const r = resolveScope('/subscriptions/00000000-0000-0000-0000-000000000000', SCOPES);
    assert.ok(!r.ok);
    assert.match(r.message, /is not configured for this bot: type "scopes"/);
  });

  it('finds a scope by display name, then by an unambiguous fragment', () => {
    assert.equal(scopeOf('contoso prod').position, 1);
    assert.equal(scopeOf('fabrikam').position, 3);
    assert.equal(scopeOf('prod').position, 1);
    assert.equal(scopeOf('payments').position, 4, 'last segment of a scope without display name');
  });

  it('says a fragment is ambiguous, names the scopes and points to "scopes"', () => {
    const r = resolveScope('contoso', SCOPES);
    assert.ok(!r.ok);
    assert.equal(r.code, 'Ambiguous');
    assert.deepEqual(r.candidates, [SCOPES[0]!.scope, SCOPES[1]!.scope]);
    assert.match(r.message, /Contoso Prod \(\/subscriptions\/afa2a084/);
    assert.match(r.message, /Contoso Dev/);
    assert.match(r.message, /"scopes"/);
  });

  it('says nothing matched and points to "scopes"', () => {
    const r = resolveScope('Northwind', SCOPES);
    assert.ok(!r.ok);
    assert.equal(r.code, 'NotFound');
    assert.match(r.message, /type "scopes" to see the list/);
    const typo = resolveScope('Fabrikan', SCOPES);
    assert.ok(!typo.ok);
    assert.deepEqual(typo.candidates, [SCOPES[2]!.scope]);
  });
});

describe('resolve helpers', () => {
  it('counts a swap of two letters as one edit', () => {
    assert.equal(editDistance('alrets', 'alerts'), 1);
    assert.equal(editDistance('dimiss', 'dismiss'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('splits PascalCase ids into words', () => {
    assert.deepEqual(words('AzureRolesAssignedOutsidePimAlert'), ['azure', 'roles', 'assigned', 'outside', 'pim', 'alert']);
    assert.deepEqual(words('Too many owners, assigned'), ['too', 'many', 'owners', 'assigned']);
  });
});
