// Digest subscriptions of a conversation: subscribe, list, unsubscribe (typed or by button), a
// preview now, and the install/uninstall events that decide where digests can go.
//
// A digest posts into a shared conversation under the bot's name, about every scope it covers, so
// in a channel or group chat only someone who may act on all of those scopes (the same rule as the
// buttons that change Azure) may start or stop one. A personal chat is the person's own: anyone may.
import { randomBytes } from 'node:crypto';
import {
  buildDigestCard,
  plural,
  buildSubscribedCard,
  buildSubscriptionsCard,
  buildWelcomeCard,
  type ActionPayload,
  type BannerInput,
  type SubscriptionEntryInput,
} from '../../cards';
import type { CommandOf } from '../commands/parser';
import { nextRun } from '../commands/schedule';
import type { ConfiguredScope } from '../config';
import { cardContextOf, type CoreDeps } from '../core/deps';
import { BotError } from '../core/errors';
import { readAlertsAcrossScopes, scopeKey } from '../core/reader';
import type { ActionTurn, MessageTurn } from '../core/router';
import type { ActionReply, ConversationEvent, ConversationInfo, Person, Reply } from '../core/turn';
import { composeDigest, targetScopes, type DigestTarget } from '../digest/compose';
import { baseConversationId, storedReferenceOf } from '../digest/conversation';
import type { BotStore, Subscription } from '../store/types';
import { audit } from '../core/audit';
import { authorize } from './actions';
import { scopeByRef, scopeLabel } from './lookup';

/** More would flood the conversation; a few schedules cover every real need. */
export const MAX_SUBSCRIPTIONS_PER_CONVERSATION = 20;
/** Teams sends both an installationUpdate and a conversationUpdate for one install: welcome once. */
const WELCOME_ONCE_MS = 10 * 60_000;
/** A conversation's reference is rewritten at most this often when nothing in it changed. */
const REMEMBER_EVERY_MS = 10 * 60_000;

type Who = { from: Person; conversation: Pick<ConversationInfo, 'id' | 'type' | 'tenantId'> };

function nowIso(deps: CoreDeps): string {
  return new Date(deps.clock.now()).toISOString();
}

function newSubscriptionId(): string {
  return randomBytes(6).toString('base64url');
}

function nextRunOf(deps: CoreDeps, sub: Subscription): Date | null {
  if (!sub.enabled) return null;
  try {
    return nextRun(sub.cron, sub.timeZone, new Date(deps.clock.now()));
  } catch {
    return null;
  }
}

function entryOf(deps: CoreDeps, sub: Subscription): SubscriptionEntryInput {
  return {
    id: sub.id,
    label: sub.label,
    timeZone: sub.timeZone,
    scopes: sub.scopes.map((s) => ({ scope: s, displayName: deps.scopes.find((c) => scopeKey(c.scope) === scopeKey(s))?.displayName })),
    allScopesCount: deps.scopes.length,
    ...(sub.severity ? { severity: sub.severity } : {}),
    mode: sub.mode,
    nextRun: nextRunOf(deps, sub),
    enabled: sub.enabled,
    ...(sub.disabledReason ? { disabledReason: sub.disabledReason } : {}),
  };
}

function describeScopes(deps: CoreDeps, scopes: readonly string[]): string {
  if (scopes.length === 0) return `all configured scopes (${deps.scopes.length})`;
  return scopes.map((s) => {
    const c = deps.scopes.find((x) => scopeKey(x.scope) === scopeKey(s));
    return c ? scopeLabel(c) : s;
  }).join(', ');
}

/** In a shared conversation, refuses (and audits) a person who may not act on every scope covered. */
async function requireRights(deps: CoreDeps, who: Who, scopes: readonly string[], action: 'subscribe' | 'unsubscribe'): Promise<void> {
  if (who.conversation.type === 'personal') return;
  const { covered, missing } = targetScopes(deps.scopes, scopes);
  const all: ConfiguredScope[] = [...covered, ...missing.map((scope) => ({ scope }))];
  for (const scope of all) await authorize(deps, who, scope, { action });
}

async function subscriptionsOf(deps: CoreDeps, conversationId: string): Promise<Subscription[]> {
  return deps.store.listSubscriptions({ conversationId });
}

async function subscriptionsCard(deps: CoreDeps, conversationId: string, banner?: BannerInput): Promise<Record<string, unknown>> {
  const subs = await subscriptionsOf(deps, conversationId);
  return buildSubscriptionsCard({ subscriptions: subs.map((s) => entryOf(deps, s)), ...(banner ? { banner } : {}) }, cardContextOf(deps));
}

function sameSubscription(a: Subscription, b: Omit<Subscription, 'id' | 'createdAt' | 'createdBy' | 'enabled' | 'conversationId' | 'label'>): boolean {
  const set = (s: readonly string[]) => [...s].map(scopeKey).sort().join('\n');
  return a.enabled && a.cron === b.cron && a.timeZone === b.timeZone && set(a.scopes) === set(b.scopes) && a.severity === b.severity && a.mode === b.mode;
}

// ---- remembering conversations ----

// Per store, so that two bots in one process (tests) do not share what was written.
const remembered = new WeakMap<BotStore, Map<string, { json: string; at: number }>>();

function rememberedIn(store: BotStore): Map<string, { json: string; at: number }> {
  let m = remembered.get(store);
  if (!m) {
    m = new Map();
    remembered.set(store, m);
  }
  return m;
}

async function storeReference(deps: CoreDeps, turn: MessageTurn | ConversationEvent, teamId: string | undefined, force: boolean): Promise<void> {
  const ref = storedReferenceOf(turn.reference, teamId);
  if (!ref) return;
  const now = deps.clock.now();
  const cache = rememberedIn(deps.store);
  const json = JSON.stringify(ref);
  const last = cache.get(ref.conversation.id);
  if (!force && last && last.json === json && now - last.at < REMEMBER_EVERY_MS) return;
  await deps.store.upsertConversation(ref, new Date(now).toISOString());
  if (cache.size > 10_000) cache.clear();
  cache.set(ref.conversation.id, { json, at: now });
}

/** Keeps the conversation's reference current, so digests reach it; called for every message. */
export async function rememberConversation(deps: CoreDeps, turn: MessageTurn): Promise<void> {
  try {
    await storeReference(deps, turn, turn.message.conversation.teamId, false);
  } catch (err) {
    // Best effort: the command itself must still be answered.
    deps.logger.warn({ err: { message: (err as Error).message } }, 'could not store the conversation reference');
  }
}

// ---- commands ----

export async function subscribe(deps: CoreDeps, cmd: CommandOf<'subscribe'>, turn: MessageTurn): Promise<Reply[]> {
  const message = turn.message;
  const conversationId = baseConversationId(message.conversation.id);
  if (deps.scopes.length === 0) {
    throw new BotError('NotSupported', 'No scopes are configured yet, so there is nothing to send a digest about.', 'Ask your admin to add scopes to the bot configuration.');
  }
  const chosen = cmd.scopes.map((ref) => scopeByRef(deps, ref));
  const scopes = [...new Map(chosen.map((s) => [scopeKey(s.scope), s.scope])).values()];
  const timeZone = cmd.timeZone ?? deps.config.timeZone;
  await requireRights(deps, message, scopes, 'subscribe');

  const existing = await subscriptionsOf(deps, conversationId);
  const wanted = { cron: cmd.schedule.cron, timeZone, scopes, ...(cmd.severity ? { severity: cmd.severity } : {}), mode: cmd.mode };
  const twin = existing.findIndex((s) => sameSubscription(s, wanted));
  if (twin >= 0) {
    throw new BotError('AlreadyDone', `This conversation already has this digest: number ${twin + 1}, ${existing[twin]!.label}.`, 'Type `subscriptions` to see it.');
  }
  if (existing.length >= MAX_SUBSCRIPTIONS_PER_CONVERSATION) {
    throw new BotError(
      'InvalidInput',
      `This conversation already has ${MAX_SUBSCRIPTIONS_PER_CONVERSATION} digest subscriptions, the most one conversation can have.`,
      'Type `subscriptions` and stop one with `unsubscribe <n>` first.',
    );
  }

  // The digest is posted through this reference: store it now rather than trusting the last message.
  await storeReference(deps, turn, message.conversation.teamId, true);
  const sub: Subscription = {
    id: newSubscriptionId(),
    conversationId,
    cron: cmd.schedule.cron,
    label: cmd.schedule.label,
    timeZone,
    scopes,
    ...(cmd.severity ? { severity: cmd.severity } : {}),
    mode: cmd.mode,
    createdBy: { objectId: message.from.aadObjectId, name: message.from.name },
    // Subscriptions are numbered by creation time: keep it strictly increasing within the
    // conversation, so two made in the same millisecond still number in the order they were made.
    createdAt: new Date(Math.max(deps.clock.now(), ...existing.map((s) => Date.parse(s.createdAt) + 1).filter((t) => !Number.isNaN(t)))).toISOString(),
    enabled: true,
  };
  await deps.store.addSubscription(sub);
  await audit(deps, message, {
    action: 'subscribe',
    result: 'succeeded',
    detail: `Digest ${sub.label} (${timeZone}) on ${describeScopes(deps, scopes)}, ${sub.severity ? `${sub.severity} only` : 'all severities'}, ${sub.mode === 'changes' ? 'when changed' : 'every time'}.`,
  });
  deps.digests.schedule(sub);
  const position = (await subscriptionsOf(deps, conversationId)).findIndex((s) => s.id === sub.id) + 1;
  return [{ card: buildSubscribedCard({ subscription: entryOf(deps, sub), position: Math.max(1, position) }, cardContextOf(deps)) }];
}

export async function subscriptions(deps: CoreDeps, _cmd: CommandOf<'subscriptions'>, turn: MessageTurn): Promise<Reply[]> {
  return [{ card: await subscriptionsCard(deps, baseConversationId(turn.message.conversation.id)) }];
}

async function remove(deps: CoreDeps, who: Who, sub: Subscription, how: string): Promise<void> {
  await deps.store.deleteSubscription(sub.id);
  deps.digests.unschedule(sub.id);
  await audit(deps, who, { action: 'unsubscribe', result: 'succeeded', detail: `Stopped the digest ${sub.label} (${sub.timeZone}) on ${describeScopes(deps, sub.scopes)} ${how}.` });
}

export async function unsubscribe(deps: CoreDeps, cmd: CommandOf<'unsubscribe'>, turn: MessageTurn): Promise<Reply[]> {
  const message = turn.message;
  const conversationId = baseConversationId(message.conversation.id);
  const subs = await subscriptionsOf(deps, conversationId);
  if (subs.length === 0) {
    return [{ card: await subscriptionsCard(deps, conversationId, { text: 'There is no digest here to stop.', style: 'accent' }) }];
  }
  let targets: Subscription[];
  if (cmd.target === 'all') {
    targets = subs;
  } else {
    const sub = subs[cmd.target - 1];
    if (!sub) {
      throw new BotError('InvalidInput', `There is no digest number ${cmd.target} here: this conversation has ${plural(subs.length, 'digest')}.`, 'Type `subscriptions` to see their numbers.');
    }
    targets = [sub];
  }
  // "all" covers every scope any of them covers (an empty list being every configured scope).
  const scopes = targets.some((t) => t.scopes.length === 0) ? [] : [...new Set(targets.flatMap((t) => t.scopes))];
  await requireRights(deps, message, scopes, 'unsubscribe');
  for (const t of targets) await remove(deps, message, t, `with \`unsubscribe ${cmd.target}\``);
  const text =
    cmd.target === 'all'
      ? `Stopped ${targets.length === 1 ? 'the only digest' : `all ${targets.length} digests`} of this conversation.`
      : `Stopped digest ${cmd.target}: ${targets[0]!.label}.`;
  return [{ card: await subscriptionsCard(deps, conversationId, { text, style: 'good' }) }];
}

export async function unsubscribeAction(deps: CoreDeps, payload: Extract<ActionPayload, { verb: 'unsubscribe' }>, turn: ActionTurn): Promise<ActionReply> {
  const action = turn.action;
  const conversationId = baseConversationId(action.conversation.id);
  const sub = (await deps.store.listSubscriptions()).find((s) => s.id === payload.subscriptionId);
  if (!sub) {
    return { card: await subscriptionsCard(deps, conversationId, { text: 'That digest was already stopped.', style: 'accent' }) };
  }
  if (sub.conversationId !== conversationId) {
    await audit(deps, action, { action: 'unsubscribe', result: 'refused', reason: 'wrongConversation', detail: `The Unsubscribe button of digest ${sub.id} was used outside the conversation it posts to.` });
    throw new BotError('NotAuthorized', 'That digest belongs to another conversation, so it cannot be stopped from here.', 'Type `subscriptions` in the conversation it posts to.');
  }
  await requireRights(deps, action, sub.scopes, 'unsubscribe');
  await remove(deps, action, sub, 'with its Unsubscribe button');
  const who = action.from.name?.trim() || 'someone';
  const card = await subscriptionsCard(deps, conversationId, { text: `${who} stopped the digest ${sub.label}.`, style: 'good' });
  if (action.cardActivityId) {
    // The invoke answer replaces the card for the person who clicked; everyone else sees the update.
    await deps.background.updateCard(turn.reference, action.cardActivityId, card).catch((err: unknown) =>
      deps.logger.warn({ err: { message: (err as Error).message } }, 'could not update the subscriptions card for everyone'),
    );
  }
  return { card };
}

export async function digestNow(deps: CoreDeps, _cmd: CommandOf<'digest'>, turn: MessageTurn): Promise<Reply[]> {
  const conversationId = baseConversationId(turn.message.conversation.id);
  const subs = (await subscriptionsOf(deps, conversationId)).filter((s) => s.enabled);
  let target: DigestTarget;
  let label: string;
  let previous: unknown;
  let timeZone = deps.config.timeZone;
  const only = subs.length === 1 ? subs[0] : undefined;
  if (only) {
    target = { scopes: only.scopes, ...(only.severity ? { severity: only.severity } : {}) };
    label = `preview of the digest ${only.label}`;
    previous = only.lastSnapshot;
    timeZone = only.timeZone;
  } else if (subs.length > 1) {
    const severities = new Set(subs.map((s) => s.severity));
    const severity = severities.size === 1 ? subs[0]!.severity : undefined;
    target = { scopes: subs.some((s) => s.scopes.length === 0) ? [] : [...new Set(subs.flatMap((s) => s.scopes))], ...(severity ? { severity } : {}) };
    label = `preview covering this conversation's ${subs.length} digests`;
  } else {
    target = { scopes: [] };
    label = 'on request (this conversation has no digest subscription)';
  }
  const covered = targetScopes(deps.scopes, target.scopes).covered;
  const reads = await readAlertsAcrossScopes(deps.api, covered);
  // A preview reads and shows; the stored snapshots stay as the last scheduled digest left them.
  const composed = composeDigest(target, label, deps.scopes, new Map(reads.map((r) => [scopeKey(r.scope), r])), previous);
  const input = composed.diff.first ? { ...composed.input, diff: undefined } : composed.input;
  return [{ card: buildDigestCard(input, { ...cardContextOf(deps), timeZone }) }];
}

// ---- install / uninstall ----

export async function onConversationEvent(deps: CoreDeps, event: ConversationEvent): Promise<Reply[]> {
  const conversationId = baseConversationId(event.conversation.id);
  const log = deps.logger.child({ conversationType: event.conversation.type, event: event.kind });
  if (event.kind === 'installed') {
    await storeReference(deps, event, event.conversation.teamId, true);
    log.info('the bot was added to a conversation');
    const inTeam = event.conversation.type === 'channel' || !!event.conversation.teamId;
    if (!inTeam) return [];
    const once = await deps.store.claimAction(`welcome:${conversationId}`, { objectId: event.from.aadObjectId, name: event.from.name }, nowIso(deps), WELCOME_ONCE_MS);
    if (!once.claimed) return [];
    return [{ card: buildWelcomeCard(cardContextOf(deps)) }];
  }

  // Removed from a team: every channel of that team is gone for the bot, not just the one the
  // event names, so every stored conversation of the team goes.
  const ids = new Set([conversationId]);
  const teamId = event.conversation.teamId;
  if (teamId) {
    const conversations = new Set((await deps.store.listSubscriptions()).map((s) => s.conversationId));
    for (const id of conversations) {
      const ref = await deps.store.getConversation(id);
      if (ref?.teamId === teamId) ids.add(id);
    }
  }
  let removed = 0;
  for (const id of ids) {
    for (const s of await subscriptionsOf(deps, id)) deps.digests.unschedule(s.id);
    removed += await deps.store.removeConversation(id);
    rememberedIn(deps.store).delete(id);
  }
  await deps.store.releaseAction(`welcome:${conversationId}`);
  log.info({ conversations: ids.size, subscriptionsDeleted: removed }, 'the bot was removed from a conversation; its digests are deleted');
  await audit(deps, { from: event.from, conversation: { id: conversationId, tenantId: event.conversation.tenantId } }, {
    action: 'uninstall',
    result: 'succeeded',
    detail: `The bot was removed from this ${event.conversation.type === 'channel' || teamId ? 'team' : 'conversation'}; ${plural(removed, 'digest subscription')} deleted.`,
  });
  return [];
}
