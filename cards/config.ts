// An alert's configuration: read-only facts with a Change button, and the form that changes it. The
// fields each configuration kind carries are listed once here and drive the facts, the form inputs
// and the parsing of what the form sends back.
import {
  isKnownConfiguration,
  type AlertConfiguration,
  type AlertConfigurationProperties,
  type AlertConfigurationUpdate,
  type AlertDefinition,
  type KnownConfigurationType,
} from '../bot/azure/models';
import { daysDuration, describeDuration, durationSeconds, minutesDuration } from '../bot/azure/duration';
import { executeAction, type ActionVm, type CardContext } from './actions';
import {
  bannerVm,
  genericFacts,
  normaliseScope,
  untrustedSentence,
  worldLabel,
  yesNo,
  type BannerInput,
  type BannerVm,
  type Fact,
} from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { TEXT_LIMITS } from './size';
import { untrustedText } from './text';

export interface ConfigField {
  /** Property name on the configuration and input id on the form. */
  key: string;
  label: string;
  /** days and minutes: an ISO 8601 duration on the wire (Graph), a whole number of the unit on the form. */
  unit: 'count' | 'percent' | 'days' | 'minutes';
  min: number;
  max?: number;
}

const COUNT = { unit: 'count', min: 1 } as const;
const PERCENT = { unit: 'percent', min: 0, max: 100 } as const;
// Graph documents no ranges for its durations; these keep a typo (a year of minutes) off the service.
const DAYS = { unit: 'days', min: 1, max: 365 } as const;
const MINUTES = { unit: 'minutes', min: 1, max: 1440 } as const;
const SECONDS_PER: Record<'days' | 'minutes', number> = { days: 86_400, minutes: 60 };

export const CONFIG_FIELDS: Readonly<Record<KnownConfigurationType, readonly ConfigField[]>> = {
  TooManyOwnersAssignedToResourceAlertConfiguration: [
    { key: 'thresholdNumberOfOwners', label: 'Owner count threshold', ...COUNT },
    { key: 'thresholdPercentageOfOwnersOutOfAllRoleMembers', label: 'Owner percentage threshold (% of all role members)', ...PERCENT },
  ],
  TooManyPermanentOwnersAssignedToResourceAlertConfiguration: [
    { key: 'thresholdNumberOfPermanentOwners', label: 'Permanent owner count threshold', ...COUNT },
    { key: 'thresholdPercentageOfPermanentOwnersOutOfAllOwners', label: 'Permanent owner percentage threshold (% of all owners)', ...PERCENT },
  ],
  DuplicateRoleCreatedAlertConfiguration: [],
  AzureRolesAssignedOutsidePimAlertConfiguration: [],
  // Entra ID directory roles (Microsoft Graph).
  tooManyGlobalAdminsAssignedToTenantAlertConfiguration: [
    { key: 'globalAdminCountThreshold', label: 'Global Administrator count threshold', ...COUNT },
    { key: 'percentageOfGlobalAdminsOutOfRolesThreshold', label: 'Global Administrator percentage threshold (% of privileged role assignments)', ...PERCENT },
  ],
  sequentialActivationRenewalsAlertConfiguration: [
    { key: 'timeIntervalBetweenActivations', label: 'Time between activations (minutes)', ...MINUTES },
    { key: 'sequentialActivationCounterThreshold', label: 'Activations in a row', ...COUNT },
  ],
  staleSignInAlertConfiguration: [{ key: 'duration', label: 'Days without sign-in', ...DAYS }],
  redundantAssignmentAlertConfiguration: [{ key: 'duration', label: 'Days without activation', ...DAYS }],
  invalidLicenseAlertConfiguration: [],
  noMfaOnRoleActivationAlertConfiguration: [],
  rolesAssignedOutsidePrivilegedIdentityManagementAlertConfiguration: [],
};

/** Input id of the enabled toggle on the configure form. */
export const ENABLED_INPUT_ID = 'isEnabled';

/** Properties every configuration has, left out of the generic facts of an unknown kind. */
const BASE_KEYS = ['alertConfigurationType', 'alertDefinitionId', 'scope', 'isEnabled', 'alertDefinition'];

function isDuration(field: ConfigField): field is ConfigField & { unit: 'days' | 'minutes' } {
  return field.unit === 'days' || field.unit === 'minutes';
}

function formatValue(field: ConfigField, value: unknown): string {
  if (isDuration(field)) {
    const seconds = durationSeconds(value);
    if (seconds !== undefined) return describeDuration(seconds);
    return typeof value === 'string' && value.trim() !== '' ? untrustedText(value, TEXT_LIMITS.fact) : 'not set';
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'not set';
  return field.unit === 'percent' ? `${value}%` : String(value);
}

/** The form's number for a configured value: a duration in the field's unit when it is a whole number of it. */
function formNumber(field: ConfigField, value: unknown): number | undefined {
  if (!isDuration(field)) return asNumber(value);
  const seconds = durationSeconds(value);
  if (seconds === undefined || seconds % SECONDS_PER[field.unit] !== 0) return undefined;
  return seconds / SECONDS_PER[field.unit];
}

/** What the service is sent for a number from the form. */
function wireValue(field: ConfigField, n: number): number | string {
  if (field.unit === 'days') return daysDuration(n);
  if (field.unit === 'minutes') return minutesDuration(n);
  return n;
}

function placeholderText(field: ConfigField, current: unknown): string {
  const max = field.max ?? MAX_COUNT;
  if (isDuration(field)) {
    const unit = field.unit === 'days' ? 'Days' : 'Minutes';
    // A current value that is not a whole number of the unit (e.g. 10 seconds) is named, not rounded.
    const now = formNumber(field, current) === undefined && durationSeconds(current) !== undefined ? ` (now ${formatValue(field, current)})` : '';
    return `${unit}, ${field.min} to ${max}${now}`;
  }
  return field.unit === 'percent' ? 'Percent, 0 to 100' : `At least ${field.min}`;
}

/** Enabled plus the thresholds of the kind; an unknown kind's plain properties, named generically. */
export function configurationFacts(props: AlertConfigurationProperties): Fact[] {
  const facts: Fact[] = [{ title: 'Enabled', value: yesNo(props.isEnabled) }];
  if (isKnownConfiguration(props)) {
    const record = props as unknown as Record<string, unknown>;
    for (const field of CONFIG_FIELDS[props.alertConfigurationType]) {
      facts.push({ title: field.label, value: formatValue(field, record[field.key]) });
    }
    return facts;
  }
  facts.push({ title: 'Kind', value: untrustedText(String(props.alertConfigurationType), TEXT_LIMITS.fact) });
  facts.push(
    ...genericFacts(props as Record<string, unknown>, BASE_KEYS, {
      maxFacts: TEXT_LIMITS.genericFacts,
      maxValue: TEXT_LIMITS.fact,
    }),
  );
  return facts;
}

function definitionOf(configuration: AlertConfiguration, definition: AlertDefinition | undefined): AlertDefinition | undefined {
  return definition ?? configuration.properties.alertDefinition;
}

/**
 * Whether the bot can offer a form: the service must say the alert is configurable and the bot must
 * know the kind, because the update body has to name a known kind.
 */
export function canConfigure(configuration: AlertConfiguration, definition?: AlertDefinition): boolean {
  const def = definitionOf(configuration, definition);
  return isKnownConfiguration(configuration.properties) && def?.properties.isConfigurable !== false;
}

interface ConfigCommon {
  configuration: AlertConfiguration;
  /** The alert's definition, when the configuration does not embed it (gives its name and isConfigurable). */
  definition?: AlertDefinition;
  /** Defaults to the configuration's scope. */
  scope?: string;
  scopeDisplayName?: string;
  /** Defaults to the configuration's name, which is the alert id. */
  alertId?: string;
}

/** The ids (raw, for buttons) and the names and subtitle as the card shows them (escaped). */
function common(input: ConfigCommon): { scope: string; alertId: string; alertName: string; scopeLabel: string; subtitle: string } {
  const def = definitionOf(input.configuration, input.definition);
  const scope = normaliseScope(input.scope ?? input.configuration.properties.scope ?? '');
  const alertId = input.alertId ?? input.configuration.properties.alertDefinitionId ?? input.configuration.name;
  const alertName = untrustedText(def?.properties.displayName?.trim() || alertId, TEXT_LIMITS.name);
  const displayName = input.scopeDisplayName?.trim();
  const scopeLabel = untrustedText(displayName || scope, TEXT_LIMITS.name);
  return { scope, alertId, alertName, scopeLabel, subtitle: subtitleOf(scope, displayName) };
}

/** "Contoso Production · subscriptions/… · Azure resource roles": where, and which world. */
function subtitleOf(scope: string, displayName: string | undefined): string {
  const named = displayName && displayName !== scope ? [untrustedText(displayName, TEXT_LIMITS.name)] : [];
  return [...named, untrustedText(scope, TEXT_LIMITS.name), worldLabel(scope)].join(' · ');
}

// ---- read-only card ----

export interface ConfigInput extends ConfigCommon {
  banner?: BannerInput;
  /** Hide the Change button, e.g. for people who may only read. */
  readOnly?: boolean;
}

export interface ConfigVm extends FooterVm, BannerVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  facts: Fact[];
  hasNote: boolean;
  note: string;
  hasActions: boolean;
  actions: ActionVm[];
}

export function buildConfigView(input: ConfigInput, ctx: CardContext): ConfigVm {
  const { scope, alertId, alertName, scopeLabel, subtitle } = common(input);
  const props = input.configuration.properties;
  const configurable = canConfigure(input.configuration, input.definition);
  const actions =
    configurable && !input.readOnly ? [executeAction(ctx, 'Change', { verb: 'configure', scope, alertId }, 'positive')] : [];
  let note = '';
  if (!isKnownConfiguration(props)) {
    note = 'This bot does not know this kind of configuration, so it shows the fields as sent and cannot change them.';
  } else if (!configurable) {
    note = 'The service does not allow changing the configuration of this alert.';
  }
  return {
    ...footerVm(ctx.localRunNote),
    ...bannerVm(input.banner),
    fallbackText: `Configuration of ${alertName} on ${scopeLabel}.`,
    title: `Configuration: ${alertName}`,
    subtitle,
    facts: configurationFacts(props),
    hasNote: note !== '',
    note,
    hasActions: actions.length > 0,
    actions,
  };
}

export function buildConfigCard(input: ConfigInput, ctx: CardContext): AdaptiveCardJson {
  return renderCard('config', buildConfigView(input, ctx));
}

// ---- configure form ----

export interface ConfigFormInput extends ConfigCommon {
  /** Why the last submission was refused, shown above the inputs. */
  formError?: string;
  /** Values to show instead of the current configuration, e.g. what the person submitted. */
  values?: Record<string, unknown>;
}

export interface ConfigFormNumberVm {
  id: string;
  label: string;
  placeholder: string;
  min: number;
  max: number;
  hasValue: boolean;
  noValue: boolean;
  value: number;
  errorMessage: string;
}

export interface ConfigFormVm extends FooterVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  hasFormError: boolean;
  formError: string;
  toggle: { id: string; label: string; title: string; value: 'true' | 'false' };
  numbers: ConfigFormNumberVm[];
  hasNote: boolean;
  note: string;
  actions: ActionVm[];
}

/** Upper bound for counts on the form: the service stores an int32, and no role has more members. */
const MAX_COUNT = 10_000;

function rangeText(field: ConfigField): string {
  return field.max === undefined ? `a whole number of at least ${field.min}` : `a whole number from ${field.min} to ${field.max}`;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  return undefined;
}

export function buildConfigFormView(input: ConfigFormInput, ctx: CardContext): ConfigFormVm {
  const { scope, alertId, alertName, scopeLabel, subtitle } = common(input);
  const props = input.configuration.properties;
  const current = props as Record<string, unknown>;
  const values = input.values ?? {};
  const fields = isKnownConfiguration(props) ? CONFIG_FIELDS[props.alertConfigurationType] : [];
  const enabled = asBoolean(values[ENABLED_INPUT_ID]) ?? props.isEnabled ?? true;
  const numbers = fields.map((field): ConfigFormNumberVm => {
    const value = asNumber(values[field.key]) ?? formNumber(field, current[field.key]);
    return {
      id: field.key,
      label: field.label,
      placeholder: placeholderText(field, current[field.key]),
      min: field.min,
      max: field.max ?? MAX_COUNT,
      hasValue: value !== undefined,
      noValue: value === undefined,
      value: value ?? field.min,
      errorMessage: `Enter ${rangeText({ ...field, max: field.max ?? MAX_COUNT })}.`,
    };
  });
  const formError = input.formError ? untrustedSentence(input.formError, TEXT_LIMITS.sentence) : '';
  const note = fields.length === 0 ? 'This alert has no thresholds; you can only turn it on or off.' : '';
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `Change the configuration of ${alertName} on ${scopeLabel}.`,
    title: `Change configuration: ${alertName}`,
    subtitle,
    hasFormError: formError !== '',
    formError,
    toggle: { id: ENABLED_INPUT_ID, label: 'Alert enabled', title: 'Raise this alert when its condition is met', value: enabled ? 'true' : 'false' },
    numbers,
    hasNote: note !== '',
    note,
    actions: [
      executeAction(ctx, 'Save', { verb: 'configureSubmit', scope, alertId }, 'positive', 'auto'),
      executeAction(ctx, 'Cancel', { verb: 'cancel', scope, alertId }, 'default', 'none'),
    ],
  };
}

export function buildConfigFormCard(input: ConfigFormInput, ctx: CardContext): AdaptiveCardJson {
  return renderCard('configForm', buildConfigFormView(input, ctx));
}

export type ConfigFormResult = { ok: true; update: AlertConfigurationUpdate } | { ok: false; error: string };

/**
 * Reads what the configure form sent (Teams sends input values as strings) into the update body for
 * the configuration's kind, checking the same ranges the form shows.
 */
export function parseConfigForm(configurationType: string, submitted: Record<string, unknown>): ConfigFormResult {
  const known = (CONFIG_FIELDS as Record<string, readonly ConfigField[] | undefined>)[configurationType];
  if (!known) {
    return { ok: false, error: 'This bot cannot change this kind of alert configuration; change it in the Azure or Entra admin portal instead.' };
  }
  const isEnabled = asBoolean(submitted[ENABLED_INPUT_ID]);
  if (isEnabled === undefined) {
    return { ok: false, error: 'The form did not say whether the alert is enabled; open the form again and save it.' };
  }
  const update: Record<string, unknown> = { alertConfigurationType: configurationType, isEnabled };
  for (const field of known) {
    const value = asNumber(submitted[field.key]);
    const max = field.max ?? MAX_COUNT;
    if (value === undefined || !Number.isInteger(value) || value < field.min || value > max) {
      return { ok: false, error: `${field.label} must be ${rangeText({ ...field, max })}; correct it and save again.` };
    }
    update[field.key] = wireValue(field, value);
  }
  return { ok: true, update: update as AlertConfigurationUpdate };
}
