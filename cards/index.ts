// The cards the bot sends. Each builder is pure: data and a CardContext in, card JSON out.
export * from './actions';
export { buildSummaryCard, buildSummaryView, compareAlerts, totalsBySeverity, incidentCountOf, MIN_ALERTS_PER_SCOPE } from './summary';
export type { SummaryInput, SummaryScopeInput, SummaryOptions, SummaryVm, SeverityTotals } from './summary';
export { buildDetailCard, buildDetailView, incidentSubject, incidentView } from './detail';
export type { DetailInput, DetailOptions, DetailVm, ConfirmInput } from './detail';
export { buildErrorCard, buildErrorView } from './error';
export type { ErrorInput, ErrorVm } from './error';
export { buildHelpCard, buildHelpView } from './help';
export type { HelpInput, HelpVm } from './help';
export { buildScopesCard, buildScopesView } from './scopes';
export type { ScopesInput, ScopeEntryInput, ScopesVm } from './scopes';
export {
  buildConfigCard,
  buildConfigView,
  buildConfigFormCard,
  buildConfigFormView,
  describeConfigChange,
  parseConfigForm,
  configurationFacts,
  canConfigure,
  CONFIG_FIELDS,
  ENABLED_INPUT_ID,
} from './config';
export type { ConfigInput, ConfigFormInput, ConfigVm, ConfigFormVm, ConfigField, ConfigFormResult } from './config';
export { buildWhoamiCard, buildWhoamiView, MODE_EXPLANATIONS } from './whoami';
export type { WhoamiInput, WhoamiScopeInput, WhoamiMode, WhoamiOptions, WhoamiVm } from './whoami';
export { buildAuditCard, buildAuditView, sortAuditEntries } from './audit';
export type { AuditInput, AuditOptions, AuditVm } from './audit';
export { buildDigestCard, buildDigestView } from './digest';
export type { DigestInput, DigestScopeInput, DigestOptions, DigestVm } from './digest';
export { buildSubscribedCard, buildSubscribedView, buildSubscriptionsCard, buildSubscriptionsView, formatRunTime } from './subscriptions';
export type { SubscriptionEntryInput, SubscribedInput, SubscriptionsInput, SubscriptionsVm } from './subscriptions';
export { buildWelcomeCard, buildWelcomeView } from './welcome';
export type { WelcomeInput, WelcomeVm } from './welcome';
export { renderCard, cardAttachment, ADAPTIVE_CARD_CONTENT_TYPE, TEMPLATE_NAMES } from './render';
export type { AdaptiveCardJson, TemplateName } from './render';
export { MAX_CARD_CHARS, TEXT_LIMITS, cardChars, fitsCard } from './size';
export { ownText, untrustedText } from './text';
export { describeRefreshOutcome, formatDuration } from './refresh';
export type { ActiveBefore, RefreshOutcomeInput, RefreshOutcomeText } from './refresh';
export { formatDateTime, formatRelative, formatWhen, plural, type BannerInput, type BannerStyle } from './format';
