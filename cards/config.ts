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
  asOfText,
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
import { truncate, untrustedText } from './text';

export interface ConfigField {
  /** Property name on the configuration and input id on the form. */
  key: string;
  label: string;
  /** days and minutes: an ISO 8601 duration on the wire (Graph), a whole number of the unit on the form. */
  unit: 'count' | 'percent' | 'days' | 'minutes';
  /** What the number counts, as the form names its unit: "owners". */
  noun: string;
  min: number;
  max: number;
}

/** Upper bound for counts on the form: the service stores an int32, and no role has more members. */
const MAX_COUNT = 10_000;

const PERCENT = { unit: 'percent', noun: 'percent', min: 0, max: 100 } as const;
const count = (noun: string) => ({ unit: 'count', noun, min: 1, max: MAX_COUNT }) as const;
// Graph documents no ranges for its durations; these keep a typo (a year of minutes) off the service.
const DAYS = { unit: 'days', noun: 'days', min: 1, max: 365 } as const;
const MINUTES = { unit: 'minutes', noun: 'minutes', min: 1, max: 1440 } as const;
const SECONDS_PER: Record<'days' | 'minutes', number> = { days: 86_400, minutes: 60 };

export const CONFIG_FIELDS: Readonly<Record<KnownConfigurationType, readonly ConfigField[]>> = {
  TooManyOwnersAssignedToResourceAlertConfiguration: [
    { key: 'thresholdNumberOfOwners', label: 'Owner count threshold', ...count('owners') },
    { key: 'thresholdPercentageOfOwnersOutOfAllRoleMembers', label: 'Owner percentage threshold (% of all role members)', ...PERCENT },
  ],
  TooManyPermanentOwnersAssignedToResourceAlertConfiguration: [
    { key: 'thresholdNumberOfPermanentOwners', label: 'Permanent owner count threshold', ...count('permanent owners') },
    { key: 'thresholdPercentageOfPermanentOwnersOutOfAllOwners', label: 'Permanent owner percentage threshold (% of all owners)', ...PERCENT },
  ],
  DuplicateRoleCreatedAlertConfiguration: [],
  AzureRolesAssignedOutsidePimAlertConfiguration: [],
  // Entra ID directory roles (Microsoft Graph).
  tooManyGlobalAdminsAssignedToTenantAlertConfiguration: [
    { key: 'globalAdminCountThreshold', label: 'Global Administrator count threshold', ...count('Global Administrators') },
    { key: 'percentageOfGlobalAdminsOutOfRolesThreshold', label: 'Global Administrator percentage threshold (% of privileged role assignments)', ...PERCENT },
  ],
  sequentialActivationRenewalsAlertConfiguration: [
    { key: 'timeIntervalBetweenActivations', label: 'Time between activations', ...MINUTES },
    { key: 'sequentialActivationCounterThreshold', label: 'Activations in a row', ...count('activations') },
  ],
  staleSignInAlertConfiguration: [{ key: 'duration', label: 'Time without sign-in', ...DAYS }],
  redundantAssignmentAlertConfiguration: [{ key: 'duration', label: 'Time without activation', ...DAYS }],
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
  if (!isDuration(field)) return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
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
  /** When the configuration was read (ms since the epoch); the card says "as of" it, or now when absent. */
  readAt?: number;
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
    configurable && !input.readOnly ? [executeAction(ctx, 'Change', { verb: 'configure', scope, alertId, from: 'config' }, 'positive')] : [];
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
    subtitle: `${subtitle} · ${asOfText([input.readAt], { timeZone: ctx.timeZone, now: ctx.now })}`,
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

/** Where the form was opened from, so that Cancel goes back there: the config card or (default) the alert's card. */
export type ConfigFormOrigin = 'config' | 'detail';

export interface ConfigFormInput extends ConfigCommon {
  /** Why the last submission was refused, shown above the inputs. */
  formError?: string;
  /** Each refused field's message, shown under that field. */
  fieldErrors?: Readonly<Record<string, string>>;
  /** What the person submitted, shown instead of the current configuration. */
  values?: Record<string, unknown>;
  from?: ConfigFormOrigin;
}

export interface ConfigFormFieldVm {
  id: string;
  /** The field's name with its unit and range. */
  label: string;
  placeholder: string;
  value: string;
  hasError: boolean;
  errorText: string;
}

export interface ConfigFormVm extends FooterVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  hasFormError: boolean;
  formError: string;
  toggle: { id: string; label: string; title: string; value: 'true' | 'false' };
  fields: ConfigFormFieldVm[];
  hasNote: boolean;
  note: string;
  actions: ActionVm[];
}

/** "a whole number of owners from 1 to 10000", "a whole percentage from 0 to 100", "a whole number of days from 1 to 365". */
function rangeText(field: ConfigField): string {
  return field.unit === 'percent' ? `a whole percentage from ${field.min} to ${field.max}` : `a whole number of ${field.noun} from ${field.min} to ${field.max}`;
}

/** The unit and range next to the field's name: "Owner count threshold (owners, 1 to 10000)". */
function labelOf(field: ConfigField): string {
  const range = `${field.min} to ${field.max}`;
  // "… (% of all role members)" names its unit already: the range goes inside those brackets.
  if (field.unit === 'percent' && field.label.endsWith(')')) return `${field.label.slice(0, -1)}, ${range})`;
  return `${field.label} (${field.unit === 'percent' ? '%' : field.noun}, ${range})`;
}

/** A submitted value kept as typed (capped), so that the form shows the person what they sent. */
function typed(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return truncate(value.trim(), 40);
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

/**
 * The form. Thresholds are text inputs with no client-side limits: a client that clamps or
 * silently refuses a number (out of range, `2.5`) would hide the mistake, so every value goes to
 * the bot, which checks it (parseConfigForm) and answers with this form again, the values kept and
 * each message under its field.
 */
export function buildConfigFormView(input: ConfigFormInput, ctx: CardContext): ConfigFormVm {
  const { scope, alertId, alertName, scopeLabel, subtitle } = common(input);
  const props = input.configuration.properties;
  const current = props as Record<string, unknown>;
  const values = input.values ?? {};
  const errors = input.fieldErrors ?? {};
  const kindFields = isKnownConfiguration(props) ? CONFIG_FIELDS[props.alertConfigurationType] : [];
  const enabled = asBoolean(values[ENABLED_INPUT_ID]) ?? props.isEnabled ?? true;
  const fields = kindFields.map((field): ConfigFormFieldVm => {
    // A message quotes what the person typed: untrusted.
    const error = errors[field.key] ? untrustedSentence(errors[field.key]!, TEXT_LIMITS.sentence) : '';
    const now = formNumber(field, current[field.key]);
    // A current duration that is not a whole number of the unit (10 seconds) is named, not rounded.
    const odd = now === undefined && isDuration(field) && durationSeconds(current[field.key]) !== undefined ? ` (now ${formatValue(field, current[field.key])})` : '';
    return {
      id: field.key,
      label: labelOf(field),
      placeholder: `${field.min} to ${field.max}${odd}`,
      value: (field.key in values ? typed(values[field.key]) : now === undefined ? '' : String(now)) ?? '',
      hasError: error !== '',
      errorText: error,
    };
  });
  const formError = input.formError ? untrustedSentence(input.formError, TEXT_LIMITS.sentence) : '';
  const note = kindFields.length === 0 ? 'This alert has no thresholds; you can only turn it on or off.' : '';
  const from = input.from === 'config' ? { from: 'config' as const } : {};
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `Change the configuration of ${alertName} on ${scopeLabel}.`,
    title: `Change configuration: ${alertName}`,
    subtitle,
    hasFormError: formError !== '',
    formError,
    toggle: { id: ENABLED_INPUT_ID, label: 'Alert enabled', title: 'Raise this alert when its condition is met', value: enabled ? 'true' : 'false' },
    fields,
    hasNote: note !== '',
    note,
    actions: [
      executeAction(ctx, 'Save', { verb: 'configureSubmit', scope, alertId, ...from }, 'positive', 'auto'),
      executeAction(ctx, 'Cancel', { verb: 'cancel', scope, alertId, ...from }, 'default', 'none'),
    ],
  };
}

export function buildConfigFormCard(input: ConfigFormInput, ctx: CardContext): AdaptiveCardJson {
  return renderCard('configForm', buildConfigFormView(input, ctx));
}

export type ConfigFormResult =
  | { ok: true; update: AlertConfigurationUpdate }
  | {
      ok: false;
      /** One sentence for the whole form (and the audit log). */
      error: string;
      /** A sentence per refused field, by input id. */
      fieldErrors: Record<string, string>;
    };

/** A whole number as a person types it: digits, an optional sign, and ".0" at most (no exponents, no hex). */
function wholeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*[+-]?\d{1,9}(\.0+)?\s*$/.test(value)) return undefined;
  return Number(value.trim());
}

/**
 * Reads what the configure form sent (Teams sends input values as strings) into the update body
 * for the configuration's kind. Every field is checked against the range the form shows, whatever
 * the client did, and every refused field gets its own message.
 */
export function parseConfigForm(configurationType: string, submitted: Record<string, unknown>): ConfigFormResult {
  const known = (CONFIG_FIELDS as Record<string, readonly ConfigField[] | undefined>)[configurationType];
  if (!known) {
    return { ok: false, error: 'This bot cannot change this kind of alert configuration; change it in the Azure or Entra admin portal instead.', fieldErrors: {} };
  }
  const isEnabled = asBoolean(submitted[ENABLED_INPUT_ID]);
  if (isEnabled === undefined) {
    return { ok: false, error: 'The form did not say whether the alert is enabled; open the form again and save it.', fieldErrors: {} };
  }
  const update: Record<string, unknown> = { alertConfigurationType: configurationType, isEnabled };
  const fieldErrors: Record<string, string> = {};
  for (const field of known) {
    const raw = submitted[field.key];
    const shown = typed(raw);
    const n = wholeNumber(raw);
    if (shown === undefined || shown === '') fieldErrors[field.key] = `Enter ${rangeText(field)}; the field is empty.`;
    else if (n === undefined) fieldErrors[field.key] = `"${shown}" is not a whole number: enter ${rangeText(field)}.`;
    else if (n < field.min || n > field.max) fieldErrors[field.key] = `${n} is out of range: enter ${rangeText(field)}.`;
    else update[field.key] = wireValue(field, n);
  }
  const refused = known.filter((f) => fieldErrors[f.key]);
  if (refused.length > 0) {
    const names = refused.map((f) => f.label).join(' and ');
    return { ok: false, error: `Nothing was saved: correct ${names} and save again.`, fieldErrors };
  }
  return { ok: true, update: update as AlertConfigurationUpdate };
}

/**
 * What a saved form changes, from what to what, for the audit log: "Changed Owner count threshold
 * from 2 to 5 and Enabled from Yes to No." Values are shown as the configuration card shows them
 * (3%, 30 days); a form saved as it was says so.
 */
export function describeConfigChange(configuration: AlertConfiguration, update: AlertConfigurationUpdate): string {
  const props = configuration.properties;
  const before = props as Record<string, unknown>;
  const after = update as Record<string, unknown>;
  const changes: string[] = [];
  if (update.isEnabled !== undefined && update.isEnabled !== props.isEnabled) {
    changes.push(`Enabled from ${yesNo(props.isEnabled)} to ${yesNo(update.isEnabled)}`);
  }
  const fields = isKnownConfiguration(props) ? CONFIG_FIELDS[props.alertConfigurationType] : [];
  for (const field of fields) {
    if (!(field.key in after)) continue;
    const was = formatValue(field, before[field.key]);
    const now = formatValue(field, after[field.key]);
    if (was !== now) changes.push(`${field.label} from ${was} to ${now}`);
  }
  if (changes.length === 0) return 'Saved with no change.';
  return `Changed ${changes.length === 1 ? changes[0] : `${changes.slice(0, -1).join(', ')} and ${changes.at(-1)}`}.`;
}
