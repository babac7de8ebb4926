// The one list of commands the bot understands. The parser, the help card and the Teams manifest's
// commandLists are all built from it, and a test checks that they agree.

export type CommandName =
  | 'help'
  | 'alerts'
  | 'alert'
  | 'scopes'
  | 'config'
  | 'dismiss'
  | 'remediate'
  | 'refresh'
  | 'whoami'
  | 'audit'
  | 'subscribe'
  | 'subscriptions'
  | 'unsubscribe'
  | 'digest';

export interface CommandInfo {
  name: CommandName;
  /** Usage line shown on the help card. */
  usage: string;
  /** What it does, one sentence (the manifest's description is cut to 128 characters). */
  description: string;
  /** A real example a person can type. */
  example: string;
  /**
   * Teams shows at most 10 commands per scope in the compose box menu; these are the ones offered
   * there. Every command works whether or not it is listed.
   */
  inManifest: boolean;
}

export const COMMANDS: readonly CommandInfo[] = [
  { name: 'help', usage: 'help', description: 'Show every command with an example.', example: 'help', inManifest: true },
  {
    name: 'alerts',
    usage: 'alerts [scope|all] [severity high|medium|low]',
    description: 'Summarise the active PIM alerts across the configured Azure scopes and the Entra ID directory.',
    example: 'alerts all severity high',
    inManifest: true,
  },
  {
    name: 'alert',
    usage: 'alert <name> [scope]',
    description: 'Explain one alert: impact, mitigation, configuration and incidents.',
    example: 'alert duplicate 2',
    inManifest: true,
  },
  {
    name: 'scopes',
    usage: 'scopes',
    description: 'List the configured scopes (Azure and the Entra ID directory) with their active alert counts.',
    example: 'scopes',
    inManifest: true,
  },
  {
    name: 'config',
    usage: 'config <name> [scope]',
    description: "Show an alert's configuration (and change it, if you may).",
    example: 'config "too many owners" 1',
    inManifest: true,
  },
  {
    name: 'dismiss',
    usage: 'dismiss <name> [scope]',
    description: 'Dismiss an alert after you confirm on the card.',
    example: 'dismiss permanent 1',
    inManifest: false,
  },
  {
    name: 'remediate',
    usage: 'remediate <name> <incident> [scope]',
    description: 'Remediate one incident of an alert after you confirm on the card.',
    example: 'remediate outside a9f38501-74ec-43ea-8663-6c538602150d 1',
    inManifest: false,
  },
  {
    name: 'refresh',
    usage: 'refresh [<name>|all] [scope]',
    description: 'Rescan one alert or all alerts of a scope after you confirm on the card.',
    example: 'refresh all 1',
    inManifest: true,
  },
  {
    name: 'whoami',
    usage: 'whoami',
    description: 'Tell what you may do on each scope, and why.',
    example: 'whoami',
    inManifest: true,
  },
  {
    name: 'audit',
    usage: 'audit [n]',
    description: 'Show the latest audited changes (operators only).',
    example: 'audit 20',
    inManifest: false,
  },
  {
    name: 'subscribe',
    usage: 'subscribe [schedule] [scope…] [severity high|medium|low] [changes|always] [tz <zone>]',
    description: 'Send this conversation a scheduled digest of active alerts.',
    example: 'subscribe daily 09:00 tz Europe/Berlin',
    inManifest: true,
  },
  {
    name: 'subscriptions',
    usage: 'subscriptions',
    description: "List this conversation's digest subscriptions.",
    example: 'subscriptions',
    inManifest: true,
  },
  {
    name: 'unsubscribe',
    usage: 'unsubscribe <n|all>',
    description: 'Stop a digest subscription of this conversation.',
    example: 'unsubscribe 1',
    inManifest: false,
  },
  {
    name: 'digest',
    usage: 'digest',
    description: "Send this conversation's digest now, as subscribers get it.",
    example: 'digest',
    inManifest: true,
  },
];

export const COMMAND_NAMES: readonly CommandName[] = COMMANDS.map((c) => c.name);
