// The buttons that change PIM: dismiss, remediate, refresh, configure. Each write runs under the
// bot's managed identity, so each one cannot be replayed (the signed data's nonce, checked first,
// before any ARM or Graph read), is lent only to a person who could do the same in the portal (the
// authorizer), happens once however many people click (a claim in the store), and is audited
// before it is sent (`attempted`), then completed with the service's answer.
import { randomUUID } from 'node:crypto';
import { buildConfigFormCard, describeConfigChange, formatDateTime, incidentCountOf, incidentSubject, parseConfigForm, type ActionPayload, type BannerInput, type ConfirmInput } from '../../cards';
import { isArmError } from '../azure/errors';
import type { Alert, AlertIncident } from '../azure/models';
import type { ConfiguredScope } from '../config';
import { cardContextOf, type CoreDeps } from '../core/deps';
import { BotError } from '../core/errors';
import type { ActionReply, Person } from '../core/turn';
import type { ActionTurn } from '../core/router';
import { threadRootOf } from '../edge/proactive';
import { audit, completeAttempt, type Actor } from '../core/audit';
import type { RefusalReason, StoredConversationReference } from '../store/types';
import { configCard, detailCard, summaryCard } from './read';
import { configuredScope, operatorRoles } from './lookup';

/** How long a claim on a write stays: long enough to absorb double clicks and racing colleagues. */
const CLAIM_TTL_MS = 15 * 60_000;
/**
 * A used nonce is kept this long past its button's signed expiry, for instances whose clocks
 * disagree a little; until then the signature check would still accept a replay.
 */
const NONCE_GRACE_MS = 60 * 60_000;

type Verb<V extends ActionPayload['verb']> = Extract<ActionPayload, { verb: V }>;

function nowIso(deps: CoreDeps): string {
  return new Date(deps.clock.now()).toISOString();
}

function who(p: Person): string {
  return p.name?.trim() || 'someone';
}

/** The time shown in status banners, formatted like every other time on the cards. */
function timeText(deps: CoreDeps, iso: string): string {
  return formatDateTime(iso, { timeZone: deps.config.timeZone });
}

/** The code a refusal by the authorizer is audited with. */
function refusalOf(person: Person, decision: { deniedBy?: unknown }): RefusalReason {
  if (!person.aadObjectId) return 'missingObjectId';
  return decision.deniedBy ? 'denyAssignment' : 'notAuthorized';
}

/** Refuses (and audits) a person who may not change this scope. */
export async function authorize(deps: CoreDeps, turn: Actor, scope: ConfiguredScope, what: { action: string; alertId?: string; incidentId?: string }): Promise<void> {
  const decision = await deps.authorizer.canAct({ objectId: turn.from.aadObjectId, name: turn.from.name, tenantId: turn.conversation.tenantId }, scope.scope);
  if (decision.allowed) return;
  await audit(deps, turn, { action: what.action, scope: scope.scope, alertId: what.alertId, incidentId: what.incidentId, result: 'refused', reason: refusalOf(turn.from, decision), detail: decision.reason });
  throw new BotError('NotAuthorized', decision.reason, `Ask someone with ${operatorRoles(scope)} to do it.`);
}

type Target = { action: string; scope: string; alertId?: string; incidentId?: string };

/**
 * The signed data of a write button may be used once. Checked before authorization, so that a
 * replay costs no ARM or Graph read, and on its own: a completed claim lapses after CLAIM_TTL_MS, but the
 * nonce is kept as long as its button could be valid.
 */
async function refuseReplay(deps: CoreDeps, turn: ActionTurn, what: Target): Promise<void> {
  if (!(await deps.store.isNonceUsed(turn.nonce))) return;
  await audit(deps, turn.action, { ...what, result: 'refused', reason: 'replay', detail: 'Replayed a card action that had already completed.' });
  throw new BotError('AlreadyDone', 'This button was already used and its change is done.', 'Open a fresh card with `alerts` to act again.', 'replay');
}

/** How a completed write is recorded on its `attempted` audit entry. */
type Outcome = { result: 'succeeded' | 'started'; detail: string; armRequestId?: string };

/**
 * Runs one write (ARM or Graph) at most once per key: the winner writes, everyone else is told who did it.
 * The winner's attempt is audited (`attempted`) before the write is sent and completed with the
 * outcome after, so a crash in between leaves an entry whose outcome is unknown, never none.
 */
async function once<T>(
  deps: CoreDeps,
  turn: ActionTurn,
  key: string,
  what: Target,
  attempt: string,
  write: () => Promise<T>,
  outcome: (value: T) => Outcome,
): Promise<{ done: true; value: T } | { done: false; by: string; at: string }> {
  const at = nowIso(deps);
  const claim = await deps.store.claimAction(key, { objectId: turn.action.from.aadObjectId, name: turn.action.from.name }, at, CLAIM_TTL_MS);
  if (!claim.claimed) {
    await audit(deps, turn.action, { ...what, result: 'refused', reason: 'claimLost', detail: `Already ${claim.result ?? 'in progress'} by ${claim.by.name ?? 'someone'}.` });
    return { done: false, by: claim.by.name ?? 'someone', at: claim.at };
  }
  let id: string | undefined;
  let value: T;
  try {
    id = await audit(deps, turn.action, { ...what, result: 'attempted', detail: attempt });
    value = await write();
  } catch (err) {
    // Nothing was changed (or the write failed): the button may be tried again.
    await deps.store.releaseAction(key);
    if (id !== undefined) {
      await completeAttempt(deps, id, { result: 'failed', detail: err instanceof Error ? err.message : String(err), armRequestId: isArmError(err) ? err.requestId : undefined });
    }
    throw err;
  }
  // The button is spent before anything else is recorded: a replay is what must never get through.
  await deps.store.markNonceUsed(turn.nonce, new Date(Math.max(turn.expiresAt, deps.clock.now()) + NONCE_GRACE_MS).toISOString());
  await deps.store.completeAction(key, what.action === 'dismiss' ? 'dismissed' : what.action === 'remediate' ? 'remediated' : 'done');
  await completeAttempt(deps, id!, outcome(value));
  return { done: true, value };
}

async function updateForEveryone(deps: CoreDeps, turn: ActionTurn, card: Record<string, unknown>): Promise<void> {
  // The invoke response replaces the card for the person who clicked; the message update makes the
  // same change visible to everyone else in the conversation.
  if (!turn.action.cardActivityId) return;
  try {
    await deps.background.updateCard(turn.reference, turn.action.cardActivityId, card);
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message } }, 'could not update the card for everyone');
  }
}

// ---- the confirm steps, shared by card buttons and text commands ----

export function dismissConfirmation(scope: ConfiguredScope, alertId: string): ConfirmInput {
  return {
    question: `Dismiss this alert on ${scope.displayName ?? scope.scope}?`,
    detail: 'It stops showing as active until PIM raises it again on a later scan.',
    confirm: { verb: 'dismiss', scope: scope.scope, alertId },
    confirmTitle: 'Dismiss',
    destructive: true,
  };
}

/** Names who and which role the incident is about; the incident id is there for support. */
export function remediateConfirmation(scope: ConfiguredScope, alertId: string, incident: AlertIncident): ConfirmInput {
  return {
    question: `Remediate ${incidentSubject(incident)} on ${scope.displayName ?? scope.scope}?`,
    detail: `PIM applies the fix it recommends for this incident (for example removing a standing assignment). Incident ${incident.name}.`,
    confirm: { verb: 'remediate', scope: scope.scope, alertId, incidentId: incident.name },
    confirmTitle: 'Remediate',
    destructive: true,
  };
}

/**
 * The incident a button or command names, read before anything changes so that cards can say whom
 * it is about (after a remediation the service may no longer list it). The alert's embedded
 * incidents are used when it has them.
 */
export async function incidentOf(deps: CoreDeps, scope: ConfiguredScope, alertId: string, incidentId: string, alert?: Alert): Promise<AlertIncident> {
  const embedded = alert?.properties.alertIncidents?.find((i) => i.name.toLowerCase() === incidentId.toLowerCase());
  return embedded ?? (await deps.api.getAlertIncident(scope.scope, alertId, incidentId));
}

export function refreshConfirmation(scope: ConfiguredScope, alertId?: string): ConfirmInput {
  return {
    question: alertId ? 'Rescan this alert now?' : `Rescan every alert on ${scope.displayName ?? scope.scope} now?`,
    detail: 'A scan can take a few minutes; I will post the result in this thread.',
    confirm: { verb: 'refresh', scope: scope.scope, alertId },
    confirmTitle: 'Refresh',
  };
}

// ---- dismiss ----

export async function dismissConfirm(deps: CoreDeps, p: Verb<'dismissConfirm'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  await authorize(deps, turn.action, scope, { action: 'dismiss', alertId: p.alertId });
  return await detailCard(deps, scope, p.alertId, { confirm: dismissConfirmation(scope, p.alertId) });
}

export async function dismiss(deps: CoreDeps, p: Verb<'dismiss'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  const what = { action: 'dismiss', scope: scope.scope, alertId: p.alertId };
  await refuseReplay(deps, turn, what);
  await authorize(deps, turn.action, scope, what);
  const result = await once(
    deps,
    turn,
    `dismiss:${scope.scope.toLowerCase()}:${p.alertId.toLowerCase()}`,
    what,
    'Dismissing the alert (isActive: false).',
    () => deps.api.updateAlert(scope.scope, p.alertId, { isActive: false }),
    (r) => ({ result: 'succeeded', detail: 'Alert dismissed (isActive: false).', armRequestId: r.requestId }),
  );
  let banner: BannerInput;
  if (result.done) {
    banner = { text: `Dismissed by ${who(turn.action.from)} at ${timeText(deps, nowIso(deps))}`, style: 'good' };
  } else {
    banner = { text: `Already dismissed by ${result.by} at ${timeText(deps, result.at)}`, style: 'accent' };
  }
  const card = await detailCard(deps, scope, p.alertId, { banner });
  if (result.done) await updateForEveryone(deps, turn, card.card);
  return card;
}

// ---- remediate ----

export async function remediateConfirm(deps: CoreDeps, p: Verb<'remediateConfirm'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  await authorize(deps, turn.action, scope, { action: 'remediate', alertId: p.alertId, incidentId: p.incidentId });
  const alert = await deps.api.getAlert(scope.scope, p.alertId);
  const incident = await incidentOf(deps, scope, p.alertId, p.incidentId, alert);
  return await detailCard(deps, scope, p.alertId, { alert, confirm: remediateConfirmation(scope, p.alertId, incident) });
}

export async function remediate(deps: CoreDeps, p: Verb<'remediate'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  const what = { action: 'remediate', scope: scope.scope, alertId: p.alertId, incidentId: p.incidentId };
  await refuseReplay(deps, turn, what);
  await authorize(deps, turn.action, scope, what);
  // Named before the write: once remediated, the service may no longer list the incident. When it
  // cannot be read (already remediated by someone else), the id names it.
  const subject = await incidentOf(deps, scope, p.alertId, p.incidentId).then(incidentSubject, () => `incident ${p.incidentId}`);
  const result = await once(
    deps,
    turn,
    `remediate:${scope.scope.toLowerCase()}:${p.alertId.toLowerCase()}:${p.incidentId.toLowerCase()}`,
    what,
    `Remediating ${subject}.`,
    () => deps.api.remediateAlertIncident(scope.scope, p.alertId, p.incidentId),
    (r) => ({ result: 'succeeded', detail: `Remediated ${subject}.`, armRequestId: r.requestId }),
  );
  let banner: BannerInput;
  if (result.done) {
    banner = { text: `Remediated by ${who(turn.action.from)} at ${timeText(deps, nowIso(deps))}: ${subject}`, style: 'good' };
  } else {
    banner = { text: `Already remediated by ${result.by} at ${timeText(deps, result.at)}: ${subject}`, style: 'accent' };
  }
  const card = await detailCard(deps, scope, p.alertId, { banner });
  if (result.done) await updateForEveryone(deps, turn, card.card);
  return card;
}

// ---- refresh ----

/** The active alerts of a scope (or the one alert), as a refresh report compares them. */
async function activeAlertsOf(deps: CoreDeps, scope: ConfiguredScope, alertId?: string): Promise<Array<{ alertId: string; incidentCount: number }>> {
  const alerts = alertId ? [await deps.api.getAlert(scope.scope, alertId)] : await deps.api.listAlerts(scope.scope);
  return alerts.filter((a) => a.properties.isActive !== false).map((a) => ({ alertId: a.name, incidentCount: incidentCountOf(a) }));
}

async function refreshView(deps: CoreDeps, scope: ConfiguredScope, alertId: string | undefined, banner: BannerInput): Promise<Record<string, unknown>> {
  if (alertId) return (await detailCard(deps, scope, alertId, { banner })).card;
  return (await summaryCard(deps, { scope: scope.scope, byId: true, banner })).card;
}

export async function refreshConfirm(deps: CoreDeps, p: Verb<'refreshConfirm'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  await authorize(deps, turn.action, scope, { action: 'refresh', alertId: p.alertId });
  const confirm = refreshConfirmation(scope, p.alertId);
  if (p.alertId) return await detailCard(deps, scope, p.alertId, { confirm });
  return await summaryCard(deps, { scope: scope.scope, byId: true, confirm });
}

export async function refresh(deps: CoreDeps, p: Verb<'refresh'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  const what = { action: 'refresh', scope: scope.scope, alertId: p.alertId };
  await refuseReplay(deps, turn, what);
  await authorize(deps, turn.action, scope, what);
  const key = `refresh:${scope.scope.toLowerCase()}:${(p.alertId ?? '*').toLowerCase()}`;
  const result = await once(deps, turn, key, what, 'Starting a rescan.', async () => {
    // What is active now, so the report can say what the scan cleared or raised (usually the card's
    // own read, still in the read cache).
    const activeBefore = await activeAlertsOf(deps, scope, p.alertId).catch(() => undefined);
    const handle = p.alertId ? await deps.api.refreshAlert(scope.scope, p.alertId) : await deps.api.refreshAllAlerts(scope.scope);
    const id = randomUUID();
    await deps.store.addPendingOperation({
      id,
      handle,
      requester: { objectId: turn.action.from.aadObjectId, name: turn.action.from.name },
      conversation: turn.reference as StoredConversationReference,
      cardActivityId: turn.action.cardActivityId,
      replyToId: threadRootOf(turn.action.conversation.id, turn.action.cardActivityId),
      createdAt: nowIso(deps),
      claimKey: key,
      ...(activeBefore ? { activeBefore } : {}),
    });
    return { id, requestId: handle.requestId };
  }, (r) => ({ result: 'started', detail: 'Refresh started; the result will be posted in the thread.', armRequestId: r.requestId }));
  if (!result.done) {
    return { card: await refreshView(deps, scope, p.alertId, { text: `Already refreshing — started by ${result.by} at ${timeText(deps, result.at)}`, style: 'accent' }) };
  }
  deps.background.trackOperation(result.value.id);
  return { card: await refreshView(deps, scope, p.alertId, { text: `Refreshing — started by ${who(turn.action.from)} at ${timeText(deps, nowIso(deps))}`, style: 'accent' }) };
}

// ---- configure ----

export async function configure(deps: CoreDeps, p: Verb<'configure'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  await authorize(deps, turn.action, scope, { action: 'configure', alertId: p.alertId });
  const [configuration, definition] = await Promise.all([
    deps.api.getAlertConfiguration(scope.scope, p.alertId),
    deps.api.getAlertDefinition(scope.scope, p.alertId).catch(() => undefined),
  ]);
  return { card: buildConfigFormCard({ configuration, definition, scope: scope.scope, scopeDisplayName: scope.displayName, alertId: p.alertId, from: p.from }, cardContextOf(deps)) };
}

export async function configureSubmit(deps: CoreDeps, p: Verb<'configureSubmit'>, turn: ActionTurn): Promise<ActionReply> {
  const scope = configuredScope(deps, p.scope);
  const what = { action: 'configure', scope: scope.scope, alertId: p.alertId };
  await refuseReplay(deps, turn, what);
  await authorize(deps, turn.action, scope, what);
  const [configuration, definition] = await Promise.all([
    deps.api.getAlertConfiguration(scope.scope, p.alertId),
    deps.api.getAlertDefinition(scope.scope, p.alertId).catch(() => undefined),
  ]);
  const parsed = parseConfigForm(configuration.properties.alertConfigurationType, turn.inputs);
  if (!parsed.ok) {
    await audit(deps, turn.action, { ...what, result: 'refused', reason: 'invalidInput', detail: `Invalid form: ${parsed.error}` });
    return {
      card: buildConfigFormCard(
        {
          configuration,
          definition,
          scope: scope.scope,
          scopeDisplayName: scope.displayName,
          alertId: p.alertId,
          formError: parsed.error,
          fieldErrors: parsed.fieldErrors,
          values: turn.inputs,
          from: p.from,
        },
        cardContextOf(deps),
      ),
    };
  }
  // Everyone looking at one card shares its nonce, so the nonce is the key: a double click or two
  // colleagues submitting the same form make one write.
  // The audit log says what changed, from what to what, as the configuration card shows values.
  const change = describeConfigChange(configuration, parsed.update);
  const result = await once(
    deps,
    turn,
    `configure:${turn.nonce}`,
    what,
    `Saving the configuration. ${change}`,
    () => deps.api.updateAlertConfiguration(scope.scope, p.alertId, parsed.update),
    (r) => ({ result: 'succeeded', detail: change, armRequestId: r.requestId }),
  );
  let banner: BannerInput;
  if (result.done) {
    banner = { text: `Saved by ${who(turn.action.from)} at ${timeText(deps, nowIso(deps))}`, style: 'good' };
  } else {
    banner = { text: `Already saved by ${result.by} at ${timeText(deps, result.at)}`, style: 'accent' };
  }
  const card = await configCard(deps, scope, p.alertId, banner);
  if (result.done) await updateForEveryone(deps, turn, card.card);
  return card;
}
