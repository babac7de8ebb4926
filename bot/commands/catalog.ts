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

/** One shape a command takes, as a person types it. */
export interface CommandForm {
  /** What to type; <angle brackets> mark a value to fill in. */
  usage: string;
  /** What that shape does, one short sentence. */
  meaning: string;
}

/** A real command a person can type (tests parse every one), and what it does. */
export interface CommandExample {
  text: string;
  meaning: string;
}

/** The values several commands share, explained once and shown with each command that takes them. */
export type HelpTopicName = 'scope' | 'alert' | 'incident' | 'severity' | 'schedule' | 'timeZone';

export interface CommandInfo {
  name: CommandName;
  /** Usage line shown on the help card. */
  usage: string;
  /** What it does, one sentence (the manifest's description is cut to 128 characters). */
  description: string;
  /** A real example a person can type: the first of `examples`. */
  example: string;
  /** Every shape the command takes, for `help <command>`. */
  forms: readonly CommandForm[];
  /** Real commands with what each does; the first is `example`. */
  examples: readonly CommandExample[];
  /** The shared values this command takes, explained on its help card. */
  topics: readonly HelpTopicName[];
  /**
   * Teams shows at most 10 commands per scope in the compose box menu; these are the ones offered
   * there. Every command works whether or not it is listed.
   */
  inManifest: boolean;
}

type CommandSpec = Omit<CommandInfo, 'example'>;

function command(spec: CommandSpec): CommandInfo {
  const first = spec.examples[0];
  if (!first) throw new Error(`The command ${spec.name} needs at least one example.`);
  return { ...spec, example: first.text };
}

export const COMMANDS: readonly CommandInfo[] = [
  command({
    name: 'help',
    usage: 'help [command]',
    description: 'Show every command with an example, or one command in full.',
    forms: [
      { usage: 'help', meaning: 'Every command, with an example of each.' },
      { usage: 'help <command>', meaning: 'One command: every form it takes, with examples.' },
    ],
    examples: [
      { text: 'help', meaning: 'Every command.' },
      { text: 'help subscribe', meaning: 'How to schedule a digest.' },
    ],
    topics: [],
    inManifest: true,
  }),
  command({
    name: 'alerts',
    usage: 'alerts [scope|all] [severity high|medium|low]',
    description: 'Summarise the active PIM alerts across the configured Azure scopes and the Entra ID directory.',
    forms: [
      { usage: 'alerts', meaning: 'The active alerts of every scope I watch, worst first.' },
      { usage: 'alerts <scope>', meaning: 'The active alerts of one scope.' },
      { usage: 'alerts all', meaning: 'Every scope, the same as plain alerts.' },
      { usage: 'alerts severity <level>', meaning: 'Only alerts of that severity; the level alone works too.' },
    ],
    examples: [
      { text: 'alerts all severity high', meaning: 'High-severity alerts on every scope.' },
      { text: 'alerts 2', meaning: 'The alerts of scope number 2 in scopes.' },
      { text: 'alerts "Contoso Production" medium', meaning: 'Medium-severity alerts of the scope with that name.' },
    ],
    topics: ['scope', 'severity'],
    inManifest: true,
  }),
  command({
    name: 'alert',
    usage: 'alert <name> [scope]',
    description: 'Explain one alert: impact, mitigation, configuration and incidents.',
    forms: [
      { usage: 'alert <name>', meaning: 'The alert on the first scope where it is active, naming the other scopes where it is active too.' },
      { usage: 'alert <name> <scope>', meaning: 'The alert on that scope.' },
    ],
    examples: [
      { text: 'alert duplicate 2', meaning: 'The duplicate-role alert on scope 2.' },
      { text: 'alert "too many owners" 1', meaning: 'A name with spaces, quoted because a scope follows it.' },
      { text: 'alert TooManyPermanentOwnersAssignedToResource', meaning: 'The alert by its id.' },
    ],
    topics: ['alert', 'scope'],
    inManifest: true,
  }),
  command({
    name: 'scopes',
    usage: 'scopes',
    description: 'List the configured scopes (Azure and the Entra ID directory) with their active alert counts.',
    forms: [{ usage: 'scopes', meaning: 'Every scope I watch, numbered, with its active alerts and any I cannot read.' }],
    examples: [{ text: 'scopes', meaning: 'The numbered list other commands refer to.' }],
    topics: ['scope'],
    inManifest: true,
  }),
  command({
    name: 'config',
    usage: 'config <name> [scope]',
    description: "Show an alert's configuration (and change it, if you may).",
    forms: [
      { usage: 'config <name>', meaning: "The alert's configuration on the first scope where it is found." },
      { usage: 'config <name> <scope>', meaning: 'Its configuration on that scope; operators get a Change button.' },
    ],
    examples: [
      { text: 'config "too many owners" 1', meaning: 'The owner thresholds on scope 1.' },
      { text: 'config permanent', meaning: 'The permanent-owner thresholds.' },
    ],
    topics: ['alert', 'scope'],
    inManifest: true,
  }),
  command({
    name: 'dismiss',
    usage: 'dismiss <name> [scope]',
    description: 'Dismiss an alert after you confirm on the card.',
    forms: [
      { usage: 'dismiss <name> [scope]', meaning: 'Shows the alert with Dismiss and Cancel buttons; nothing changes until you click Dismiss.' },
    ],
    examples: [{ text: 'dismiss permanent 1', meaning: 'Asks to dismiss the permanent-owners alert on scope 1.' }],
    topics: ['alert', 'scope'],
    inManifest: false,
  }),
  command({
    name: 'remediate',
    usage: 'remediate <name> <incident> [scope]',
    description: 'Remediate one incident of an alert after you confirm on the card.',
    forms: [
      {
        usage: 'remediate <name> <incident> [scope]',
        meaning: 'Shows who and which role the incident is about, with Remediate and Cancel buttons; nothing changes until you click Remediate.',
      },
    ],
    examples: [
      { text: 'remediate outside a9f38501-74ec-43ea-8663-6c538602150d 1', meaning: 'An incident by its id, on scope 1.' },
      { text: 'remediate outside 1', meaning: 'The first incident of the alert about roles assigned outside PIM.' },
    ],
    topics: ['alert', 'incident', 'scope'],
    inManifest: false,
  }),
  command({
    name: 'refresh',
    usage: 'refresh [<name>|all] [scope]',
    description: 'Rescan one alert or all alerts of a scope after you confirm on the card.',
    forms: [
      { usage: 'refresh all <scope>', meaning: 'Rescans every alert of a scope; refresh <scope> is the same.' },
      { usage: 'refresh <name> [scope]', meaning: 'Rescans one alert.' },
      { usage: 'refresh', meaning: 'Rescans every alert when I watch a single scope.' },
    ],
    examples: [
      { text: 'refresh all 1', meaning: 'Rescans every alert of scope 1; the result is posted in the thread.' },
      { text: 'refresh duplicate 2', meaning: 'Rescans the duplicate-role alert on scope 2.' },
    ],
    topics: ['alert', 'scope'],
    inManifest: true,
  }),
  command({
    name: 'whoami',
    usage: 'whoami',
    description: 'Tell what you may do on each scope, and why.',
    forms: [{ usage: 'whoami', meaning: 'Your rights on every scope I watch, with the reason for each.' }],
    examples: [{ text: 'whoami', meaning: 'What you may change through me.' }],
    topics: [],
    inManifest: true,
  }),
  command({
    name: 'audit',
    usage: 'audit [n]',
    description: 'Show the latest audited changes (operators only).',
    forms: [
      { usage: 'audit', meaning: 'The latest 10 changes and refusals, newest first.' },
      { usage: 'audit <n>', meaning: 'The latest n, from 1 to 100.' },
    ],
    examples: [{ text: 'audit 20', meaning: 'The latest 20 entries.' }],
    topics: [],
    inManifest: false,
  }),
  command({
    name: 'subscribe',
    usage: 'subscribe [schedule] [scope…] [severity high|medium|low] [changes|always] [tz <zone>]',
    description: 'Send this conversation a scheduled digest of active alerts.',
    forms: [
      { usage: 'subscribe', meaning: 'A digest every day at 09:00 for every scope, sent only when something changed.' },
      { usage: 'subscribe <schedule>', meaning: 'At the times the schedule says.' },
      { usage: 'subscribe … <scope> <scope>', meaning: 'Only those scopes, each one word: quote a name with spaces.' },
      { usage: 'subscribe … severity <level>', meaning: 'Only alerts of that severity.' },
      { usage: 'subscribe … changes', meaning: 'Only when the alerts or incidents changed since the last digest (the default).' },
      { usage: 'subscribe … always', meaning: 'Every time, an all-clear included.' },
      { usage: 'subscribe … tz <zone>', meaning: 'Times in that time zone.' },
    ],
    examples: [
      { text: 'subscribe daily 09:00 tz Europe/Berlin', meaning: 'Every morning at 09:00 Berlin time.' },
      { text: 'subscribe weekdays 08:30 1 2 severity high', meaning: 'Monday to Friday at 08:30, scopes 1 and 2, High alerts only.' },
      { text: 'subscribe weekly monday 09:00 always', meaning: 'Every Monday, even when nothing changed.' },
      { text: 'subscribe cron "0 8,16 * * 1-5"', meaning: 'At 08:00 and 16:00 on weekdays.' },
    ],
    topics: ['schedule', 'timeZone', 'scope', 'severity'],
    inManifest: true,
  }),
  command({
    name: 'subscriptions',
    usage: 'subscriptions',
    description: "List this conversation's digest subscriptions.",
    forms: [{ usage: 'subscriptions', meaning: "This conversation's digests, numbered, with each one's next run." }],
    examples: [{ text: 'subscriptions', meaning: 'The numbers unsubscribe takes.' }],
    topics: [],
    inManifest: true,
  }),
  command({
    name: 'unsubscribe',
    usage: 'unsubscribe <n|all>',
    description: 'Stop a digest subscription of this conversation.',
    forms: [
      { usage: 'unsubscribe <n>', meaning: 'Stops digest number n of subscriptions.' },
      { usage: 'unsubscribe all', meaning: "Stops every digest of this conversation." },
    ],
    examples: [{ text: 'unsubscribe 1', meaning: 'Stops the first digest.' }],
    topics: [],
    inManifest: false,
  }),
  command({
    name: 'digest',
    usage: 'digest',
    description: "Send this conversation's digest now, as subscribers get it.",
    forms: [{ usage: 'digest', meaning: "This conversation's digest now, whatever its schedule." }],
    examples: [{ text: 'digest', meaning: 'A digest now.' }],
    topics: [],
    inManifest: true,
  }),
];

export const COMMAND_NAMES: readonly CommandName[] = COMMANDS.map((c) => c.name);

export function commandInfo(name: CommandName): CommandInfo {
  return COMMANDS.find((c) => c.name === name)!;
}

export interface HelpTopic {
  title: string;
  entries: readonly CommandForm[];
}

/**
 * The shared values, each explained once. `timeZone` names the bot's default zone, which is
 * configuration: the help card passes it in.
 */
export function helpTopic(name: HelpTopicName, defaults: { timeZone: string }): HelpTopic {
  switch (name) {
    case 'scope':
      return {
        title: 'Naming a scope',
        entries: [
          { usage: '2', meaning: 'Its number in scopes.' },
          { usage: 'Contoso Production', meaning: 'Its name, or a part of it only one scope has; quote a name with spaces when more words follow.' },
          { usage: 'subscriptions/<subscription id>', meaning: 'A subscription; its id alone works too.' },
          { usage: 'subscriptions/<subscription id>/resourceGroups/<name>', meaning: 'A resource group.' },
          { usage: 'providers/Microsoft.Management/managementGroups/<id>', meaning: 'A management group.' },
          { usage: 'directory', meaning: 'The Entra ID directory roles, when I watch them.' },
        ],
      };
    case 'alert':
      return {
        title: 'Naming an alert',
        entries: [
          { usage: 'duplicate', meaning: 'A part of its name that only one alert has, such as permanent or outside.' },
          { usage: '"Too many owners assigned to a resource"', meaning: 'Its name as alerts shows it, quoted when a scope follows.' },
          { usage: 'TooManyOwnersAssignedToResource', meaning: 'Its id.' },
          ...ALERT_NAMES.map((a) => ({ usage: a.displayName, meaning: `${a.world === 'directory' ? 'Entra ID directory roles' : 'Azure resource roles'}; id ${a.id}.` })),
        ],
      };
    case 'incident':
      return {
        title: 'Naming an incident',
        entries: [
          { usage: '1', meaning: "Its number on the alert's card, 1 for the first listed." },
          { usage: '<incident id>', meaning: 'The id the card shows for it.' },
        ],
      };
    case 'severity':
      return {
        title: 'Severities',
        entries: [{ usage: 'high, medium, low', meaning: 'After the word severity, or on their own.' }],
      };
    case 'schedule':
      return {
        title: 'Schedules',
        entries: [
          { usage: 'hourly', meaning: 'At the start of every hour.' },
          { usage: 'daily 09:00', meaning: 'Every day at that time, on a 24-hour clock; daily alone means 09:00.' },
          { usage: 'weekdays 08:30', meaning: 'Monday to Friday at that time.' },
          { usage: 'weekly monday 09:00', meaning: 'Once a week; mon, tue and the other short names work too.' },
          { usage: 'cron "0 8 * * 1-5"', meaning: 'Five cron fields: minute, hour, day of month, month, day of week. At most every 15 minutes.' },
        ],
      };
    case 'timeZone':
      return {
        title: 'Time zones',
        entries: [
          { usage: 'tz Europe/Berlin', meaning: `An IANA time zone name; daylight saving time is followed. Without tz, times are in ${defaults.timeZone}.` },
        ],
      };
  }
}

/**
 * The PIM alerts the services define: Azure resource roles (test/fixtures/arm/examples/
 * GetAlertDefinitions.json) and Entra ID directory roles (sim/data/graph-alert-definitions.json),
 * whose ids carry the tenant's id.
 */
export const ALERT_NAMES: ReadonlyArray<{ id: string; displayName: string; world: 'azure' | 'directory' }> = [
  { id: 'TooManyOwnersAssignedToResource', displayName: 'Too many owners assigned to a resource', world: 'azure' },
  { id: 'TooManyPermanentOwnersAssignedToResource', displayName: 'Too many permanent owners assigned to a resource', world: 'azure' },
  { id: 'DuplicateRoleCreated', displayName: 'Duplicate role created', world: 'azure' },
  { id: 'AzureRolesAssignedOutsidePimAlert', displayName: 'Roles are being assigned outside of Privileged Identity Management', world: 'azure' },
  ...(
    [
      ['TooManyGlobalAdminsAssignedToTenantAlert', 'There are too many global administrators'],
      ['RolesAssignedOutsidePimAlert', 'Roles are being assigned outside of Privileged Identity Management'],
      ['StaleSignInAlert', 'Potential stale accounts in a privileged role'],
      ['RedundantAssignmentAlert', "Eligible administrators aren't activating their privileged role"],
      ['SequentialActivationRenewalsAlert', 'Roles are being activated too frequently'],
      ['NoMfaOnRoleActivationAlert', "Roles don't require multi-factor authentication for activation"],
      ['InvalidLicenseAlert', "The organization doesn't have Azure AD Premium P2"],
    ] as const
  ).map(([kind, displayName]) => ({ id: `DirectoryRole_<tenant id>_${kind}`, displayName, world: 'directory' as const })),
];
