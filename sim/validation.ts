// Validation of request bodies, as pure functions that either return the accepted change or throw
// the ArmError the service would answer with.
import { ArmError, sameName } from './arm';
import { ALERT_KINDS, type AlertKind, type SettingKind } from './model';

/** The largest Int32, the bound of the services' whole-number settings. */
export const INT32_MAX = 2147483647;

function invalid(message: string): ArmError {
  return new ArmError(400, 'InvalidRequestContent', message);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a JSON request body; an empty body is reported as missing. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw invalid('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(`The request content was invalid and could not be deserialized: ${(err as Error).message}.`);
  }
}

// ARM clients often send a resource back with its envelope; these top-level members are ignored.
const ENVELOPE_KEYS = new Set(['id', 'name', 'type']);

function propertiesOf(body: unknown, resource: string): Record<string, unknown> {
  if (!isObject(body)) throw invalid(`The ${resource} update must be a JSON object with a 'properties' object.`);
  for (const key of Object.keys(body)) {
    if (key !== 'properties' && !ENVELOPE_KEYS.has(key)) throw invalid(`The member '${key}' is not part of a ${resource} update; send only 'properties'.`);
  }
  const properties = body['properties'];
  if (!isObject(properties)) throw invalid(`The ${resource} update must have a 'properties' object.`);
  return properties;
}

/** Alerts_Update: the only change the service accepts is a dismissal, `isActive: false`. */
export function validateAlertUpdate(body: unknown): { isActive: false } {
  const properties = propertiesOf(body, 'alert');
  for (const key of Object.keys(properties)) {
    if (key !== 'isActive') throw invalid(`The alert property '${key}' cannot be changed; send only 'isActive'.`);
  }
  const isActive = properties['isActive'];
  if (typeof isActive !== 'boolean') throw invalid("The property 'isActive' must be a boolean; send false to dismiss the alert.");
  if (isActive) {
    throw new ArmError(400, 'AlertActivationNotSupported', 'An alert cannot be activated by an update; it is raised again by the next scan that finds incidents.');
  }
  return { isActive: false };
}

export interface ConfigurationChange {
  isEnabled?: boolean;
  settings: Record<string, number>;
}

function checkSetting(name: string, kind: SettingKind, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ArmError(400, 'InvalidAlertConfigurationValue', `The property '${name}' must be a whole number.`);
  }
  if (kind === 'percentage' && (value < 0 || value > 100)) {
    throw new ArmError(400, 'InvalidAlertConfigurationValue', `The property '${name}' is a percentage and must be between 0 and 100.`);
  }
  // A count threshold of 0 would raise the alert for every scope with a single owner; the
  // portal's smallest choice is 1.
  if (kind === 'count' && (value < 1 || value > INT32_MAX)) {
    throw new ArmError(400, 'InvalidAlertConfigurationValue', `The property '${name}' is a count and must be at least 1.`);
  }
  return value;
}

/**
 * AlertConfigurations_Update. The discriminator `alertConfigurationType` is required and must be the
 * alert's own type; only the kind's settings and `isEnabled` may change. The read-only
 * `alertDefinitionId` and `scope` are tolerated when they repeat the current values, so a client can
 * send back what it read.
 */
export function validateConfigurationUpdate(alertId: AlertKind, scope: string, body: unknown): ConfigurationChange {
  const kind = ALERT_KINDS[alertId];
  const properties = propertiesOf(body, 'alert configuration');
  const type = properties['alertConfigurationType'];
  if (type === undefined) {
    throw new ArmError(400, 'MissingAlertConfigurationType', `The property 'alertConfigurationType' is required; send '${kind.configurationType}' for this alert.`);
  }
  if (typeof type !== 'string' || type !== kind.configurationType) {
    throw new ArmError(400, 'InvalidAlertConfigurationType', `The alertConfigurationType '${String(type)}' does not match the alert '${alertId}'; send '${kind.configurationType}'.`);
  }
  const change: ConfigurationChange = { settings: {} };
  const settings: Record<string, SettingKind> = kind.settings;
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'alertConfigurationType') continue;
    if (key === 'isEnabled') {
      if (typeof value !== 'boolean') throw new ArmError(400, 'InvalidAlertConfigurationValue', "The property 'isEnabled' must be a boolean.");
      change.isEnabled = value;
    } else if (key === 'alertDefinitionId' || key === 'scope') {
      const current = key === 'scope' ? scope : alertId;
      if (typeof value !== 'string' || !sameName(value, current)) throw invalid(`The property '${key}' is read-only; leave it out of the update.`);
    } else if (Object.prototype.hasOwnProperty.call(settings, key)) {
      change.settings[key] = checkSetting(key, settings[key]!, value);
    } else {
      const allowed = ['isEnabled', ...Object.keys(settings)].join("', '");
      throw invalid(`The property '${key}' is not a setting of ${kind.configurationType}; allowed are '${allowed}'.`);
    }
  }
  return change;
}
