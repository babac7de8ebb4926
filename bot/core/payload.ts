// A verified signature proves the bot wrote a button's data; it does not make the data safe to put
// in a URL. This turns the signed payload back into a typed ActionPayload, checking every field as
// if it came from a stranger: the verb must match the invoke, the scope must be configured, and
// every id must pass the ARM client's validation (a PimValidationError, refused as `invalidId`).
// Every other refusal names its reason code on the BotError.
import type { ActionPayload, ActionVerb } from '../../cards';
import { ACTION_VERBS } from '../../cards';
import { normalizeScope, validateId } from '../azure/validate';
import { COMMAND_NAMES, type CommandName } from '../commands/catalog';
import { BotError } from './errors';

const SEVERITIES = new Set(['High', 'Medium', 'Low']);

const FRESH_CARD = 'Open a fresh card with `alerts`.';

function str(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new BotError('BadActionData', `This button's ${key} is missing.`, FRESH_CARD, 'malformed');
  return v;
}

function optStr(p: Record<string, unknown>, key: string): string | undefined {
  return p[key] === undefined ? undefined : str(p, key);
}

function page(p: Record<string, unknown>): number {
  const v = p.page;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000) throw new BotError('BadActionData', "This button's page number is not valid.", FRESH_CARD, 'malformed');
  return v;
}

function scopeOf(p: Record<string, unknown>, isConfigured: (scope: string) => boolean): string {
  const scope = normalizeScope(str(p, 'scope'));
  if (!isConfigured(scope)) throw new BotError('ScopeNotConfigured', `The scope ${scope} is not one I watch any more.`, 'Type `scopes` to see the scopes I watch.', 'scopeNotConfigured');
  return scope;
}

/** The card a form was opened from (see ActionPayload's cancel). */
function origin(p: Record<string, unknown>): { from?: 'config' } {
  const from = optStr(p, 'from');
  if (from === undefined) return {};
  if (from !== 'config') throw new BotError('BadActionData', "This button's origin is not valid.", 'Open a fresh card with `alerts`.');
  return { from };
}

export function parseActionPayload(
  verb: string,
  payload: Record<string, unknown>,
  isConfigured: (scope: string) => boolean,
): ActionPayload {
  if (!(ACTION_VERBS as readonly string[]).includes(verb) || payload.verb !== verb) {
    throw new BotError('BadActionData', "This button's action does not match its data.", FRESH_CARD, 'verbMismatch');
  }
  const v = verb as ActionVerb;
  const alertId = () => validateId('alert', str(payload, 'alertId'));
  switch (v) {
    case 'details':
    case 'dismiss':
    case 'dismissConfirm':
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: alertId() };
    case 'configure':
    case 'configureSubmit':
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: alertId(), ...origin(payload) };
    case 'remediate':
    case 'remediateConfirm':
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: alertId(), incidentId: validateId('incident', str(payload, 'incidentId')) };
    case 'refresh':
    case 'refreshConfirm': {
      const a = optStr(payload, 'alertId');
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: a === undefined ? undefined : validateId('alert', a) };
    }
    case 'cancel': {
      const a = optStr(payload, 'alertId');
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: a === undefined ? undefined : validateId('alert', a), ...origin(payload) };
    }
    case 'incidents':
      return { verb: v, scope: scopeOf(payload, isConfigured), alertId: alertId(), page: page(payload) };
    case 'alerts': {
      const s = optStr(payload, 'scope');
      const severity = optStr(payload, 'severity');
      if (severity !== undefined && !SEVERITIES.has(severity)) throw new BotError('BadActionData', "This button's severity is not valid.", FRESH_CARD, 'malformed');
      return {
        verb: v,
        scope: s === undefined || s === 'all' ? s : scopeOf(payload, isConfigured),
        severity: severity as 'High' | 'Medium' | 'Low' | undefined,
        page: payload.page === undefined ? undefined : page(payload),
      };
    }
    case 'scopes':
      return { verb: v, page: page(payload) };
    case 'unsubscribe': {
      const id = str(payload, 'subscriptionId');
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new BotError('BadActionData', "This button's subscription id is not valid.", 'Type `subscriptions` for a fresh list.', 'invalidId');
      return { verb: v, subscriptionId: id };
    }
    case 'help': {
      const topic = optStr(payload, 'topic');
      if (topic !== undefined && !(COMMAND_NAMES as readonly string[]).includes(topic)) {
        throw new BotError('BadActionData', "This button's command is not one I know.", 'Type `help` to see every command.');
      }
      return topic === undefined ? { verb: v } : { verb: v, topic: topic as CommandName };
    }
  }
}
