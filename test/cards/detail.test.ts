import assert from 'node:assert/strict';
import type { Alert, AlertIncident } from '../../bot/azure/models';
import type { ActionPayload } from '../../cards/actions';
import { buildDetailCard, buildDetailView, incidentView } from '../../cards/detail';
import { MAX_CARD_CHARS, cardChars } from '../../cards/size';
import { EXAMPLE_SCOPE, exampleAlert, exampleIncidents, makeAlert, testContext } from './data';
import { assertValidCard, collectActions } from './validateCard';

const payloads = (card: unknown): ActionPayload[] => collectActions(card).map((a) => (a.data as { a: ActionPayload }).a);
/** Facts as a person reads them: the invisible break opportunities of long values (breakable) left out. */
const factMap = (facts: Array<{ title: string; value: string }>): Record<string, string> => Object.fromEntries(facts.map((f) => [f.title, f.value.replace(/\u200b/g, '')]));

describe('cards: detail', () => {
  const scope = EXAMPLE_SCOPE;

  it('shows the alert from GetAlertById: texts, configuration, incident and the buttons its definition allows', () => {
    const vm = buildDetailView({ alert: exampleAlert(), scopeDisplayName: 'Contoso Production' }, testContext());
    assert.equal(vm.title, 'Too many owners assigned to a resource');
    assert.equal(vm.headline, '■■□ Medium severity · Active');
    assert.equal(vm.headlineColor, 'accent');
    assert.deepEqual(vm.sections.map((s) => s.title), ['Description', 'Security impact', 'Mitigation steps', 'How to prevent']);
    assert.equal(factMap(vm.facts).Scope, `Contoso Production (${scope})`);
    assert.deepEqual(factMap(vm.configFacts), {
      Enabled: 'Yes',
      'Owner count threshold': '2',
      'Owner percentage threshold (% of all role members)': '3%',
    });
    assert.deepEqual(factMap(vm.incidents[0]?.facts ?? []), { Assignee: 'testUser', Type: 'User', 'Incident id': 'a9f38501-74ec-43ea-8663-6c538602150d' });
    const card = buildDetailCard({ alert: exampleAlert() }, testContext());
    const p = payloads(card);
    const alertId = 'TooManyOwnersAssignedToResource';
    assert.deepEqual(p, [
      { verb: 'remediateConfirm', scope, alertId, incidentId: 'a9f38501-74ec-43ea-8663-6c538602150d' },
      { verb: 'refreshConfirm', scope, alertId },
      { verb: 'dismissConfirm', scope, alertId },
      { verb: 'configure', scope, alertId },
      { verb: 'alerts', scope },
    ]);
  });

  it('offers no Dismiss on an inactive alert, no Configure or Remediate when the definition forbids them', () => {
    const alert = makeAlert(scope, 'AzureRolesAssignedOutsidePimAlert', { active: false, incidents: 2 });
    const def = alert.properties.alertDefinition;
    assert.ok(def);
    def.properties.isConfigurable = false;
    def.properties.isRemediatable = false;
    const verbs = payloads(buildDetailCard({ alert }, testContext())).map((p) => p.verb);
    assert.deepEqual(verbs, ['refreshConfirm', 'alerts']);
    assert.equal(buildDetailView({ alert }, testContext()).headline, '■■■ High severity · Inactive');
  });

  it('offers no Remediate on a dismissed alert even when its definition allows it', () => {
    const alert = makeAlert(scope, 'TooManyOwnersAssignedToResource', { active: false, incidents: 2 });
    const verbs = payloads(buildDetailCard({ alert }, testContext())).map((p) => p.verb);
    assert.ok(!verbs.includes('remediateConfirm'), verbs.join(', '));
    assert.ok(!verbs.includes('dismissConfirm'));
  });

  it('shows the fields each incident kind carries', () => {
    const ctx = testContext({ timeZone: 'Europe/Berlin' });
    const outside = makeAlert(scope, 'AzureRolesAssignedOutsidePimAlert').properties.alertIncidents?.[0];
    assert.ok(outside);
    const p = outside.properties as Record<string, string>;
    const v = incidentView(outside, ctx);
    assert.equal(v.title, `${p.assigneeDisplayName} (${p.assigneeUserPrincipalName})`);
    const f = factMap(v.facts);
    assert.equal(f.Role, p.roleDisplayName);
    assert.equal(f['Requested by'], `${p.requestorDisplayName} (${p.requestorUserPrincipalName})`);
    assert.equal(f.Activated, '1 Apr 2022, 10:00 Europe/Berlin (7 days ago)');

    const dup = makeAlert(scope, 'DuplicateRoleCreated').properties.alertIncidents?.[0];
    assert.ok(dup);
    const d = factMap(incidentView(dup, ctx).facts);
    assert.deepEqual(Object.keys(d), ['Role', 'Duplicate roles', 'Reason', 'Incident id']);

    for (const incident of exampleIncidents()) {
      assert.deepEqual(factMap(incidentView(incident, ctx).facts), { Assignee: 'test-user', Type: 'User', 'Incident id': incident.name });
    }
  });

  it('shows an incident of an unknown kind as facts of its plain properties', () => {
    const incident: AlertIncident = {
      name: '0d5bd1f6-4a71-4b0c-9d7e-2b5b3f0b9a11',
      id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/StaleSignInAlert/alertIncidents/0d5bd1f6-4a71-4b0c-9d7e-2b5b3f0b9a11`,
      type: 'Microsoft.Authorization/roleManagementAlerts/alertIncidents',
      properties: { alertIncidentType: 'StaleSignInAlertIncident', assigneeDisplayName: 'Lee Gu', daysSinceLastSignIn: 120, isGroupAssignment: false, roleIds: ['x'], nested: { a: 1 } },
    };
    const v = incidentView(incident, testContext());
    assert.deepEqual(v.facts, [
      { title: 'Kind', value: 'StaleSignInAlertIncident' },
      { title: 'Assignee display name', value: 'Lee Gu' },
      { title: 'Days since last sign in', value: '120' },
      { title: 'Is group assignment', value: 'No' },
      { title: 'Incident id', value: incident.name },
    ]);
    const alert = makeAlert(scope, 'StaleSignInAlert', { incidents: 3 });
    const card = buildDetailCard({ alert }, testContext());
    assertValidCard(card);
    assert.ok(JSON.stringify(card).includes('"Kind"'));
    assert.ok(JSON.stringify(card).includes('Threshold days'), 'unknown configuration kind shown generically');
  });

  it('lets a long guest UPN wrap inside the card instead of running off its edge', () => {
    const upn = 'adele.vance_fabrikam.onmicrosoft.com#EXT#@contosoprod.onmicrosoft.com';
    const alert = makeAlert(scope, 'AzureRolesAssignedOutsidePimAlert');
    const incident = alert.properties.alertIncidents![0]!;
    Object.assign(incident.properties, { assigneeDisplayName: 'Adele Vance', assigneeUserPrincipalName: upn, requestorUserPrincipalName: upn });
    const card = buildDetailCard({ alert: { ...alert, properties: { ...alert.properties, alertIncidents: [incident] } } }, testContext());
    assertValidCard(card);
    const values: string[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o.type === 'FactSet') for (const f of o.facts as Array<{ value: string }>) values.push(f.value);
      Object.values(o).forEach(walk);
    };
    walk(card);
    const assignee = values.find((v) => v.replace(/\u200b/g, '').includes(upn));
    assert.ok(assignee, 'the UPN is shown whole');
    assert.equal(assignee.replace(/\u200b/g, ''), `Adele Vance (${upn})`, 'nothing but invisible break opportunities is added');
    // A FactSet is a table: its value column is as wide as the longest run a line cannot break in.
    for (const v of values) {
      const longest = Math.max(...v.split(/[\s\u200b-]/).map((w) => w.length));
      assert.ok(longest <= 30, `"${v}" has an unbreakable run of ${longest}`);
    }
    assert.ok(!JSON.stringify(incidentView(exampleIncidents()[0]!, testContext())).includes('\u200b'), 'short values are left exactly as they are');
  });

  it('shows a banner and, in the confirm step, only Confirm and Cancel', () => {
    const confirm = { verb: 'dismiss', scope, alertId: 'TooManyOwnersAssignedToResource' } as const;
    const vm = buildDetailView(
      {
        alert: exampleAlert(),
        banner: { text: 'Refreshing — started by Megan Bowen at 10:02' },
        confirm: { question: 'Dismiss this alert?', confirm, confirmTitle: 'Dismiss', destructive: true },
      },
      testContext(),
    );
    assert.equal(vm.hasBanner, true);
    assert.equal(vm.bannerText, 'Refreshing — started by Megan Bowen at 10:02');
    assert.equal(vm.hasConfirm, true);
    const card = buildDetailCard(
      { alert: exampleAlert(), confirm: { question: 'Dismiss this alert?', confirm, confirmTitle: 'Dismiss', destructive: true } },
      testContext(),
    );
    assert.deepEqual(payloads(card), [confirm, { verb: 'cancel', scope, alertId: 'TooManyOwnersAssignedToResource' }]);
    assert.deepEqual(collectActions(card).map((a) => [a.title, a.style]), [['Dismiss', 'destructive'], ['Cancel', 'default']]);
  });

  it('truncates long texts with an ellipsis', () => {
    const alert = exampleAlert();
    const def = alert.properties.alertDefinition;
    assert.ok(def);
    def.properties.description = 'Long. '.repeat(2_000);
    const vm = buildDetailView({ alert }, testContext());
    const text = vm.sections.find((s) => s.title === 'Description')?.text ?? '';
    assert.ok(text.length <= 1_500);
    assert.ok(text.endsWith('…'));
  });

  describe('an alert with 500 incidents', () => {
    let alert: Alert;
    before(() => {
      alert = makeAlert(scope, 'AzureRolesAssignedOutsidePimAlert', { incidents: 500 });
    });

    it('fits the size limit and says how many more there are, with a button to the next page', () => {
      const card = buildDetailCard({ alert }, testContext());
      assert.ok(cardChars(card) <= MAX_CARD_CHARS, `card is ${cardChars(card)} chars`);
      assertValidCard(card);
      const vm = buildDetailView({ alert }, testContext());
      const shown = vm.incidents.length;
      assert.ok(shown > 0 && shown < 500);
      assert.equal(vm.moreIncidentsText, `and ${500 - shown} more incidents`);
      assert.ok(JSON.stringify(card).includes(`and ${500 - shown} more incidents`));
      assert.ok(payloads(card).some((p) => p.verb === 'incidents' && p.page === 2 && p.alertId === 'AzureRolesAssignedOutsidePimAlert'));
      // Measured, not guessed: one more incident would not fit.
      const tighter = buildDetailView({ alert }, testContext(), { maxChars: cardChars(card) - 1 });
      assert.ok(tighter.incidents.length < shown);
    });

    it('pages cover every incident once, and the last page has no More button', () => {
      const seen: string[] = [];
      let last;
      for (let page = 1; page <= 100; page++) {
        last = buildDetailView({ alert, incidentPage: page }, testContext(), { maxChars: 20_000 });
        seen.push(...last.incidents.map((i) => i.incidentId));
        if (!last.hasMoreIncidents) break;
      }
      assert.equal(seen.length, 500);
      assert.equal(new Set(seen).size, 500);
      assert.deepEqual(last?.incidentPagingActions.map((a) => a.title), ['Previous incidents']);
      assert.match(last?.incidentsTitle ?? '', /^Incidents \(500\) — showing \d+–500 of 500$/);
    });
  });
});
