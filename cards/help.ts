// Every command the bot understands, and each command in full (`help <command>`: its forms,
// examples and the values it takes), from the one catalog the parser and the manifest also use.
// Both depend only on the configuration, so each is rendered once per configuration.
import { COMMANDS, commandInfo, helpTopic, type CommandInfo, type CommandName } from '../bot/commands/catalog';
import type { CardContext } from './actions';
import { footerVm, renderOnce, type AdaptiveCardJson, type FooterVm } from './render';
import { ownText } from './text';

export interface HelpInput {
  /** Defaults to the full catalog. */
  commands?: readonly CommandInfo[];
  /** How to address the bot in a channel, e.g. "@PIM Alerts". */
  mention?: string;
  /** One command in full instead of the list. */
  topic?: CommandName;
}

export interface HelpVm extends FooterVm {
  fallbackText: string;
  title: string;
  intro: string;
  commands: Array<{ name: string; usage: string; description: string; example: string }>;
  outro: string;
}

interface UsageLineVm {
  usage: string;
  meaning: string;
}

export interface CommandHelpVm extends FooterVm {
  fallbackText: string;
  title: string;
  description: string;
  intro: string;
  formsTitle: string;
  forms: UsageLineVm[];
  examplesTitle: string;
  examples: UsageLineVm[];
  topics: Array<{ title: string; entries: UsageLineVm[] }>;
  outro: string;
}

/** What the help cards depend on besides the catalog: how the bot is addressed and its configuration. */
type HelpContext = Pick<CardContext, 'localRunNote' | 'timeZone'>;

function mentionOf(input: HelpInput): string {
  return input.mention?.trim() || '@PIM Alerts';
}

export function buildHelpView(input: HelpInput, ctx: Pick<CardContext, 'localRunNote'>): HelpVm {
  const commands = input.commands ?? COMMANDS;
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `Commands: ${commands.map((c) => c.name).join(', ')}.`,
    title: 'PIM Alerts commands',
    // Usage lines hold placeholders such as <name>: ownText keeps them from being read as HTML tags.
    intro: ownText(
      `In a channel, mention ${mentionOf(input)} followed by a command; in a personal chat, just type the command. [brackets] mark optional parts, <angle brackets> a value you fill in, and a scope can be named by its number from "scopes" (the Entra ID directory roles also by "directory").`,
    ),
    commands: commands.map((c) => ({
      name: c.name,
      usage: ownText(c.usage),
      description: ownText(c.description),
      example: ownText(`Example: ${c.example}`),
    })),
    outro: 'Type help followed by a command, such as help subscribe, for every form it takes with examples.',
  };
}

export function buildCommandHelpView(name: CommandName, input: Omit<HelpInput, 'topic' | 'commands'>, ctx: HelpContext): CommandHelpVm {
  const c = commandInfo(name);
  const topics = c.topics.map((t) => helpTopic(t, { timeZone: ctx.timeZone?.trim() || 'UTC' }));
  return {
    ...footerVm(ctx.localRunNote),
    fallbackText: `${c.name}: ${c.description} Example: ${c.example}`,
    title: `help ${c.name}`,
    description: ownText(c.description),
    intro: ownText(
      `In a channel, mention ${mentionOf(input)} first. [brackets] mark optional parts and <angle brackets> a value you fill in${
        c.forms.some((f) => f.usage.includes('…')) ? '; … stands for the other parts, which can come in any order' : ''
      }.`,
    ),
    formsTitle: 'Forms',
    // The catalog is the bot's own text; ownText keeps its <placeholders> from being read as tags.
    forms: c.forms.map((f) => ({ usage: ownText(f.usage), meaning: ownText(f.meaning) })),
    examplesTitle: c.examples.length === 1 ? 'Example' : 'Examples',
    examples: c.examples.map((e) => ({ usage: ownText(e.text), meaning: ownText(e.meaning) })),
    topics: topics.map((t) => ({ title: t.title, entries: t.entries.map((e) => ({ usage: ownText(e.usage), meaning: ownText(e.meaning) })) })),
    outro: 'Type help for every command.',
  };
}

/**
 * `help` or `help <command>`. Rendered once per command and configuration; only a card for a
 * custom list of commands (tests) is rendered each time.
 */
export function buildHelpCard(input: HelpInput, ctx: Pick<CardContext, 'localRunNote' | 'timeZone' | 'actionData'>): AdaptiveCardJson {
  const key = JSON.stringify([input.topic ?? '', mentionOf(input), ctx.localRunNote ?? '', ctx.timeZone ?? '']);
  if (input.topic) {
    const topic = input.topic;
    return renderOnce('commandHelp', key, ctx, () => buildCommandHelpView(topic, input, ctx));
  }
  if (input.commands) return renderOnce('help', `${key}${JSON.stringify(input.commands)}`, ctx, () => buildHelpView(input, ctx));
  return renderOnce('help', key, ctx, () => buildHelpView(input, ctx));
}
