// "whoami": who the bot thinks you are, how it decides what you may do, and the decision for every
// configured scope with its reason, so a person refused a button can see why without asking an admin.
import type { CardContext } from './actions';
import { plural, scopeIdLine, type Fact, type TextColor } from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';
import { untrustedText } from './text';

/** How the bot decides who may act (see bot/security/authorizer.ts). */
export type WhoamiMode = 'rbac' | 'allowlist' | 'everyone';

export interface WhoamiScopeInput {
  /** Normalised scope id, e.g. `subscriptions/<guid>`. */
  scope: string;
  displayName?: string;
  /** Whether this person may act (dismiss, remediate, refresh, configure) on the scope. */
  allowed: boolean;
  /** The authorizer's one-sentence reason for the decision. */
  reason: string;
  /** The deny assignment that refuses, when a role would otherwise allow it. */
  deniedBy?: { name: string; scope: string };
}

export interface WhoamiInput {
  name?: string;
  objectId?: string;
  mode: WhoamiMode;
  /** In configured order. */
  scopes: WhoamiScopeInput[];
}

export interface WhoamiOptions {
  maxChars?: number;
}

export interface WhoamiScopeVm {
  scope: string;
  title: string;
  id: string;
  showId: boolean;
  status: string;
  statusColor: TextColor;
  reason: string;
}

export interface WhoamiVm extends FooterVm {
  fallbackText: string;
  title: string;
  intro: string;
  facts: Fact[];
  rulesTitle: string;
  rulesText: string;
  scopesTitle: string;
  showEmpty: boolean;
  emptyText: string;
  scopes: WhoamiScopeVm[];
  hasMore: boolean;
  moreText: string;
}

/** How rights are decided in each mode, in the words a person reads on the card. */
export const MODE_EXPLANATIONS: Readonly<Record<WhoamiMode, string>> = {
  rbac:
    'By your own roles: on an Azure scope, Owner or User Access Administrator (roleAssignments/write) on the scope or above, unless a deny assignment there blocks it for you; on the Entra ID directory, an active Privileged Role Administrator or Global Administrator assignment, direct or through a group.',
  allowlist: 'By the operator list PIM_OPERATORS: the people listed there may act on every scope; everyone else can read alerts only.',
  everyone: 'Local run: everyone may act on every scope.',
};

const MAY_ACT = '✔ May act';
const READ_ONLY = '✖ Read only';
const DENIED = '⛔ Denied';

function scopeRow(s: WhoamiScopeInput): WhoamiScopeVm {
  const name = s.displayName?.trim() || s.scope;
  return {
    scope: s.scope,
    title: untrustedText(name, TEXT_LIMITS.name),
    id: untrustedText(scopeIdLine(s.scope), TEXT_LIMITS.name),
    showId: true,
    // A deny assignment is called out on its own: the person holds the role, and Azure still says no.
    status: s.allowed ? MAY_ACT : s.deniedBy ? DENIED : READ_ONLY,
    statusColor: s.allowed ? 'accent' : s.deniedBy ? 'attention' : 'default',
    // Reasons name roles and groups as the directory and ARM call them: untrusted.
    reason: untrustedText(s.reason, TEXT_LIMITS.sentence) || (s.allowed ? 'Allowed.' : 'Not allowed.'),
  };
}

export function buildWhoamiView(input: WhoamiInput, ctx: CardContext, options: WhoamiOptions = {}): WhoamiVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const name = input.name?.trim();
  const objectId = input.objectId?.trim();
  const rows = input.scopes.map(scopeRow);
  const total = rows.length;
  const allowed = input.scopes.filter((s) => s.allowed).length;
  const who = untrustedText(name || objectId || 'an unknown person', TEXT_LIMITS.name);

  const intro =
    total === 0
      ? 'No scopes are configured, so there is nothing to act on yet.'
      : allowed === total
        ? `You may act on ${total === 1 ? 'the configured scope' : `all ${total} configured scopes`}.`
        : allowed === 0
          ? `You can read alerts on ${total === 1 ? 'the configured scope' : `all ${total} configured scopes`} but act on none.`
          : `You may act on ${allowed} of ${plural(total, 'configured scope')}; on the others you can read alerts only.`;

  const layout = (count: number): WhoamiVm => {
    const hidden = input.scopes.slice(count);
    const hiddenAllowed = hidden.filter((s) => s.allowed).length;
    return {
      ...footerVm(ctx.localRunNote),
      fallbackText: `You are ${who}. ${intro}`,
      title: 'Who you are',
      intro,
      facts: [
        { title: 'Name', value: untrustedText(name || 'not sent by Teams', TEXT_LIMITS.fact) },
        { title: 'Object id', value: untrustedText(objectId || 'not sent by Teams', TEXT_LIMITS.fact) },
      ],
      rulesTitle: 'How your rights are decided',
      rulesText: MODE_EXPLANATIONS[input.mode],
      scopesTitle: `Your rights per scope (${total})`,
      showEmpty: total === 0,
      emptyText: 'No scopes are configured yet; an admin adds them in the bot configuration.',
      scopes: rows.slice(0, count),
      hasMore: hidden.length > 0,
      moreText:
        hidden.length > 0
          ? `and ${plural(hidden.length, 'more scope')} (${hiddenAllowed} where you may act, ${hidden.length - hiddenAllowed} read only)`
          : '',
    };
  };
  // Rows are cut where the rendered card would go over budget; at least one row is always shown
  // (its texts are already capped).
  const count = total === 0 ? 0 : Math.max(1, largestFitting(1, total, (n) => fitsCard(renderCard('whoami', layout(n)), maxChars)));
  return layout(count);
}

export function buildWhoamiCard(input: WhoamiInput, ctx: CardContext, options: WhoamiOptions = {}): AdaptiveCardJson {
  return renderCard('whoami', buildWhoamiView(input, ctx, options));
}
