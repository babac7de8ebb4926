// Posted once when the bot is added to a team: what it does, how to ask it things, and how to get a
// scheduled digest — the one thing a channel has to set up itself.
import { executeAction, type ActionVm, type CardContext } from './actions';
import { footerVm, renderOnce, type AdaptiveCardJson, type FooterVm } from './render';
import { ownText } from './text';

export interface WelcomeInput {
  /** How to address the bot in a channel, e.g. "@PIM Alerts". */
  mention?: string;
}

export interface WelcomeVm extends FooterVm {
  fallbackText: string;
  title: string;
  intro: string;
  steps: Array<{ command: string; text: string }>;
  outro: string;
  actions: ActionVm[];
}

export function buildWelcomeView(ctx: Pick<CardContext, 'actionData' | 'localRunNote'>, input: WelcomeInput = {}): WelcomeVm {
  const mention = ownText(input.mention?.trim() || '@PIM Alerts');
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `PIM Alerts is here. Mention ${mention} with "help" to see what it can do, or "subscribe daily 09:00" for a daily digest.`,
    title: 'PIM Alerts is here',
    intro:
      'I bring PIM security alerts of Azure resource roles and of Entra ID directory roles (roles assigned outside PIM, too many owners or Global Administrators, stale privileged accounts and the like) into this channel, and let people with the rights dismiss, remediate or rescan them with one click.',
    steps: [
      { command: `${mention} alerts`, text: 'The active alerts on every scope I watch, worst first.' },
      { command: `${mention} subscribe daily 09:00`, text: 'A digest here every morning, only when something changed. Add `tz Europe/Berlin` for your time zone, or `weekdays 08:30`, `weekly monday 09:00`.' },
      { command: `${mention} help`, text: 'Every command, with examples.' },
    ],
    outro: 'Buttons that change anything check your own rights on the scope (Azure) or in the directory (Entra ID) first, and every change is audited.',
    actions: [executeAction(ctx, 'Show alerts', { verb: 'alerts', scope: 'all' }, 'positive'), executeAction(ctx, 'Help', { verb: 'help' })],
  };
}

/** Rendered once per configuration; its buttons are signed afresh each time it is sent. */
export function buildWelcomeCard(ctx: CardContext, input: WelcomeInput = {}): AdaptiveCardJson {
  const key = JSON.stringify([input.mention?.trim() ?? '', ctx.localRunNote ?? '']);
  return renderOnce('welcome', key, ctx, (actionData) => buildWelcomeView({ actionData, localRunNote: ctx.localRunNote }, input));
}
