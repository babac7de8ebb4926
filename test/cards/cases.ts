// Every card variant the bot can send, rendered from realistic data. The schema test validates each
// one; other tests may reuse the list.
import type { Alert, AlertConfiguration, AlertIncident } from '../../bot/azure/models';
import { buildConfigCard, buildConfigFormCard } from '../../cards/config';
import { buildDetailCard } from '../../cards/detail';
import { buildErrorCard } from '../../cards/error';
import { buildHelpCard } from '../../cards/help';
import { COMMANDS } from '../../bot/commands/catalog';
import type { AdaptiveCardJson, TemplateName } from '../../cards/render';
import { buildScopesCard } from '../../cards/scopes';
import { buildSummaryCard } from '../../cards/summary';
import { buildWhoamiCard } from '../../cards/whoami';
import { buildAuditCard } from '../../cards/audit';
import { buildDigestCard } from '../../cards/digest';
import { buildSubscribedCard, buildSubscriptionsCard } from '../../cards/subscriptions';
import { buildWelcomeCard } from '../../cards/welcome';
import { MEGAN, auditEntries, decidedScopes } from './accessData';
import {
  EXAMPLE_SCOPE,
  exampleAlert,
  exampleAlerts,
  exampleConfigurations,
  exampleDefinitions,
  makeAlert,
  manyScopes,
  testContext,
} from './data';

export interface CardCase {
  name: string;
  template: TemplateName;
  card: AdaptiveCardJson;
}

const ctx = testContext({ timeZone: 'Europe/Berlin' });
const localCtx = testContext({ localRunNote: 'Local run: everyone may act' });

function withIncidents(alert: Alert, incidents: AlertIncident[]): Alert {
  return { ...alert, properties: { ...alert.properties, alertIncidents: incidents, incidentCount: incidents.length } };
}

export function allCardCases(): CardCase[] {
  const cases: CardCase[] = [];
  const add = (name: string, template: TemplateName, card: AdaptiveCardJson): void => {
    cases.push({ name, template, card });
  };

  // summary
  const prod = { scope: EXAMPLE_SCOPE, displayName: 'Contoso Production', ref: '1', alerts: exampleAlerts() };
  add('summary from GetAlerts', 'summary', buildSummaryCard({ scopes: [prod] }, ctx));
  add(
    'summary with an unreadable scope and an empty one',
    'summary',
    buildSummaryCard(
      {
        scopes: [
          prod,
          { scope: 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', error: 'AuthorizationFailed: The client does not have authorization to perform action. More text.' },
          { scope: 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', displayName: 'Contoso Dev', alerts: [] },
        ],
      },
      localCtx,
    ),
  );
  add('summary with no scopes', 'summary', buildSummaryCard({ scopes: [] }, ctx));
  add('summary filtered to High', 'summary', buildSummaryCard({ scopes: manyScopes(3, 12), filter: { severity: 'High' } }, ctx));
  const big = manyScopes(50, 300);
  add('summary cut (300 alerts, 50 scopes)', 'summary', buildSummaryCard({ scopes: big }, ctx));
  add('summary cut, page 2', 'summary', buildSummaryCard({ scopes: big, page: 2 }, ctx));
  const oneBig = [{ scope: EXAMPLE_SCOPE, displayName: 'Contoso Production', alerts: manyScopes(1, 8)[0]?.alerts ?? [] }];
  add('summary of one scope, paged', 'summary', buildSummaryCard({ scopes: oneBig }, ctx, { maxChars: 6_000 }));
  add('summary of one scope, page 2', 'summary', buildSummaryCard({ scopes: oneBig, page: 2 }, ctx, { maxChars: 6_000 }));

  // detail: every incident kind, unknown kind, banner, confirm, inactive, cut
  for (const def of ['AzureRolesAssignedOutsidePimAlert', 'DuplicateRoleCreated', 'TooManyOwnersAssignedToResource', 'TooManyPermanentOwnersAssignedToResource']) {
    add(`detail ${def}`, 'detail', buildDetailCard({ alert: makeAlert(EXAMPLE_SCOPE, def, { incidents: 3 }) }, ctx));
  }
  add('detail from GetAlertById', 'detail', buildDetailCard({ alert: exampleAlert() }, localCtx));
  add('detail of an unknown kind', 'detail', buildDetailCard({ alert: makeAlert(EXAMPLE_SCOPE, 'StaleSignInAlert', { incidents: 2 }) }, ctx));
  add(
    'detail with banner',
    'detail',
    buildDetailCard({ alert: makeAlert(EXAMPLE_SCOPE, 'TooManyOwnersAssignedToResource', { active: false }), banner: { text: 'Dismissed by Megan Bowen at 10:02', style: 'good' } }, ctx),
  );
  add(
    'detail with confirm',
    'detail',
    buildDetailCard(
      {
        alert: exampleAlert(),
        confirm: {
          question: 'Dismiss "Too many owners assigned to a resource" on Contoso Production?',
          detail: 'The alert stays dismissed until the next scan finds it again.',
          confirm: { verb: 'dismiss', scope: EXAMPLE_SCOPE, alertId: 'TooManyOwnersAssignedToResource' },
          confirmTitle: 'Dismiss',
          destructive: true,
        },
      },
      ctx,
    ),
  );
  add('detail with no incidents', 'detail', buildDetailCard({ alert: withIncidents(exampleAlert(), []) }, ctx));
  const huge = makeAlert(EXAMPLE_SCOPE, 'AzureRolesAssignedOutsidePimAlert', { incidents: 500 });
  add('detail cut (500 incidents)', 'detail', buildDetailCard({ alert: huge }, ctx));
  add('detail cut, page 3', 'detail', buildDetailCard({ alert: huge, incidentPage: 3 }, ctx));
  add('detail read-only', 'detail', buildDetailCard({ alert: exampleAlert(), readOnly: true }, ctx));

  // error
  add('error minimal', 'error', buildErrorCard({ message: 'The bot could not read the alerts of Contoso Production.' }, ctx));
  add(
    'error full',
    'error',
    buildErrorCard(
      {
        message: 'Azure refused to dismiss the alert because the bot lacks permission. Extra sentence.',
        whatToDo: 'Ask an admin to give the bot the Owner role on the scope, then try again.',
        code: 'AuthorizationFailed',
        requestId: '7f5e5ad0-4f3a-4b0e-9d33-3c0f0f7b1e42',
        retry: { verb: 'dismissConfirm', scope: EXAMPLE_SCOPE, alertId: 'TooManyOwnersAssignedToResource' },
        help: true,
      },
      localCtx,
    ),
  );

  // help, scopes
  add('help', 'help', buildHelpCard({}, localCtx));
  for (const c of COMMANDS) add(`help ${c.name}`, 'commandHelp', buildHelpCard({ topic: c.name }, localCtx));
  add(
    'scopes',
    'scopes',
    buildScopesCard(
      {
        scopes: [
          { scope: EXAMPLE_SCOPE, displayName: 'Contoso Production', alerts: exampleAlerts() },
          { scope: 'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590', error: 'The bot has no role on this subscription.' },
          { scope: 'subscriptions/2c1d4a0f-9b1e-4a57-8e1f-5d0c1c2e8a11', activeAlertCount: 0 },
          { scope: 'providers/Microsoft.Management/managementGroups/mg-contoso', displayName: 'Contoso root' },
        ],
      },
      localCtx,
    ),
  );
  add('scopes empty', 'scopes', buildScopesCard({ scopes: [] }, ctx));
  add('scopes paged', 'scopes', buildScopesCard({ scopes: manyScopes(40, 80), page: 2 }, ctx, { maxChars: 8_000 }));

  // config and configForm of every kind
  const configs: AlertConfiguration[] = [
    ...exampleConfigurations(),
    {
      id: `/${EXAMPLE_SCOPE}/providers/Microsoft.Authorization/roleManagementAlertConfigurations/StaleSignInAlert`,
      name: 'StaleSignInAlert',
      type: 'Microsoft.Authorization/roleManagementAlertConfigurations',
      properties: { alertConfigurationType: 'StaleSignInAlertConfiguration', alertDefinitionId: 'StaleSignInAlert', scope: EXAMPLE_SCOPE, isEnabled: false, thresholdDays: 90 },
    },
  ];
  const defs = exampleDefinitions();
  for (const configuration of configs) {
    const definition = defs.find((d) => d.name === configuration.name);
    const kind = configuration.properties.alertConfigurationType;
    add(`config ${kind}`, 'config', buildConfigCard({ configuration, definition }, ctx));
    add(`configForm ${kind}`, 'configForm', buildConfigFormCard({ configuration, definition }, localCtx));
  }
  const owners = configs.find((c) => c.name === 'TooManyOwnersAssignedToResource');
  if (owners) {
    add(
      'configForm with an error and submitted values',
      'configForm',
      buildConfigFormCard({ configuration: owners, formError: 'Owner count threshold must be a whole number of at least 1.', values: { isEnabled: 'false', thresholdNumberOfOwners: '0' } }, ctx),
    );
    add('config with banner', 'config', buildConfigCard({ configuration: owners, banner: { text: 'Saved by Megan Bowen at 10:02', style: 'good' } }, ctx));
  }
  // summary with a banner and in a confirm step
  add(
    'summary with banner',
    'summary',
    buildSummaryCard({ scopes: [prod], banner: { text: 'Refreshing — started by Megan Bowen at 10:02' } }, ctx),
  );
  add(
    'summary with confirm',
    'summary',
    buildSummaryCard(
      {
        scopes: [prod],
        confirm: {
          question: 'Rescan every alert on Contoso Production now?',
          detail: 'A scan can take a few minutes; I will post the result in this thread.',
          confirm: { verb: 'refresh', scope: EXAMPLE_SCOPE },
          confirmTitle: 'Refresh',
        },
      },
      ctx,
    ),
  );

  // whoami and audit
  add('whoami rbac', 'whoami', buildWhoamiCard({ ...MEGAN, mode: 'rbac', scopes: decidedScopes(5) }, ctx));
  add('whoami everyone, no scopes', 'whoami', buildWhoamiCard({ mode: 'everyone', scopes: [] }, localCtx));
  add('whoami cut (200 scopes)', 'whoami', buildWhoamiCard({ ...MEGAN, mode: 'allowlist', scopes: decidedScopes(200) }, ctx));
  add('audit', 'audit', buildAuditCard({ entries: auditEntries(8) }, ctx));
  add('audit empty', 'audit', buildAuditCard({ entries: [] }, localCtx));
  add('audit cut (500 entries)', 'audit', buildAuditCard({ entries: auditEntries(500) }, ctx));

  // digests, subscriptions, welcome
  const [newAlert] = exampleAlerts();
  const diff = {
    first: false,
    newAlerts: newAlert ? [{ scope: EXAMPLE_SCOPE, alertId: newAlert.name }] : [],
    resolvedAlerts: [{ scope: EXAMPLE_SCOPE, alertId: 'DuplicateRoleCreated' }],
    newIncidents: [],
    resolvedIncidents: [],
    changedCounts: [],
    changed: true,
  };
  add('digest with changes', 'digest', buildDigestCard({ scopes: [prod], diff, label: 'daily at 09:00', allClear: false }, ctx));
  add('digest all clear', 'digest', buildDigestCard({ scopes: [{ scope: EXAMPLE_SCOPE, alerts: [] }], label: 'weekdays at 08:30', allClear: true }, localCtx));
  add('digest cut (30 scopes, 300 alerts)', 'digest', buildDigestCard({ scopes: manyScopes(30, 300), label: 'hourly', allClear: false }, ctx));
  const subscription = {
    id: 'Xk3v9QpA',
    label: 'daily at 09:00',
    timeZone: 'Europe/Berlin',
    scopes: [],
    allScopesCount: 3,
    mode: 'changes' as const,
    nextRun: new Date('2022-04-09T07:00:00Z'),
    enabled: true,
  };
  add('subscribed', 'subscriptions', buildSubscribedCard({ subscription, position: 1 }, ctx));
  add('subscriptions', 'subscriptions', buildSubscriptionsCard({ subscriptions: [subscription, { ...subscription, id: 'b', enabled: false, disabledReason: 'The bot is no longer in this conversation.' }] }, ctx));
  add('subscriptions empty', 'subscriptions', buildSubscriptionsCard({ subscriptions: [], banner: { text: 'There is no digest here to stop.' } }, localCtx));
  add('welcome', 'welcome', buildWelcomeCard(ctx));
  return cases;
}
