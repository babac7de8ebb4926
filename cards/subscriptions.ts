// Digest subscriptions of one conversation: the confirmation after `subscribe` and the numbered list
// of `subscriptions`, each with its next run in the subscription's own time zone and an Unsubscribe
// button. Both render the same template.
import { executeAction, type ActionVm, type CardContext, type Severity } from './actions';
import { bannerVm, effectiveTimeZone, formatterFor, normaliseScope, plural, type BannerInput, type BannerVm, type Fact } from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';
import { ownText, untrustedText } from './text';

export interface SubscriptionEntryInput {
  id: string;
  /** The schedule as people read it, e.g. "daily at 09:00". */
  label: string;
  timeZone: string;
  /** The scopes it covers; empty means every configured scope. */
  scopes: Array<{ scope: string; displayName?: string }>;
  /** How many scopes "every configured scope" is today. */
  allScopesCount?: number;
  severity?: Severity;
  mode: 'changes' | 'always';
  /** The next run; null when the schedule never runs again. */
  nextRun?: Date | null;
  enabled: boolean;
  disabledReason?: string;
}

export interface SubscribedInput {
  subscription: SubscriptionEntryInput;
  /** Its number in `subscriptions`. */
  position: number;
}

export interface SubscriptionsInput {
  /** In the order `unsubscribe <n>` numbers them. */
  subscriptions: SubscriptionEntryInput[];
  banner?: BannerInput;
}

export interface SubscriptionsOptions {
  maxChars?: number;
}

export interface SubscriptionEntryVm {
  heading: string;
  facts: Fact[];
  isPaused: boolean;
  pausedText: string;
  actions: ActionVm[];
}

export interface SubscriptionsVm extends FooterVm, BannerVm {
  fallbackText: string;
  title: string;
  intro: string;
  showEmpty: boolean;
  emptyText: string;
  entries: SubscriptionEntryVm[];
  hasMore: boolean;
  moreText: string;
  hint: string;
}

/** effectiveTimeZone always names a zone Intl knows, so its formatter exists. */
function runFormatter(zone: string): Intl.DateTimeFormat {
  return formatterFor(zone, true)!;
}

/**
 * A run time as the people of that time zone read it: "Mon 30 Nov 09:00 (Europe/Berlin)", with the
 * year added when it is not the current one there.
 */
export function formatRunTime(at: Date, timeZone: string, now?: Date): string {
  const zone = effectiveTimeZone(timeZone);
  const parts = runFormatter(zone).formatToParts(at);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const year = get('year');
  const thisYear = now ? runFormatter(zone).formatToParts(now).find((p) => p.type === 'year')?.value : year;
  return `${get('weekday')} ${get('day')} ${get('month')}${year !== thisYear ? ` ${year}` : ''} ${get('hour')}:${get('minute')} (${zone})`;
}

export function scopesText(entry: Pick<SubscriptionEntryInput, 'scopes' | 'allScopesCount'>): string {
  if (entry.scopes.length === 0) {
    return entry.allScopesCount !== undefined ? `All configured scopes (${entry.allScopesCount})` : 'All configured scopes';
  }
  return untrustedText(entry.scopes.map((s) => s.displayName?.trim() || normaliseScope(s.scope)).join(', '), TEXT_LIMITS.fact);
}

export function modeText(mode: SubscriptionEntryInput['mode']): string {
  return mode === 'changes' ? 'Only when alerts changed since the last digest' : 'Every time, an all-clear included';
}

function entryVm(entry: SubscriptionEntryInput, position: number, ctx: CardContext): SubscriptionEntryVm {
  const next =
    !entry.enabled ? 'Paused' : entry.nextRun ? formatRunTime(entry.nextRun, entry.timeZone, ctx.now) : 'Never (the schedule has no further runs)';
  return {
    // The label is built from what a person typed (a cron expression is kept as typed).
    heading: `${position}. ${untrustedText(entry.label, TEXT_LIMITS.name)}`,
    facts: [
      { title: 'Next run', value: next },
      { title: 'Time zone', value: untrustedText(effectiveTimeZone(entry.timeZone), TEXT_LIMITS.name) },
      { title: 'Scopes', value: scopesText(entry) },
      { title: 'Severity', value: entry.severity ? `${entry.severity} only` : 'All severities' },
      { title: 'Posts', value: modeText(entry.mode) },
    ],
    isPaused: !entry.enabled,
    pausedText: entry.enabled ? '' : `⚠ Paused: ${untrustedText(entry.disabledReason?.trim() || 'no reason was recorded', TEXT_LIMITS.sentence)}`,
    actions: [executeAction(ctx, 'Unsubscribe', { verb: 'unsubscribe', subscriptionId: entry.id }, 'destructive')],
  };
}

const HINT = ownText('Type `subscribe daily 09:00` to add a digest, `unsubscribe <n>` to stop one, or `digest` to see one now.');

/** The confirmation after `subscribe`. */
export function buildSubscribedView(input: SubscribedInput, ctx: CardContext): SubscriptionsVm {
  const entry = entryVm(input.subscription, input.position, ctx);
  const next = entry.facts[0]!.value;
  return {
    ...footerVm(ctx.localRunNote),
    ...bannerVm(undefined),
    fallbackText: `Digest subscribed: ${input.subscription.label}; next run ${next}.`,
    title: 'Digest subscribed',
    intro: `I will post a digest of PIM alerts in this conversation ${untrustedText(input.subscription.label, TEXT_LIMITS.name)}. The first one lists what is active; later ones mark what changed.`,
    showEmpty: false,
    emptyText: '',
    entries: [entry],
    hasMore: false,
    moreText: '',
    hint: 'Type `subscriptions` to see every digest of this conversation, or `digest` to see one now.',
  };
}

export function buildSubscribedCard(input: SubscribedInput, ctx: CardContext): AdaptiveCardJson {
  return renderCard('subscriptions', buildSubscribedView(input, ctx));
}

/** The list of `subscriptions`, cut with "and N more" when it does not fit one message. */
export function buildSubscriptionsView(input: SubscriptionsInput, ctx: CardContext, options: SubscriptionsOptions = {}): SubscriptionsVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const all = input.subscriptions;
  const entries = all.map((s, i) => entryVm(s, i + 1, ctx));
  const layout = (count: number): SubscriptionsVm => {
    const rest = all.length - count;
    return {
      ...footerVm(ctx.localRunNote),
      ...bannerVm(input.banner),
      fallbackText: all.length === 0 ? 'This conversation has no digest subscriptions.' : `${plural(all.length, 'digest subscription')} in this conversation.`,
      title: 'Digest subscriptions',
      intro: all.length === 0 ? '' : `This conversation has ${plural(all.length, 'digest subscription')}.`,
      showEmpty: all.length === 0,
      emptyText:
        'This conversation has no digest subscriptions. Type `subscribe daily 09:00` to get a digest of the active PIM alerts every morning, or `help subscribe` for every option.',
      entries: entries.slice(0, count),
      hasMore: rest > 0,
      moreText: rest > 0 ? ownText(`and ${plural(rest, 'more subscription')} (numbers ${count + 1} to ${all.length}): stop one with \`unsubscribe <n>\`.`) : '',
      hint: HINT,
    };
  };
  const count = largestFitting(0, all.length, (n) => fitsCard(renderCard('subscriptions', layout(n)), maxChars), all.length);
  return layout(Math.max(0, count));
}

export function buildSubscriptionsCard(input: SubscriptionsInput, ctx: CardContext, options: SubscriptionsOptions = {}): AdaptiveCardJson {
  return renderCard('subscriptions', buildSubscriptionsView(input, ctx, options));
}
