// Expands a card template with its view model. Templates only bind values; every decision (what to
// show, in which order, how long) is made by the view-model builders, so the same template renders
// every variant and the builders can be tested without rendering.
import * as ACData from 'adaptivecards-templating';
import summaryTemplate from './templates/summary.json';
import detailTemplate from './templates/detail.json';
import errorTemplate from './templates/error.json';
import helpTemplate from './templates/help.json';
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
import type { HelpVm } from './help';
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
