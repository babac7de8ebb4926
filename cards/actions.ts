// What a card button asks the bot to do. Every button is an Action.Execute whose `data` is built by
// CardContext.actionData from one of these payloads, so the signing layer can wrap (and later verify)
// exactly this object without the card builders knowing how. New verbs are added to the union; the
// handler's switch over `verb` then fails to typecheck until it handles them.

import type { CommandName } from '../bot/commands/catalog';

export type Severity = 'High' | 'Medium' | 'Low';

/** `scope` is the normalised scope id (no leading slash), e.g. `subscriptions/<guid>`. One member per
 * verb, so that Extract<ActionPayload, { verb: V }> names exactly one shape. */
export type ActionPayload =
  | { verb: 'details'; scope: string; alertId: string }
  | { verb: 'alerts'; scope?: string | 'all'; severity?: Severity; page?: number }
  | { verb: 'dismissConfirm'; scope: string; alertId: string }
  | { verb: 'dismiss'; scope: string; alertId: string }
  | { verb: 'remediateConfirm'; scope: string; alertId: string; incidentId: string }
  | { verb: 'remediate'; scope: string; alertId: string; incidentId: string }
  | { verb: 'refreshConfirm'; scope: string; alertId?: string }
  | { verb: 'refresh'; scope: string; alertId?: string }
  | { verb: 'configure'; scope: string; alertId: string; from?: 'config' }
  | { verb: 'configureSubmit'; scope: string; alertId: string; from?: 'config' }
  /** Back to the card the person came from: the configuration card (`from: 'config'`), else the alert's card, else the scope's summary. */
  | { verb: 'cancel'; scope: string; alertId?: string; from?: 'config' }
  | { verb: 'unsubscribe'; subscriptionId: string }
  | { verb: 'incidents'; scope: string; alertId: string; page: number }
  | { verb: 'scopes'; page: number }
  | { verb: 'help'; /** One command in full; the whole list when absent. */ topic?: CommandName };

export type ActionVerb = ActionPayload['verb'];

export const ACTION_VERBS: readonly ActionVerb[] = [
  'details',
  'alerts',
  'dismiss',
  'dismissConfirm',
  'remediate',
  'remediateConfirm',
  'refresh',
  'refreshConfirm',
  'configure',
  'configureSubmit',
  'cancel',
  'unsubscribe',
  'incidents',
  'scopes',
  'help',
];

/** What every card builder needs from the outside world; passed in so builders stay pure. */
export interface CardContext {
  /** Turns a payload into the Action.Execute `data` object (the bot signs it; tests use plainActionData). */
  actionData(payload: ActionPayload): object;
  /** "Now", for relative times such as "3 h ago". */
  now: Date;
  /** IANA time zone for the times shown; UTC when absent or unknown. */
  timeZone?: string;
  /** Shown small at the foot of every card when set, e.g. "Local run: everyone may act". */
  localRunNote?: string;
}

/** The unsigned shape every action's data has: `{ a: payload }`. */
export function plainActionData(payload: ActionPayload): { a: ActionPayload } {
  return { a: payload };
}

export type ActionStyle = 'default' | 'positive' | 'destructive';

/** An Action.Execute as the templates bind it. */
export interface ActionVm {
  title: string;
  verb: ActionVerb;
  data: object;
  style: ActionStyle;
  /** 'none' for buttons such as Cancel that must work even when the form's inputs are invalid. */
  associatedInputs: 'auto' | 'none';
}

export function executeAction(
  ctx: Pick<CardContext, 'actionData'>,
  title: string,
  payload: ActionPayload,
  style: ActionStyle = 'default',
  associatedInputs: 'auto' | 'none' = 'none',
): ActionVm {
  return { title, verb: payload.verb, data: ctx.actionData(payload), style, associatedInputs };
}
