// Expands a card template with its view model. Templates only bind values; every decision (what to
// show, in which order, how long) is made by the view-model builders, so the same template renders
// every variant and the builders can be tested without rendering.
import * as ACData from 'adaptivecards-templating';
import type { ActionPayload, CardContext } from './actions';
import summaryTemplate from './templates/summary.json';
import detailTemplate from './templates/detail.json';
import errorTemplate from './templates/error.json';
import helpTemplate from './templates/help.json';
import commandHelpTemplate from './templates/commandHelp.json';
import scopesTemplate from './templates/scopes.json';
import configTemplate from './templates/config.json';
import configFormTemplate from './templates/configForm.json';
import digestTemplate from './templates/digest.json';
import subscriptionsTemplate from './templates/subscriptions.json';
import welcomeTemplate from './templates/welcome.json';
import whoamiTemplate from './templates/whoami.json';
import auditTemplate from './templates/audit.json';
import type { SummaryVm } from './summary';
import type { DetailVm } from './detail';
import type { ErrorVm } from './error';
import type { CommandHelpVm, HelpVm } from './help';
import type { ScopesVm } from './scopes';
import type { ConfigVm, ConfigFormVm } from './config';
import type { DigestVm } from './digest';
import type { SubscriptionsVm } from './subscriptions';
import type { WelcomeVm } from './welcome';
import type { WhoamiVm } from './whoami';
import type { AuditVm } from './audit';

const TEMPLATES = {
  summary: summaryTemplate,
  detail: detailTemplate,
  error: errorTemplate,
  help: helpTemplate,
  commandHelp: commandHelpTemplate,
  scopes: scopesTemplate,
  config: configTemplate,
  configForm: configFormTemplate,
  digest: digestTemplate,
  subscriptions: subscriptionsTemplate,
  welcome: welcomeTemplate,
  whoami: whoamiTemplate,
  audit: auditTemplate,
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];

export interface TemplateViewModels {
  summary: SummaryVm;
  detail: DetailVm;
  error: ErrorVm;
  help: HelpVm;
  commandHelp: CommandHelpVm;
  scopes: ScopesVm;
  config: ConfigVm;
  configForm: ConfigFormVm;
  digest: DigestVm;
  subscriptions: SubscriptionsVm;
  welcome: WelcomeVm;
  whoami: WhoamiVm;
  audit: AuditVm;
}

/** An expanded Adaptive Card, ready to be sent as an attachment. */
export interface AdaptiveCardJson {
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  [key: string]: unknown;
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** Every card carries the optional local-run footer. */
export interface FooterVm {
  hasLocalRunNote: boolean;
  localRunNote: string;
}

export function footerVm(localRunNote: string | undefined): FooterVm {
  const note = localRunNote?.trim() ?? '';
  return { hasLocalRunNote: note !== '', localRunNote: note };
}

// Parsing a template into expressions costs more than expanding it, and builders render many times
// while measuring, so each template is parsed once.
const parsed = new Map<TemplateName, ACData.Template>();

export function renderCard<N extends TemplateName>(templateName: N, viewModel: TemplateViewModels[N]): AdaptiveCardJson {
  let template = parsed.get(templateName);
  if (!template) {
    template = new ACData.Template(TEMPLATES[templateName]);
    parsed.set(templateName, template);
  }
  const card = template.expand({ $root: viewModel }) as AdaptiveCardJson | null;
  if (!card || card.type !== 'AdaptiveCard') {
    throw new Error(`The ${templateName} card template did not expand to a card; check the template file.`);
  }
  return card;
}

/** The attachment a Teams activity carries. */
export function cardAttachment(card: AdaptiveCardJson): { contentType: string; content: AdaptiveCardJson } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}

// ---- cards that depend only on the configuration ----

/** Stands in for a button's data in a card rendered once; replaced by freshly signed data on each use. */
const SLOT = '__actionSlot';

interface OnceEntry {
  card: AdaptiveCardJson;
  /** The payloads of the card's buttons, by slot number. */
  payloads: ActionPayload[];
}

/** Far more than the distinct (card, configuration) pairs a bot has; bounds a cache keyed by input. */
const MAX_ONCE_ENTRIES = 500;
const once = new Map<string, OnceEntry>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function isSlot(value: unknown): value is { [SLOT]: number } {
  return !!value && typeof value === 'object' && typeof (value as Record<string, unknown>)[SLOT] === 'number';
}

/** A copy of a rendered-once card with each button's slot replaced by `sign(payload)`. */
function withSignedButtons(node: unknown, payloads: readonly ActionPayload[], sign: (p: ActionPayload) => object): unknown {
  if (isSlot(node)) return sign(payloads[node[SLOT]]!);
  if (Array.isArray(node)) return node.map((n) => withSignedButtons(n, payloads, sign));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = withSignedButtons(v, payloads, sign);
    return out;
  }
  return node;
}

/**
 * For cards whose content depends only on the configuration (help, per-command help, welcome):
 * the view model is built and the template expanded once per `key` (which must name every input
 * the view depends on). A card without buttons is the same frozen object every time; a card with
 * buttons is copied with its buttons' data signed afresh, since signed data carries an expiry.
 */
export function renderOnce<N extends TemplateName>(
  templateName: N,
  key: string,
  ctx: Pick<CardContext, 'actionData'>,
  view: (actionData: CardContext['actionData']) => TemplateViewModels[N],
): AdaptiveCardJson {
  const cacheKey = `${templateName}\u0000${key}`;
  let entry = once.get(cacheKey);
  if (!entry) {
    const payloads: ActionPayload[] = [];
    const card = renderCard(templateName, view((payload) => ({ [SLOT]: payloads.push(payload) - 1 })));
    entry = { card: deepFreeze(card), payloads };
    if (once.size >= MAX_ONCE_ENTRIES) once.clear();
    once.set(cacheKey, entry);
  }
  if (entry.payloads.length === 0) return entry.card;
  return withSignedButtons(entry.card, entry.payloads, (p) => ctx.actionData(p)) as AdaptiveCardJson;
}
