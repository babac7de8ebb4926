// Graph's directory-role objects mapped into the bot's one model, from Microsoft's examples.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { alertFromGraph, configurationFromGraph, incidentFromGraph, plainText, severityFromGraph } from '../../bot/azure/graphModels';
import { describeDuration, durationSeconds } from '../../bot/azure/duration';
import { isKnownConfiguration, isKnownIncident, worldOf } from '../../bot/azure/models';

const EXAMPLES = path.join(__dirname, '..', 'fixtures', 'graph', 'examples');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const example = (file: string): any => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));

describe('Graph objects in the one model', () => {
  it('an expanded alert: name = Graph id, scope = directory, ARM-cased severity, typed configuration and incidents', () => {
    const raw = example('get-alert-expand.response.json');
    const a = alertFromGraph(raw)!;
    assert.equal(a.name, raw.id);
    assert.equal(a.properties.scope, 'directory');
    assert.equal(worldOf(a.properties.scope), 'directory');
    assert.equal(a.properties.isActive, true);
    assert.equal(a.properties.incidentCount, 3);
    assert.equal(a.properties.lastScannedDateTime, '2023-06-11T23:01:35.21Z');
    const def = a.properties.alertDefinition!.properties;
    assert.equal(def.severityLevel, 'Low');
    assert.equal(def.isRemediatable, true);
    assert.equal(def.mitigationSteps, '· Review the users in the list and remove any that do not absolutely need the Global Administrator role.\n· Assign lower privileged roles to these users instead.');
    const cfg = a.properties.alertConfiguration!.properties;
    assert.ok(isKnownConfiguration(cfg));
    assert.equal(cfg.alertConfigurationType, 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration');
    if (cfg.alertConfigurationType === 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration') assert.equal(cfg.globalAdminCountThreshold, 2);
    const incidents = a.properties.alertIncidents!;
    assert.deepEqual(incidents.map((i) => i.name), ['f5417b06-cdae-417f-9589-a334104206cf', '861e0b20-1e9f-4ca9-bcd1-ddc22c5d7320', 'd15bb922-c926-412e-aae3-30afb1c8a0b6']);
    for (const i of incidents) assert.ok(isKnownIncident(i.properties) && i.properties.alertIncidentType === 'tooManyGlobalAdminsAssignedToTenantAlertIncident');
    assert.ok(!('@odata.type' in incidents[0]!.properties), 'no OData annotations leak into the model');
  });

  it("leaves out Graph's year-1 'never modified' sentinel and keeps an unexpanded alert without relationships", () => {
    const [first] = example('howto-list-alerts.response.json').value;
    const a = alertFromGraph(first)!;
    assert.equal(first.lastModifiedDateTime, '0001-01-01T08:00:00Z');
    assert.equal(a.properties.lastModifiedDateTime, undefined);
    assert.equal(a.properties.alertDefinition, undefined);
    assert.equal(a.properties.alertIncidents, undefined);
    assert.equal(a.properties.isActive, false);
  });

  it('fills {0} and {1} from the alert, and turns HTML links into plain text', () => {
    const stale = example('list-definitions.response.json').value.find((d: { id: string }) => d.id.endsWith('_StaleSignInAlert'));
    const a = alertFromGraph({
      id: stale.id,
      incidentCount: 2,
      alertDefinition: stale,
      alertConfiguration: { '@odata.type': '#microsoft.graph.staleSignInAlertConfiguration', id: stale.id, isEnabled: true, duration: 'P30D' },
    })!;
    const def = a.properties.alertDefinition!.properties;
    assert.equal(def.description, '2 account(s) in privileged roles that have not signed in to Azure AD in the past 30 day(s)');
    assert.equal(
      def.howToPrevent,
      'Regularly review accounts with privileged roles using access reviews (https://docs.microsoft.com/en-us/azure/active-directory/governance/access-reviews-overview) and remove role assignments which are no longer needed.',
    );
    assert.equal(plainText('a &amp; b<br/>c <b>d</b> <a href=\'u\'>e</a>'), 'a & b\nc d e (u)');
    // Untrusted text: an unclosed tag is kept as text rather than swallowing the rest.
    assert.equal(plainText('5 < 6 and 7'), '5 < 6 and 7');
  });

  it('maps severities, drops members of the wrong type and items without an id', () => {
    assert.deepEqual(['low', 'MEDIUM', 'High', 'informational', 7].map(severityFromGraph), ['Low', 'Medium', 'High', 'informational', undefined]);
    assert.equal(alertFromGraph({ isActive: true }), undefined);
    assert.equal(alertFromGraph('x'), undefined);
    const a = alertFromGraph({ id: 'DirectoryRole_x_Y', isActive: 'yes', incidentCount: '3', alertIncidents: [{ id: 'i1', assigneeId: { nested: true } }, 'junk'] })!;
    assert.equal(a.properties.isActive, undefined);
    assert.equal(a.properties.incidentCount, 1);
    assert.deepEqual(a.properties.alertIncidents!.map((i) => i.properties), [{ alertIncidentType: 'unifiedRoleManagementAlertIncident' }]);
    const cfg = configurationFromGraph({ '@odata.type': '#microsoft.graph.somethingNewAlertConfiguration', id: 'c', isEnabled: 'true', threshold: 5 })!;
    assert.equal(cfg.properties.alertConfigurationType, 'somethingNewAlertConfiguration');
    assert.equal(cfg.properties.isEnabled, undefined);
    assert.equal((cfg.properties as Record<string, unknown>).threshold, 5);
    assert.ok(!isKnownConfiguration(cfg.properties));
    assert.equal(incidentFromGraph({ id: 'n' }, 'a')!.id, '/identityGovernance/roleManagementAlerts/alerts/a/alertIncidents/n');
  });

  it('reads ISO 8601 durations with fixed-length units only', () => {
    assert.deepEqual(['P30D', 'PT10S', 'PT1H30M', 'P1W', 'p2d', 'P1Y', 'P1M', 'P', 'PT', '30', 5].map(durationSeconds), [2_592_000, 10, 5_400, 604_800, 172_800, undefined, undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual([2_592_000, 86_400, 3_600, 600, 10, 1].map(describeDuration), ['30 days', '1 day', '1 hour', '10 minutes', '10 seconds', '1 second']);
  });
});
