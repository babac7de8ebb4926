// Every command the bot understands, from the one catalog the parser and the manifest also use.
import { COMMANDS, type CommandInfo } from '../bot/commands/catalog';
import type { CardContext } from './actions';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { ownText } from './text';

export interface HelpInput {
  /** Defaults to the full catalog. */
  commands?: readonly CommandInfo[];
  /** How to address the bot in a channel, e.g. "@PIM Alerts". */
  mention?: string;
}

export interface HelpVm extends FooterVm {
  fallbackText: string;
  title: string;
  intro: string;
  commands: Array<{ name: string; usage: string; description: string; example: string }>;
}

export function buildHelpView(input: HelpInput, ctx: Pick<CardContext, 'localRunNote'>): HelpVm {
  const commands = input.commands ?? COMMANDS;
  const mention = input.mention?.trim() || '@PIM Alerts';
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `Commands: ${commands.map((c) => c.name).join(', ')}.`,
    title: 'PIM Alerts commands',
    // Usage lines hold placeholders such as <name>: ownText keeps them from being read as HTML tags.
    intro: ownText(
      `In a channel, mention ${mention} followed by a command; in a personal chat, just type the command. [brackets] mark optional parts, <angle brackets> a value you fill in, and a scope can be named by its number from "scopes" (the Entra ID directory roles also by "directory").`,
    ),
    commands: commands.map((c) => ({
      name: c.name,
      usage: ownText(c.usage),
      description: ownText(c.description),
      example: ownText(`Example: ${c.example}`),
    })),
  };
}

export function buildHelpCard(input: HelpInput, ctx: Pick<CardContext, 'localRunNote'>): AdaptiveCardJson {
  return renderCard('help', buildHelpView(input, ctx));
}
