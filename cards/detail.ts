// One alert in full: what it means, what to do, its configuration and its incidents, with the
// buttons that act on it. The same card shows a status banner (after an action) and a confirm step
// (before one). Incidents that do not fit the message are paged; long texts are truncated.
import {
  isKnownIncident,
  type Alert,
  type AlertConfiguration,
  type AlertDefinition,
  type AlertIncident,
} from '../bot/azure/models';
import { executeAction, type ActionPayload, type ActionVm, type CardContext } from './actions';
import { configurationFacts } from './config';
import {
  bannerVm,
  dataTime,
  fact,
  formatWhen,
  genericFacts,
  normaliseScope,
  plural,
  severityBadge,
  severityColor,
  severityLabel,
  worldLabel,
  type BannerInput,
  type BannerVm,
  type Fact,
  type TextColor,
} from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';
import { truncate, untrustedText } from './text';

/** A name or role in an incident's subject: long enough for a guest UPN, short enough for a banner. */
const SUBJECT_PART_CHARS = 80;

export interface ConfirmInput {
  question: string;
  /** A second line, e.g. what the action will change. */
  detail?: string;
  /** The action the Confirm button performs. */
  confirm: ActionPayload;
  confirmTitle?: string;
  /** Red Confirm button for actions that remove something (dismiss, remediate). */
  destructive?: boolean;
}

export interface DetailInput {
  alert: Alert;
  /** Defaults to the alert's scope. */
  scope?: string;
  scopeDisplayName?: string;
  /** Defaults to the incidents embedded in the alert. */
  incidents?: AlertIncident[];
  /** Defaults to the configuration embedded in the alert. */
  configuration?: AlertConfiguration;
  /** Defaults to the definition embedded in the alert. */
  definition?: AlertDefinition;
  banner?: BannerInput;
  confirm?: ConfirmInput;
  /** 1-based page of incidents. */
  incidentPage?: number;
  /** Hide the action buttons (paging stays). */
  readOnly?: boolean;
  /** When the alert was read (ms since the epoch); the card says "as of" it, or now when absent. */
  readAt?: number;
}

export interface DetailOptions {
  maxChars?: number;
}

export interface IncidentVm {
  incidentId: string;
  title: string;
  facts: Fact[];
  hasActions: boolean;
  actions: ActionVm[];
}

export interface DetailVm extends FooterVm, BannerVm {
  fallbackText: string;
  title: string;
  headline: string;
  headlineColor: TextColor;
  hasConfirm: boolean;
  confirmQuestion: string;
  hasConfirmDetail: boolean;
  confirmDetail: string;
  confirmActions: ActionVm[];
  facts: Fact[];
  sections: Array<{ title: string; text: string }>;
  hasConfig: boolean;
  configTitle: string;
  configFacts: Fact[];
  incidentsTitle: string;
  showNoIncidents: boolean;
  noIncidentsText: string;
  incidents: IncidentVm[];
  incidentPage: number;
  hasMoreIncidents: boolean;
  moreIncidentsCount: number;
  moreIncidentsText: string;
  hasIncidentPaging: boolean;
  incidentPagingActions: ActionVm[];
  hasActions: boolean;
  actions: ActionVm[];
}

function person(name: string | undefined, upn: string | undefined): string | undefined {
  const n = name?.trim();
  const u = upn?.trim();
  if (n && u && n !== u) return `${n} (${u})`;
  return n || u || undefined;
}

/**
 * What an incident is about, in the words of a sentence ("Remediate <subject>?"): the principal and
 * the role for assignments, the role for a duplicate role, the incident id for a kind this bot does
 * not know. Each part is capped, so that a banner made of it stays whole; it is made inert where it
 * is shown (banners, confirm questions and audit details all go through untrustedText).
 */
export function incidentSubject(incident: AlertIncident): string {
  const p = incident.properties;
  const capped = (s: string) => truncate(s, SUBJECT_PART_CHARS);
  if (!isKnownIncident(p)) return `incident ${capped(incident.name)}`;
  switch (p.alertIncidentType) {
    case 'AzureRolesAssignedOutsidePimAlertIncident': {
      const who = person(p.assigneeDisplayName, p.assigneeUserPrincipalName) ?? p.assigneeId?.trim();
      const role = p.roleDisplayName?.trim();
      if (!who) return `incident ${capped(incident.name)}`;
      return `the ${role ? `${capped(role)} ` : 'role '}assignment of ${capped(who)}, made outside PIM`;
    }
    case 'TooManyOwnersAssignedToResourceAlertIncident':
    case 'TooManyPermanentOwnersAssignedToResourceAlertIncident': {
      const name = p.assigneeName?.trim();
      if (!name) return `incident ${capped(incident.name)}`;
      const type = p.assigneeType?.trim();
      const permanent = p.alertIncidentType === 'TooManyPermanentOwnersAssignedToResourceAlertIncident' ? 'permanent ' : '';
      return `the ${permanent}Owner assignment of ${capped(name)}${type ? ` (${capped(type)})` : ''}`;
    }
    case 'DuplicateRoleCreatedAlertIncident': {
      const role = p.roleName?.trim();
      return role ? `the duplicate role ${capped(role)}` : `incident ${capped(incident.name)}`;
    }
    // Entra ID directory roles (Microsoft Graph).
    case 'tooManyGlobalAdminsAssignedToTenantAlertIncident':
    case 'staleSignInAlertIncident':
    case 'redundantAssignmentAlertIncident':
    case 'sequentialActivationRenewalsAlertIncident':
    case 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident': {
      const who = person(p.assigneeDisplayName, p.assigneeUserPrincipalName) ?? p.assigneeId?.trim();
      const role = ('roleDisplayName' in p ? p.roleDisplayName?.trim() : undefined) || (p.alertIncidentType === 'tooManyGlobalAdminsAssignedToTenantAlertIncident' ? 'Global Administrator' : undefined);
      if (!who) return `incident ${capped(incident.name)}`;
      const outside = p.alertIncidentType === 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident' ? ', made outside PIM' : '';
      return `the ${role ? `${capped(role)} ` : 'directory role '}assignment of ${capped(who)}${outside}`;
    }
    case 'noMfaOnRoleActivationAlertIncident': {
      const role = p.roleDisplayName?.trim();
      return role ? `the ${capped(role)} role's activation without multi-factor authentication` : `incident ${capped(incident.name)}`;
    }
    case 'invalidLicenseAlertIncident':
      return `incident ${capped(incident.name)}`;
  }
}

/** The title and facts an incident of each kind carries; unknown kinds show their plain properties. */
export function incidentView(incident: AlertIncident, ctx: Pick<CardContext, 'now' | 'timeZone'>): { title: string; facts: Fact[] } {
  const p = incident.properties;
  const idFact = fact('Incident id', incident.name);
  if (!isKnownIncident(p)) {
    return {
      title: untrustedText(incident.name, TEXT_LIMITS.name),
      facts: [
        ...fact('Kind', String(p.alertIncidentType)),
        ...genericFacts(p, ['alertIncidentType'], { maxFacts: TEXT_LIMITS.genericFacts, maxValue: TEXT_LIMITS.fact }),
        ...idFact,
      ],
    };
  }
  switch (p.alertIncidentType) {
    case 'AzureRolesAssignedOutsidePimAlertIncident': {
      const assignee = person(p.assigneeDisplayName, p.assigneeUserPrincipalName);
      return {
        title: untrustedText(assignee ?? p.assigneeId ?? incident.name, TEXT_LIMITS.name),
        facts: [
          ...fact('Assignee', assignee ?? p.assigneeId),
          ...fact('Role', p.roleDisplayName),
          ...fact('Requested by', person(p.requestorDisplayName, p.requestorUserPrincipalName) ?? p.requestorId),
          ...fact('Activated', p.assignmentActivatedDate ? formatWhen(p.assignmentActivatedDate, { timeZone: ctx.timeZone, now: ctx.now }) : undefined),
          ...idFact,
        ],
      };
    }
    case 'DuplicateRoleCreatedAlertIncident':
      return {
        title: untrustedText(p.roleName?.trim() || incident.name, TEXT_LIMITS.name),
        facts: [...fact('Role', p.roleName), ...fact('Duplicate roles', p.duplicateRoles), ...fact('Reason', p.reason), ...idFact],
      };
    case 'TooManyOwnersAssignedToResourceAlertIncident':
    case 'TooManyPermanentOwnersAssignedToResourceAlertIncident':
      return {
        title: untrustedText(p.assigneeName?.trim() || incident.name, TEXT_LIMITS.name),
        facts: [...fact('Assignee', p.assigneeName), ...fact('Type', p.assigneeType), ...idFact],
      };
    // Entra ID directory roles (Microsoft Graph).
    case 'tooManyGlobalAdminsAssignedToTenantAlertIncident':
    case 'staleSignInAlertIncident':
    case 'redundantAssignmentAlertIncident':
    case 'sequentialActivationRenewalsAlertIncident':
    case 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident': {
      const assignee = person(p.assigneeDisplayName, p.assigneeUserPrincipalName);
      const at = (iso: string | undefined) => (iso ? formatWhen(iso, { timeZone: ctx.timeZone, now: ctx.now }) : undefined);
      const role = 'roleDisplayName' in p ? p.roleDisplayName : p.alertIncidentType === 'tooManyGlobalAdminsAssignedToTenantAlertIncident' ? 'Global Administrator' : undefined;
      const dates: Fact[] =
        p.alertIncidentType === 'staleSignInAlertIncident'
          ? [...fact('Last sign-in', at(p.lastSignInDateTime) ?? 'never'), ...fact('Assigned', at(p.assignmentCreatedDateTime))]
          : p.alertIncidentType === 'redundantAssignmentAlertIncident'
            ? [...fact('Last activation', at(p.lastActivationDateTime) ?? 'never')]
            : p.alertIncidentType === 'sequentialActivationRenewalsAlertIncident'
              ? [
                  ...fact('Activations', p.activationCount === undefined ? undefined : String(p.activationCount)),
                  ...fact('From', at(p.sequenceStartDateTime)),
                  ...fact('To', at(p.sequenceEndDateTime)),
                ]
              : p.alertIncidentType === 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident'
                ? [...fact('Assigned', at(p.assignmentCreatedDateTime ?? p.lastActivationDateTime))]
                : [];
      return {
        title: untrustedText(assignee ?? p.assigneeId ?? incident.name, TEXT_LIMITS.name),
        facts: [...fact('Assignee', assignee ?? p.assigneeId), ...fact('Directory role', role), ...dates, ...idFact],
      };
    }
    case 'noMfaOnRoleActivationAlertIncident':
      return {
        title: untrustedText(p.roleDisplayName?.trim() || incident.name, TEXT_LIMITS.name),
        facts: [...fact('Directory role', p.roleDisplayName), ...fact('Role template id', p.roleTemplateId), ...idFact],
      };
    case 'invalidLicenseAlertIncident':
      return {
        title: untrustedText(p.tenantLicenseStatus?.trim() || incident.name, TEXT_LIMITS.name),
        facts: [...fact('Licence status', p.tenantLicenseStatus), ...idFact],
      };
  }
}

/** Everything that does not depend on the cut. */
interface Prepared {
  input: DetailInput;
  /** Incident view models by index: the cut renders the same incidents many times. */
  incidentVms: Map<number, IncidentVm>;
  scope: string;
  alertId: string;
  name: string;
  definition?: AlertDefinition;
  configuration?: AlertConfiguration;
  incidents: AlertIncident[];
  incidentCount: number;
  active: boolean;
  showActions: boolean;
}

function prepare(input: DetailInput): Prepared {
  const props = input.alert.properties;
  const definition = input.definition ?? props.alertDefinition;
  const incidents = input.incidents ?? props.alertIncidents ?? [];
  return {
    input,
    incidentVms: new Map(),
    scope: normaliseScope(input.scope ?? props.scope ?? definition?.properties.scope ?? ''),
    alertId: input.alert.name,
    name: untrustedText(definition?.properties.displayName?.trim() || input.alert.name, TEXT_LIMITS.name),
    definition,
    configuration: input.configuration ?? props.alertConfiguration,
    incidents,
    incidentCount: Math.max(props.incidentCount ?? 0, incidents.length),
    active: props.isActive !== false,
    showActions: !input.readOnly && !input.confirm,
  };
}

function incidentVm(p: Prepared, incident: AlertIncident, ctx: CardContext): IncidentVm {
  const view = incidentView(incident, ctx);
  const actions =
    // A dismissed (inactive) alert's incidents are history: remediating them is not offered.
    p.showActions && p.active && p.definition?.properties.isRemediatable
      ? [
          executeAction(
            ctx,
            'Remediate',
            { verb: 'remediateConfirm', scope: p.scope, alertId: p.alertId, incidentId: incident.name },
            'destructive',
          ),
        ]
      : [];
  return { incidentId: incident.name, ...view, hasActions: actions.length > 0, actions };
}

function layout(p: Prepared, ctx: CardContext, page: number, start: number, count: number, textLimit: number): DetailVm {
  const { input, scope, alertId, definition } = p;
  const props = input.alert.properties;
  const def = definition?.properties;
  const severity = severityLabel(def?.severityLevel);
  const badge = severityBadge(def?.severityLevel);
  const when = (iso: string | undefined): string | undefined => (iso ? formatWhen(iso, { timeZone: ctx.timeZone, now: ctx.now }) : undefined);
  const scopeLabel = input.scopeDisplayName?.trim() ? `${input.scopeDisplayName.trim()} (${scope})` : scope;

  const sections = (
    [
      ['Description', def?.description],
      ['Security impact', def?.securityImpact],
      ['Mitigation steps', def?.mitigationSteps],
      ['How to prevent', def?.howToPrevent],
    ] as const
  )
    .filter(([, text]) => text?.trim())
    .map(([title, text]) => ({ title, text: untrustedText(text, textLimit) }));

  const confirm = input.confirm;
  const confirmActions = confirm
    ? [
        executeAction(ctx, confirm.confirmTitle ?? 'Confirm', confirm.confirm, confirm.destructive ? 'destructive' : 'positive'),
        executeAction(ctx, 'Cancel', { verb: 'cancel', scope, alertId }),
      ]
    : [];

  const actions: ActionVm[] = [];
  if (p.showActions) {
    actions.push(executeAction(ctx, 'Refresh', { verb: 'refreshConfirm', scope, alertId }));
    if (p.active) actions.push(executeAction(ctx, 'Dismiss', { verb: 'dismissConfirm', scope, alertId }, 'destructive'));
    if (def?.isConfigurable) actions.push(executeAction(ctx, 'Configure', { verb: 'configure', scope, alertId }));
    // Details replaces the summary card in place: this is the way back to it.
    actions.push(executeAction(ctx, 'All alerts', { verb: 'alerts', scope }));
  }

  const shown = p.incidents.slice(start, start + count);
  const rest = p.incidents.length - start - shown.length;
  const paging: ActionVm[] = [];
  if (page > 1) paging.push(executeAction(ctx, 'Previous incidents', { verb: 'incidents', scope, alertId, page: page - 1 }));
  if (rest > 0) paging.push(executeAction(ctx, 'More incidents', { verb: 'incidents', scope, alertId, page: page + 1 }));

  const total = p.incidents.length;
  const range = total > 0 && (start > 0 || rest > 0) ? ` — showing ${start + 1}–${start + shown.length} of ${total}` : '';
  const hasConfig = p.configuration !== undefined;
  // Composed by the handlers from names of scopes, alerts and people: shown as untrusted text.
  const confirmText = untrustedText(confirm?.question, TEXT_LIMITS.sentence);
  const confirmDetail = untrustedText(confirm?.detail, TEXT_LIMITS.paragraph);

  return {
    ...footerVm(ctx.localRunNote),
    ...bannerVm(input.banner),
    fallbackText: `${p.name}: ${severity} severity, ${p.active ? 'active' : 'inactive'}, ${plural(p.incidentCount, 'incident')} on ${scope}.`,
    title: p.name,
    headline: `${badge} severity · ${p.active ? 'Active' : 'Inactive'}`,
    headlineColor: p.active ? severityColor(def?.severityLevel) : 'default',
    hasConfirm: confirm !== undefined,
    confirmQuestion: confirmText,
    hasConfirmDetail: confirmDetail !== '',
    confirmDetail,
    confirmActions,
    facts: [
      ...fact('Scope', scopeLabel),
      ...fact('Applies to', worldLabel(scope)),
      ...fact('Alert id', alertId),
      { title: 'Incidents', value: String(p.incidentCount) },
      { title: 'Last scan', value: when(props.lastScannedDateTime) ?? 'not scanned yet' },
      ...fact('Last change', when(props.lastModifiedDateTime)),
      { title: 'As of', value: dataTime([input.readAt], { timeZone: ctx.timeZone, now: ctx.now }) },
    ],
    sections,
    hasConfig,
    configTitle: 'Configuration',
    configFacts: p.configuration ? configurationFacts(p.configuration.properties) : [],
    incidentsTitle: `Incidents (${total})${range}`,
    showNoIncidents: total === 0,
    noIncidentsText: p.incidentCount > 0 ? 'The incidents were not loaded.' : 'No incidents.',
    incidents: shown.map((incident, i) => {
      let vm = p.incidentVms.get(start + i);
      if (!vm) {
        vm = incidentVm(p, incident, ctx);
        p.incidentVms.set(start + i, vm);
      }
      return vm;
    }),
    incidentPage: page,
    hasMoreIncidents: rest > 0,
    moreIncidentsCount: Math.max(0, rest),
    moreIncidentsText: rest > 0 ? `and ${plural(rest, 'more incident')}` : '',
    hasIncidentPaging: paging.length > 0,
    incidentPagingActions: paging,
    hasActions: actions.length > 0,
    actions,
  };
}

/** Text limits tried in turn when even one incident does not fit next to the full texts. */
const TEXT_STEPS = [TEXT_LIMITS.paragraph, 600, 200];

export function buildDetailView(input: DetailInput, ctx: CardContext, options: DetailOptions = {}): DetailVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const p = prepare(input);
  const fits = (vm: DetailVm): boolean => fitsCard(renderCard('detail', vm), maxChars);
  const wanted = Math.max(1, Math.floor(input.incidentPage ?? 1));
  const total = p.incidents.length;

  const pick = (page: number, start: number, guess?: number): { count: number; textLimit: number } => {
    const remaining = total - start;
    for (const textLimit of TEXT_STEPS) {
      if (remaining === 0) {
        if (fits(layout(p, ctx, page, start, 0, textLimit))) return { count: 0, textLimit };
        continue;
      }
      const count = largestFitting(1, remaining, (n) => fits(layout(p, ctx, page, start, n, textLimit)), guess);
      if (count >= 1) return { count, textLimit };
    }
    // Nothing fits even with the shortest texts (only possible with absurd data): still make progress.
    return { count: Math.min(1, remaining), textLimit: TEXT_STEPS[TEXT_STEPS.length - 1] ?? 200 };
  };

  // Pages are cut where the rendered card would go over budget, so page n starts where page n-1
  // ended; the previous page's size is a good first guess for the next.
  let start = 0;
  let guess: number | undefined;
  for (let page = 1; ; page++) {
    const { count, textLimit } = pick(page, start, guess);
    if (page === wanted || start + count >= total) return layout(p, ctx, page, start, count, textLimit);
    start += count;
    guess = count;
  }
}

export function buildDetailCard(input: DetailInput, ctx: CardContext, options: DetailOptions = {}): AdaptiveCardJson {
  return renderCard('detail', buildDetailView(input, ctx, options));
}
