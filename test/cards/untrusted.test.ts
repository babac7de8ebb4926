// Text from people, ARM and Graph on cards: every Markdown or HTML construct in it shows as the
// characters typed, on every card, while the bot's own formatting (code spans in hints) and the
// placeholders of its help (<name>) still work. The rendered cards are read with markupIn, which
// flags anything a Teams client could render; the browser test renders such text in the Agents
// Playground's own Markdown renderer.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Alert, AlertConfiguration, AlertIncident } from '../../bot/azure/models';
import { COMMANDS } from '../../bot/commands/catalog';
import type { AuditEntry } from '../../bot/store/types';
import { buildAuditCard } from '../../cards/audit';
import { buildConfigCard, buildConfigFormCard } from '../../cards/config';
import { buildDetailCard } from '../../cards/detail';
import { buildDigestCard } from '../../cards/digest';
import { buildErrorCard } from '../../cards/error';
import { buildHelpCard } from '../../cards/help';
import type { AdaptiveCardJson } from '../../cards/render';
import { buildScopesCard } from '../../cards/scopes';
import { buildSubscribedCard, buildSubscriptionsCard } from '../../cards/subscriptions';
import { buildSummaryCard } from '../../cards/summary';
import { ownText, untrustedText } from '../../cards/text';
import { buildWhoamiCard } from '../../cards/whoami';
import { EXAMPLE_SCOPE, exampleConfigurations, makeAlert, testContext } from './data';
import { allCardCases } from './cases';
import { markdownFields, markupIn, shownText } from './markdown';
import { FUZZ_RUNS } from '../fuzz';

/** The examples and the rest of what Teams clients render. */
const HOSTILE: readonly string[] = [
  '[Re-approve your PIM role](https://evil.example/login)',
  '![x](https://evil.example/x.png)',
  '# Urgent',
  '## Urgent: re-approve now',
  '- item',
  '+ item',
  '* item',
  '1. first',
  '2) second',
  '> quoted',
  '---',
  '**bold** *italic* _italic_ __bold__ ~~struck~~ ~struck~',
  '`code` and ```fence```',
  '<at>Someone</at>',
  '<at id="0">Megan Bowen</at> <script>alert(1)</script> <img src=x onerror=alert(1)>',
  '<https://evil.example/login> https://evil.example/login www.evil.example',
  '[Re-approve][1] [1]: https://evil.example/login',
  '&lt;at&gt;Someone&lt;/at&gt; &#91;x&#93;(https://evil.example) &amp;',
  '\\[not a link\\](https://evil.example) \\*x\\*',
  '{{DATE(2017-02-14T06:08:00Z, SHORT)}}',
  '(a)- item (b)1. first [c]-x',
  'line one\n# heading on line two\n\n- list\n1. item\n> quote',
];

/** Ordinary names and ids keep every character, with nothing added. */
const ORDINARY: readonly string[] = [
  'Megan Bowen',
  'Contoso Production',
  'adele_vance_fabrikam.com#EXT#@contoso.onmicrosoft.com',
  'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f/resourceGroups/rg-app_01.prod(eu)',
  'Owner (copy 1)',
  'TooManyOwnersAssignedToResource',
  '0645231d-16ba-4ebf-851a-0875df4052bd',
  "The client 'x' does not have authorization to perform action 'Microsoft.Authorization/roleManagementAlerts/write' over scope '/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f'.",
  'Dismissed by Megan Bowen at 6 Apr 2022, 18:25 UTC (2 days ago)',
  'Enable “Activation Required” in the role settings menu.',
  'Résumé – naïve 日本語 🙂 50% 3 > 2',
];

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const OTHER_SCOPE = 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590';

describe('cards: untrusted text', () => {
  describe('untrustedText', () => {
    for (const text of HOSTILE) {
      it(`shows ${JSON.stringify(text)} as typed, with nothing a Teams client would render`, () => {
        const out = untrustedText(text, 500);
        assert.deepEqual(markupIn(out), [], out);
        assert.equal(shownText(out), oneLine(text));
      });
    }

    it('leaves ordinary names, UPNs, ids and messages exactly as they are', () => {
      for (const text of ORDINARY) assert.equal(untrustedText(text, 500), text);
    });

    it('makes one line, drops control, zero-width and direction-override characters, and caps the length before escaping', () => {
      assert.equal(untrustedText('  Megan\n\n\tBowen\u00a0 ', 100), 'Megan Bowen');
      assert.equal(untrustedText('Me\u0000g\u0007an\u200b \u202eBowen\u202c\u2066', 100), 'Megan Bowen');
      assert.equal(untrustedText('x'.repeat(1000), 200), `${'x'.repeat(199)}…`);
      const capped = untrustedText('[a](b) '.repeat(100), 50);
      assert.ok(shownText(capped).length <= 50);
      assert.deepEqual(markupIn(capped), []);
      assert.equal(untrustedText(undefined, 10), '');
      assert.equal(untrustedText(null, 10), '');
    });

    it('never leaves markup, shows what was typed, and changes nothing when applied twice (fast-check)', () => {
      // Strings biased towards the characters Markdown and HTML are made of.
      const markdownish = fc.string({ unit: fc.constantFrom(...'[]()!<>/*_~`#-+=|&;:\\{}.1 aAwtp\n\u200b\u2060\u202e\u00a0é🙂'.split('')), maxLength: 80 });
      fc.assert(
        fc.property(fc.oneof(markdownish, fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })), fc.integer({ min: 2, max: 120 }), (text, max) => {
          const out = untrustedText(text, max);
          assert.deepEqual(markupIn(out), [], JSON.stringify(out));
          assert.equal(untrustedText(out, max), out);
          const cleaned = oneLine(text.replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, ''));
          // (A look-alike typed in the input reads the same as the character it stands for.)
          const shown = shownText(out);
          const expected = shownText(cleaned);
          assert.ok(shown.length <= max, `${shown.length} > ${max}`);
          if (cleaned.length <= max) assert.equal(shown, expected);
          else assert.ok(shown.endsWith('…') && expected.startsWith(shown.slice(0, -1).trimEnd()), shown);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('ownText', () => {
    it('keeps the bot\'s own formatting and shows <placeholders> instead of dropping them as tags', () => {
      const out = ownText('Type `alert <name>` or **remediate <name> <incident>**, [tz <zone>], <n|all>.');
      assert.equal(shownText(out), 'Type `alert <name>` or **remediate <name> <incident>**, [tz <zone>], <n|all>.');
      assert.deepEqual(markupIn(out).filter((k) => k.startsWith('HTML')), []);
      assert.ok(out.includes('`alert <'), 'the code span is kept');
      assert.ok(out.includes('**remediate'), 'the bold is kept');
      assert.equal(ownText(out), out);
    });

    it('shows every usage line of the help card with its placeholders', () => {
      const card = buildHelpCard({}, testContext());
      const fields = markdownFields(card);
      for (const c of COMMANDS) {
        assert.ok(fields.some((f) => shownText(f) === c.usage), `help shows ${c.usage}`);
        assert.ok(fields.some((f) => shownText(f) === c.description), c.description);
        assert.ok(fields.some((f) => shownText(f) === `Example: ${c.example}`), c.example);
      }
      for (const f of fields) assert.deepEqual(markupIn(f).filter((k) => k.startsWith('HTML')), [], f);
      assert.ok(fields.some((f) => shownText(f).includes('<angle brackets>')));
    });
  });

  it('no card variant has anything a client would take for an HTML tag, placeholders included', () => {
    for (const c of allCardCases()) {
      for (const f of markdownFields(c.card)) assert.deepEqual(markupIn(f).filter((k) => k.startsWith('HTML')), [], `${c.name}: ${f}`);
    }
  });

  it('templates bind values once: ${...} in data is shown, not evaluated', () => {
    const card = buildErrorCard({ message: '${title} ${$root.title} ${if(true, "x", "y")}' }, testContext());
    assert.ok(markdownFields(card).some((f) => shownText(f) === '${title} ${$root.title} ${if(true, "x", "y")}'), JSON.stringify(markdownFields(card)));
  });

  describe('every card shows hostile names, descriptions, messages and ids as plain text', () => {
    for (const h of HOSTILE) {
      const hostile = cardsWith(h);
      const benign = cardsWith('Plain words');
      for (const [name, card] of Object.entries(hostile)) {
        it(`${name}: ${JSON.stringify(h)}`, () => {
          // Only the bot's own formatting may render: the same constructs as with plain names.
          const counts = (c: AdaptiveCardJson) => tally(markdownFields(c).flatMap(markupIn));
          const extra = Object.entries(counts(card)).filter(([kind, n]) => n > (counts(benign[name]!)[kind] ?? 0));
          assert.deepEqual(extra, [], `renders ${extra.map(([k]) => k).join(', ')}`);
          // And it is shown as typed (one line), somewhere on the card.
          const shown = markdownFields(card).map(shownText);
          assert.ok(shown.some((f) => f.includes(oneLine(h))), `${JSON.stringify(oneLine(h))} not shown in ${JSON.stringify(shown)}`);
        });
      }
    }
  });
});

function tally(kinds: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** An alert whose every text the service sends is `h`, with incidents of ARM's and Graph's kinds (and one of a kind the bot does not know). */
function hostileAlert(h: string): Alert {
  const alert = makeAlert(EXAMPLE_SCOPE, 'AzureRolesAssignedOutsidePimAlert');
  const def = alert.properties.alertDefinition!;
  const incident = (i: number, properties: AlertIncident['properties']): AlertIncident => ({
    name: `0645231d-16ba-4ebf-851a-0875df4052b${i}`,
    type: 'Microsoft.Authorization/roleManagementAlerts/alertIncidents',
    id: `/${EXAMPLE_SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts/AzureRolesAssignedOutsidePimAlert/alertIncidents/${i}`,
    properties,
  });
  const incidents: AlertIncident[] = [
    incident(0, {
      alertIncidentType: 'AzureRolesAssignedOutsidePimAlertIncident',
      assigneeDisplayName: h,
      assigneeUserPrincipalName: h,
      roleDisplayName: h,
      requestorDisplayName: h,
      requestorUserPrincipalName: h,
    }),
    incident(1, { alertIncidentType: 'DuplicateRoleCreatedAlertIncident', roleName: h, duplicateRoles: h, reason: h }),
    incident(2, { alertIncidentType: 'TooManyOwnersAssignedToResourceAlertIncident', assigneeName: h, assigneeType: h }),
    incident(3, { alertIncidentType: 'SomeFutureAlertIncident', [h]: h, displayName: h } as AlertIncident['properties']),
    // Entra ID directory roles, as Microsoft Graph sends them.
    incident(4, { alertIncidentType: 'staleSignInAlertIncident', assigneeDisplayName: h, assigneeUserPrincipalName: h, roleDisplayName: h }),
    incident(5, { alertIncidentType: 'noMfaOnRoleActivationAlertIncident', roleDisplayName: h, roleTemplateId: h }),
    incident(6, { alertIncidentType: 'invalidLicenseAlertIncident', tenantLicenseStatus: h }),
  ];
  return {
    ...alert,
    properties: {
      ...alert.properties,
      alertIncidents: incidents,
      incidentCount: incidents.length,
      alertDefinition: {
        ...def,
        properties: { ...def.properties, displayName: h, description: h, securityImpact: h, mitigationSteps: h, howToPrevent: h, severityLevel: h.slice(0, 30), isRemediatable: true },
      },
      alertConfiguration: unknownConfiguration(h),
    },
  };
}

function unknownConfiguration(h: string): AlertConfiguration {
  return {
    id: `/${EXAMPLE_SCOPE}/providers/Microsoft.Authorization/roleManagementAlertConfigurations/StaleSignInAlert`,
    name: 'StaleSignInAlert',
    type: 'Microsoft.Authorization/roleManagementAlertConfigurations',
    properties: { alertConfigurationType: h, alertDefinitionId: 'StaleSignInAlert', scope: EXAMPLE_SCOPE, isEnabled: true, [h]: h } as AlertConfiguration['properties'],
  };
}

/** Every card, with `h` in every field that comes from a person, ARM or the store. */
function cardsWith(h: string): Record<string, AdaptiveCardJson> {
  const ctx = testContext();
  const alert = hostileAlert(h);
  const banner = { text: h };
  const confirm = { question: h, detail: h, confirm: { verb: 'dismiss' as const, scope: EXAMPLE_SCOPE, alertId: alert.name } };
  const known = exampleConfigurations()[0]!;
  const audit: AuditEntry = {
    id: '1',
    at: '2022-04-08T09:29:00Z',
    actorObjectId: h,
    actorName: h,
    action: h,
    scope: h,
    alertId: h,
    incidentId: h,
    result: h as AuditEntry['result'],
    detail: h,
    armRequestId: h,
  };
  const subscription = {
    id: 'sub1',
    label: h,
    timeZone: h,
    scopes: [{ scope: EXAMPLE_SCOPE, displayName: h }],
    mode: 'changes' as const,
    nextRun: null,
    enabled: false,
    disabledReason: h,
  };
  return {
    summary: buildSummaryCard({ scopes: [{ scope: EXAMPLE_SCOPE, displayName: h, ref: '1', alerts: [alert] }, { scope: OTHER_SCOPE, displayName: h, error: h }], banner }, ctx),
    'summary (confirm)': buildSummaryCard({ scopes: [{ scope: EXAMPLE_SCOPE, displayName: h, alerts: [alert] }], confirm }, ctx),
    detail: buildDetailCard({ alert, scopeDisplayName: h, banner }, ctx),
    'detail (confirm)': buildDetailCard({ alert, scopeDisplayName: h, confirm }, ctx),
    config: buildConfigCard({ configuration: unknownConfiguration(h), definition: alert.properties.alertDefinition, scopeDisplayName: h, banner }, ctx),
    'config form': buildConfigFormCard({ configuration: known, definition: alert.properties.alertDefinition, scopeDisplayName: h, formError: h }, ctx),
    digest: buildDigestCard(
      {
        scopes: [{ scope: EXAMPLE_SCOPE, displayName: h, alerts: [alert] }, { scope: OTHER_SCOPE, displayName: h, error: h }],
        diff: { first: false, newAlerts: [], resolvedAlerts: [{ scope: EXAMPLE_SCOPE, alertId: h }], newIncidents: [], resolvedIncidents: [], changedCounts: [], changed: true },
        label: h,
        allClear: false,
      },
      ctx,
    ),
    scopes: buildScopesCard({ scopes: [{ scope: EXAMPLE_SCOPE, displayName: h, alerts: [alert] }, { scope: OTHER_SCOPE, displayName: h, error: h }] }, ctx),
    subscriptions: buildSubscriptionsCard({ subscriptions: [subscription], banner }, ctx),
    subscribed: buildSubscribedCard({ subscription: { ...subscription, enabled: true }, position: 1 }, ctx),
    whoami: buildWhoamiCard({ name: h, objectId: h, mode: 'rbac', scopes: [{ scope: EXAMPLE_SCOPE, displayName: h, allowed: false, reason: h }] }, ctx),
    audit: buildAuditCard({ entries: [audit] }, ctx),
    error: buildErrorCard({ message: h, code: h, requestId: h, whatToDo: 'Type `alerts` to see them.' }, ctx),
  };
}
