// What a finished rescan says: which alerts are active now, which it cleared or raised, how many
// incidents, on which scope, in whole sentences, never an id, never a banner cut short.
import assert from 'node:assert/strict';
import { describeRefreshOutcome, type RefreshOutcomeInput } from '../../cards/refresh';
import { EXAMPLE_SCOPE, makeAlert } from './data';

const scope = EXAMPLE_SCOPE;
const withIncidents = (id: string, n: number, active = true) => {
  const a = makeAlert(scope, id, { incidents: n, active });
  return { ...a, properties: { ...a.properties, incidentCount: n } };
};
const base: RefreshOutcomeInput = { outcome: 'succeeded', durationMs: 5_000, details: [], requester: 'Alex Wilber', scopeLabel: 'Contoso Production' };

describe('cards: the outcome of a rescan', () => {
  it('says which alerts are active now, which the scan cleared or raised, and how many incidents each has', () => {
    const told = describeRefreshOutcome({
      ...base,
      details: [
        { name: 'TooManyOwnersAssignedToResource', statusDetail: 'Alert scan is completed.' },
        { name: 'DuplicateRoleCreated', statusDetail: 'Alert scan is completed.' },
      ],
      before: [
        { alertId: 'TooManyOwnersAssignedToResource', incidentCount: 2 },
        { alertId: 'DuplicateRoleCreated', incidentCount: 1 },
        { alertId: 'AzureRolesAssignedOutsidePimAlert', incidentCount: 2 },
      ],
      after: [
        withIncidents('AzureRolesAssignedOutsidePimAlert', 2),
        withIncidents('TooManyOwnersAssignedToResource', 3),
        withIncidents('DuplicateRoleCreated', 0, false),
        withIncidents('TooManyPermanentOwnersAssignedToResource', 1),
      ],
    });
    assert.equal(
      told.reply,
      'Refresh of all alerts on Contoso Production succeeded after 5 s (started by Alex Wilber). ' +
        '3 alerts are active on Contoso Production now: Roles are being assigned outside of Privileged Identity Management (2 incidents), ' +
        'Too many owners assigned to a resource (3 incidents, was 2) and Too many permanent owners assigned to a resource (1 incident, newly active). ' +
        'Cleared by this scan: Duplicate role created.',
    );
    assert.equal(told.banner, 'Refresh by Alex Wilber succeeded after 5 s: 3 alerts active, 1 cleared, 1 newly active');
    assert.equal(told.audit, 'Refresh succeeded after 5 s: 3 alerts active, 1 cleared, 1 newly active.');
  });

  it('speaks of one alert when one was rescanned', () => {
    const one = (before: RefreshOutcomeInput['before'], after: RefreshOutcomeInput['after']) => describeRefreshOutcome({ ...base, alertId: 'DuplicateRoleCreated', before, after });
    assert.match(one([{ alertId: 'DuplicateRoleCreated', incidentCount: 1 }], [withIncidents('DuplicateRoleCreated', 2)]).reply, /^Refresh of Duplicate role created on Contoso Production succeeded after 5 s \(started by Alex Wilber\)\. It is active, with 2 incidents \(was 1\)\.$/);
    assert.match(one([{ alertId: 'DuplicateRoleCreated', incidentCount: 1 }], [withIncidents('DuplicateRoleCreated', 0, false)]).reply, /It is no longer active\.$/);
    assert.match(one([], [withIncidents('DuplicateRoleCreated', 1)]).reply, /It is now active, with 1 incident\.$/);
    assert.equal(one([], [withIncidents('DuplicateRoleCreated', 1)]).banner, 'Refresh by Alex Wilber succeeded after 5 s: now active, 1 incident');
    assert.match(one(undefined, undefined).reply, /^Refresh of Duplicate role created on Contoso Production succeeded after 5 s \(started by Alex Wilber\)\.$/, 'without a read after the scan, the outcome alone');
  });

  it('names the alerts a failed scan could not scan, and what was skipped, in sentences', () => {
    const told = describeRefreshOutcome({
      ...base,
      outcome: 'failed',
      details: [
        { name: 'TooManyOwnersAssignedToResource', statusDetail: 'Alert scan failed.' },
        { name: 'DuplicateRoleCreated', statusDetail: 'Alert scan is skipped because the alert is disabled.' },
        { name: 'AzureRolesAssignedOutsidePimAlert', statusDetail: 'Alert scan is completed.' },
      ],
      after: [withIncidents('TooManyOwnersAssignedToResource', 2), withIncidents('DuplicateRoleCreated', 0, false), withIncidents('AzureRolesAssignedOutsidePimAlert', 2)],
    });
    assert.equal(
      told.reply,
      'Refresh of all alerts on Contoso Production failed after 5 s (started by Alex Wilber). The scan of Too many owners assigned to a resource failed. ' +
        'Not scanned because it is turned off: Duplicate role created. ' +
        '2 alerts are active on Contoso Production now: Roles are being assigned outside of Privileged Identity Management (2 incidents) and Too many owners assigned to a resource (2 incidents). ' +
        'Try again, or check the alert in the portal.',
    );
    assert.equal(told.banner, 'Refresh by Alex Wilber failed after 5 s: the scan of 1 alert failed');
    const unchecked = describeRefreshOutcome({ ...base, outcome: 'failed', details: [{ statusDetail: 'I could not check the scan: The operation was not found. Use the Location.' }] });
    assert.match(unchecked.reply, /\(started by Alex Wilber\)\. I could not check the scan: The operation was not found\. Try again/);
  });

  it('never shows an id, a ".;" or a banner long enough to be cut', () => {
    const directory = 'DirectoryRole_19356be4-7e93-4ed6-a7c6-0ae28454d125_StaleSignInAlert';
    const cases: RefreshOutcomeInput[] = [
      { ...base, details: [{ name: 'TooManyOwnersAssignedToResource', statusDetail: 'Alert scan is completed.' }] },
      { ...base, alertId: directory, scopeLabel: 'Entra ID', details: [{ name: directory, statusDetail: 'Alert scan failed.' }], outcome: 'failed' },
      { ...base, outcome: 'timedOut', status: 'Running', requester: 'R'.repeat(500) },
      { ...base, outcome: 'canceled', after: Array.from({ length: 40 }, (_, i) => withIncidents(i % 2 ? 'DuplicateRoleCreated' : 'TooManyOwnersAssignedToResource', i)) },
    ];
    for (const c of cases) {
      const told = describeRefreshOutcome(c);
      for (const text of [told.reply, told.banner, told.audit]) {
        assert.doesNotMatch(text, /TooManyOwnersAssignedToResource|DirectoryRole_|19356be4/, text);
        assert.doesNotMatch(text, /\.;|;\s*\.|\.\./, text);
      }
      // Far under the 300 characters a banner is cut at; only a very long person name is capped.
      assert.ok(told.banner.length < 200 && !told.banner.endsWith('…'), told.banner);
    }
    assert.match(describeRefreshOutcome(cases[1]!).reply, /^Refresh of Stale sign in alert on Entra ID failed after 5 s/);
    assert.match(describeRefreshOutcome(cases[3]!).reply, /and 30 more\./, 'a long list is cut with a count');
  });
});
