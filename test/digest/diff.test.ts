import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Alert, AlertDefinition, AlertIncident } from '../../bot/azure/models';
import { MAX_SNAPSHOT_CHARS, boundSnapshot, diffSnapshots, parseSnapshot, shouldSend, snapshotOf, type DigestSnapshot } from '../../bot/digest/diff';
import { MAX_JSON_CHARS } from '../../bot/store/table';

const EXAMPLES = path.join(__dirname, '..', 'fixtures', 'arm', 'examples');
const SCOPE = 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f';
const OTHER_SCOPE = 'subscriptions/0c7ac5a3-2bd3-4a4c-9b1f-2d1b1b4e2f11/resourceGroups/prod-rg';

function body<T>(file: string): T {
  return (JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as { responses: { '200': { body: T } } }).responses['200'].body;
}

/** The two Medium alerts of the official GetAlerts example, one incident each. */
const exampleAlerts = (): Alert[] => body<{ value: Alert[] }>('GetAlerts.json').value;

/** A High alert built from the official definition of "roles assigned outside PIM". */
function outsidePimAlert(scope: string, incidentIds: string[]): Alert {
  const definition = body<{ value: AlertDefinition[] }>('GetAlertDefinitions.json').value.find((d) => d.name === 'AzureRolesAssignedOutsidePimAlert')!;
  const incidents: AlertIncident[] = incidentIds.map((id) => ({
    id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/AzureRolesAssignedOutsidePimAlert/alertIncidents/${id}`,
    name: id,
    type: 'Microsoft.Authorization/roleManagementAlerts/alertIncidents',
    properties: {
      alertIncidentType: 'AzureRolesAssignedOutsidePimAlertIncident',
      assigneeDisplayName: 'Ada Admin',
      assigneeUserPrincipalName: 'ada@contoso.com',
      roleDisplayName: 'Owner',
    },
  }));
  return {
    id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/AzureRolesAssignedOutsidePimAlert`,
    name: 'AzureRolesAssignedOutsidePimAlert',
    type: 'Microsoft.Authorization/roleManagementAlerts',
    properties: {
      scope,
      isActive: true,
      incidentCount: incidents.length,
      lastScannedDateTime: '2022-04-06T18:25:00.38+00:00',
      alertDefinition: definition,
      alertIncidents: incidents,
    },
  };
}

function withIncidents(alert: Alert, ids: string[]): Alert {
  const template = alert.properties.alertIncidents![0]!;
  return {
    ...alert,
    properties: {
      ...alert.properties,
      incidentCount: ids.length,
      alertIncidents: ids.map((id) => ({ ...template, name: id, id: template.id.replace(template.name, id) })),
    },
  };
}

const dismissed = (alert: Alert): Alert => ({ ...alert, properties: { ...alert.properties, isActive: false } });

describe('digest change detection', () => {
  const [permanentOwners, owners] = exampleAlerts() as [Alert, Alert];
  const baseline = snapshotOf([{ scope: SCOPE, alerts: [permanentOwners, owners] }]);

  it('sends the first digest of a subscription and marks nothing new', () => {
    const diff = diffSnapshots(undefined, baseline);
    assert.equal(diff.first, true);
    assert.deepEqual(diff.newAlerts, []);
    assert.deepEqual(diff.newIncidents, []);
    assert.equal(shouldSend('changes', diff, true), true);
    // Even an all-clear first digest goes out: it confirms the subscription works.
    assert.equal(shouldSend('changes', diffSnapshots(undefined, snapshotOf([{ scope: SCOPE, alerts: [] }])), false), true);
  });

  it('reports an alert that became active as new', () => {
    const current = snapshotOf([{ scope: SCOPE, alerts: [permanentOwners, owners, outsidePimAlert(SCOPE, ['inc-1'])] }]);
    const diff = diffSnapshots(baseline, current);
    assert.deepEqual(diff.newAlerts, [{ scope: SCOPE, alertId: 'AzureRolesAssignedOutsidePimAlert' }]);
    // Its incident is told by the alert line, not repeated as a new incident.
    assert.deepEqual(diff.newIncidents, []);
    assert.equal(diff.changed, true);
    assert.equal(shouldSend('changes', diff, true), true);
  });

  it('reports a new incident under an alert that was already active', () => {
    const current = snapshotOf([{ scope: SCOPE, alerts: [permanentOwners, withIncidents(owners, ['a9f38501-74ec-43ea-8663-6c538602150d', '5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc'])] }]);
    const diff = diffSnapshots(baseline, current);
    assert.deepEqual(diff.newAlerts, []);
    assert.deepEqual(diff.newIncidents, [
      { scope: SCOPE, alertId: 'TooManyOwnersAssignedToResource', incidentId: '5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc' },
    ]);
    assert.equal(shouldSend('changes', diff, true), true);
  });

  it('reports a dismissed alert as resolved', () => {
    const current = snapshotOf([{ scope: SCOPE, alerts: [permanentOwners, dismissed(owners)] }]);
    const diff = diffSnapshots(baseline, current);
    assert.deepEqual(diff.resolvedAlerts, [{ scope: SCOPE, alertId: 'TooManyOwnersAssignedToResource' }]);
    assert.deepEqual(diff.resolvedIncidents, []);
    assert.equal(diff.changed, true);
  });

  it('reports a remediated incident as resolved while its alert stays active', () => {
    const before = snapshotOf([{ scope: SCOPE, alerts: [withIncidents(owners, ['inc-a', 'inc-b'])] }]);
    const after = snapshotOf([{ scope: SCOPE, alerts: [withIncidents(owners, ['inc-b'])] }]);
    const diff = diffSnapshots(before, after);
    assert.deepEqual(diff.resolvedIncidents, [{ scope: SCOPE, alertId: 'TooManyOwnersAssignedToResource', incidentId: 'inc-a' }]);
    assert.deepEqual(diff.resolvedAlerts, []);
    assert.equal(shouldSend('changes', diff, true), true);
  });

  it('sends nothing in changes mode when nothing changed, and the same digest in always mode', () => {
    // The same alerts, listed in another order and with ids in another case, are no change.
    const shuffled = [owners, permanentOwners].map((a) => ({ ...a, name: a.name.toUpperCase() }));
    const diff = diffSnapshots(baseline, snapshotOf([{ scope: `/${SCOPE.toUpperCase()}`, alerts: shuffled }]));
    assert.equal(diff.first, false);
    assert.equal(diff.changed, false);
    assert.equal(shouldSend('changes', diff, true), false);
    assert.equal(shouldSend('always', diff, true), true);
  });

  it('sends an all-clear once in changes mode and every run in always mode', () => {
    const allClear = snapshotOf([{ scope: SCOPE, alerts: [dismissed(permanentOwners), dismissed(owners)] }]);
    const resolvedDiff = diffSnapshots(baseline, allClear);
    assert.equal(resolvedDiff.resolvedAlerts.length, 2);
    assert.equal(shouldSend('changes', resolvedDiff, false), true);
    const quietDiff = diffSnapshots(allClear, snapshotOf([{ scope: SCOPE, alerts: [] }]));
    assert.equal(quietDiff.changed, false);
    assert.equal(shouldSend('changes', quietDiff, false), false);
    assert.equal(shouldSend('always', quietDiff, false), true);
  });

  it('keeps only the chosen severity, and rebaselines when the filter changes', () => {
    const alerts = [permanentOwners, owners, outsidePimAlert(SCOPE, ['inc-1'])];
    const high = snapshotOf([{ scope: SCOPE, alerts }], { severity: 'High' });
    assert.deepEqual(
      high.scopes[0]!.alerts.map((a) => a.alertId),
      ['AzureRolesAssignedOutsidePimAlert'],
    );
    // A Medium alert appearing does not change a High-only digest.
    const highLater = snapshotOf([{ scope: SCOPE, alerts: [...alerts, withIncidents(owners, ['x'])] }], { severity: 'High' });
    assert.equal(diffSnapshots(high, highLater).changed, false);
    // Comparing across filters would report Medium alerts as resolved: the digest starts over.
    const medium = snapshotOf([{ scope: SCOPE, alerts }], { severity: 'Medium' });
    assert.equal(diffSnapshots(high, medium).first, true);
  });

  it('does not call alerts of a scope that could not be read resolved, and counts a new scope as new', () => {
    const both = snapshotOf([
      { scope: SCOPE, alerts: [permanentOwners] },
      { scope: OTHER_SCOPE, alerts: [outsidePimAlert(OTHER_SCOPE, ['i1'])] },
    ]);
    const onlyFirst = snapshotOf([{ scope: SCOPE, alerts: [permanentOwners] }]);
    assert.equal(diffSnapshots(both, onlyFirst).changed, false);
    const diff = diffSnapshots(onlyFirst, both);
    assert.deepEqual(diff.newAlerts, [{ scope: OTHER_SCOPE, alertId: 'AzureRolesAssignedOutsidePimAlert' }]);
  });

  it('compares incident counts when the alerts came without their incidents', () => {
    const bare = (a: Alert, count: number): Alert => {
      const { alertIncidents: _omit, ...rest } = a.properties;
      return { ...a, properties: { ...rest, incidentCount: count } };
    };
    const before = snapshotOf([{ scope: SCOPE, alerts: [bare(owners, 1)] }]);
    assert.equal(diffSnapshots(before, snapshotOf([{ scope: SCOPE, alerts: [bare(owners, 1)] }])).changed, false);
    const diff = diffSnapshots(before, snapshotOf([{ scope: SCOPE, alerts: [bare(owners, 3)] }]));
    assert.deepEqual(diff.changedCounts, [{ scope: SCOPE, alertId: 'TooManyOwnersAssignedToResource' }]);
    assert.equal(shouldSend('changes', diff, true), true);
  });

  it('takes the same snapshot whatever order the service lists things in, and survives a JSON round trip', () => {
    const high = outsidePimAlert(OTHER_SCOPE, ['c', 'a', 'b']);
    const one = snapshotOf([
      { scope: SCOPE, alerts: [permanentOwners, owners] },
      { scope: OTHER_SCOPE, alerts: [high] },
    ]);
    const two = snapshotOf([
      { scope: OTHER_SCOPE, alerts: [{ ...high, properties: { ...high.properties, alertIncidents: [...high.properties.alertIncidents!].reverse() } }] },
      { scope: SCOPE, alerts: [owners, permanentOwners] },
    ]);
    assert.equal(JSON.stringify(one), JSON.stringify(two));
    assert.deepEqual(one.scopes.find((s) => s.scope === OTHER_SCOPE)!.alerts[0]!.incidents, ['a', 'b', 'c']);
    const stored: unknown = JSON.parse(JSON.stringify(one));
    const parsed = parseSnapshot(stored);
    assert.ok(parsed);
    assert.equal(diffSnapshots(parsed, two).changed, false);
  });

  it('bounds a huge snapshot by keeping counts for the alerts with the most incidents, and still sees their number change', () => {
    assert.ok(MAX_SNAPSHOT_CHARS < MAX_JSON_CHARS, 'a bounded snapshot fits in one Table Storage entity');
    const ids = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${String(i).padStart(6, '0')}-0b7f3266-7e06-4dd9-b25d`);
    const scopes = Array.from({ length: 40 }, (_, i) => `subscriptions/${String(i).padStart(8, '0')}-766f-4003-8ae1-c4aeb893a99f`);
    const huge = snapshotOf(scopes.map((scope, i) => ({ scope, alerts: [outsidePimAlert(scope, ids(i === 0 ? 9000 : 150, 'inc')), owners] })));
    assert.ok(JSON.stringify(huge).length > MAX_SNAPSHOT_CHARS);
    const bounded = boundSnapshot(huge);
    assert.ok(JSON.stringify(bounded).length <= MAX_SNAPSHOT_CHARS);
    const first = bounded.scopes[0]!.alerts.find((a) => a.alertId === 'AzureRolesAssignedOutsidePimAlert')!;
    assert.deepEqual([first.incidents, first.incidentCount], [undefined, 9000], 'the largest list became a count');
    assert.ok(bounded.scopes.some((s) => s.alerts.some((a) => a.incidents?.length === 150)), 'smaller lists are kept while it fits');
    assert.equal(huge.scopes[0]!.alerts[0]!.incidents!.length, 9000, 'the input is not changed');
    assert.equal(boundSnapshot(baseline), baseline, 'a snapshot that fits is kept as it is');

    // The next run lists 9,001 incidents on that alert: the count changed, so the digest goes out.
    const next = snapshotOf(scopes.map((scope, i) => ({ scope, alerts: [outsidePimAlert(scope, ids(i === 0 ? 9001 : 150, 'inc')), owners] })));
    const diff = diffSnapshots(parseSnapshot(JSON.parse(JSON.stringify(bounded))), next);
    assert.deepEqual(diff.changedCounts, [{ scope: scopes[0], alertId: 'AzureRolesAssignedOutsidePimAlert' }]);
    assert.deepEqual([diff.newAlerts, diff.newIncidents, diff.resolvedIncidents], [[], [], []]);
  });

  it('treats a stored value that is not a snapshot as no snapshot', () => {
    for (const junk of [null, 'x', { version: 99, scopes: [] }, { version: 1, scopes: [{ scope: 1 }] }, { version: 1, severity: 'Critical', scopes: [] }]) {
      assert.equal(parseSnapshot(junk), undefined, JSON.stringify(junk));
    }
    const snap: DigestSnapshot = snapshotOf([{ scope: SCOPE, alerts: [owners] }]);
    assert.deepEqual(parseSnapshot(snap), snap);
  });
});
