// A failure told plainly: what went wrong in one sentence, what to do, and the ids support needs.
import type { CommandName } from '../bot/commands/catalog';
import { executeAction, type ActionPayload, type ActionVm, type CardContext } from './actions';
import { formatDateTime, oneSentence, truncate, untrustedSentence, type Fact } from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { TEXT_LIMITS } from './size';
import { ownText, untrustedText } from './text';

export interface ErrorInput {
  /**
   * What went wrong, one sentence; only the first sentence is shown. It often quotes what a person
   * typed or what Azure answered, so it is shown as untrusted text: Markdown in it shows literally
   * (write commands in it in "double quotes", not `code`).
   */
  message: string;
  /** What the person can do about it, one sentence: the bot's own text (`code` renders). */
  whatToDo?: string;
  /** Defaults to "Something went wrong". The bot's own text. */
  title?: string;
  /** The service's request id (x-ms-request-id) or the bot's correlation id. */
  requestId?: string;
  /** The service's error code, e.g. AuthorizationFailed. */
  code?: string;
  /** What the Try again button repeats. */
  retry?: ActionPayload;
  /** Show a Help button (the help card). */
  help?: boolean;
  /** Show a Help button for one command (its `help <command>` card) instead. */
  helpTopic?: CommandName;
}

export interface ErrorVm extends FooterVm {
  fallbackText: string;
  title: string;
  message: string;
  hasWhatToDo: boolean;
  whatToDo: string;
  hasDetails: boolean;
  details: Fact[];
  hasActions: boolean;
  actions: ActionVm[];
}

export function buildErrorView(input: ErrorInput, ctx: CardContext): ErrorVm {
  const message = untrustedSentence(input.message, TEXT_LIMITS.sentence) || 'Something went wrong.';
  const whatToDo = input.whatToDo ? ownText(oneSentence(input.whatToDo, TEXT_LIMITS.sentence)) : '';
  const details: Fact[] = [];
  if (input.code?.trim()) details.push({ title: 'Error code', value: untrustedText(input.code, TEXT_LIMITS.name) });
  if (input.requestId?.trim()) details.push({ title: 'Request id', value: untrustedText(input.requestId, TEXT_LIMITS.name) });
  if (details.length > 0) details.push({ title: 'Time', value: formatDateTime(ctx.now.toISOString(), { timeZone: ctx.timeZone }) });
  const actions: ActionVm[] = [];
  if (input.retry) actions.push(executeAction(ctx, 'Try again', input.retry, 'positive'));
  if (input.helpTopic) actions.push(executeAction(ctx, `Help on ${input.helpTopic}`, { verb: 'help', topic: input.helpTopic }));
  else if (input.help) actions.push(executeAction(ctx, 'Help', { verb: 'help' }));
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: whatToDo ? `${message} ${whatToDo}` : message,
    title: ownText(truncate(input.title?.trim() || 'Something went wrong', TEXT_LIMITS.name)),
    message,
    hasWhatToDo: whatToDo !== '',
    whatToDo,
    hasDetails: details.length > 0,
    details,
    hasActions: actions.length > 0,
    actions,
  };
}

export function buildErrorCard(input: ErrorInput, ctx: CardContext): AdaptiveCardJson {
  return renderCard('error', buildErrorView(input, ctx));
}
