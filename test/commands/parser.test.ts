import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS, COMMAND_NAMES } from '../../bot/commands/catalog';
import { extractCommandText, parseCommand, suggestCommand, MAX_COMMAND_LENGTH, type Command, type ParseInput, type ParseResult } from '../../bot/commands/parser';

interface Activity {
  text: string;
  entities?: ParseInput['entities'];
  recipient: { id: string; name?: string };
}

function fixture(name: string): Activity {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'teams', name), 'utf8')) as Activity;
}

const channel = fixture('channel-message-mention-bot.botbuilder-js-fixture.json');
const groupChat = fixture('groupchat-message-mention-bot.botbuilder-js-fixture.json');
const personal = fixture('personal-message.docs.json');
const webhook = fixture('channel-message-mention-outgoing-webhook.docs.json');

/** The channel fixture with its command replaced, keeping its real mention markup and entities. */
function inChannel(command: string, activity: Activity = channel): ParseInput {
  const mention = activity.entities!.find((e) => e.type === 'mention')!.text!;
  return { text: activity.text.replace(/^<at>[^<]*<\/at> [^\n]*/, () => `${mention} ${command}`), entities: activity.entities, botId: activity.recipient.id };
}

function inPersonal(command: string): ParseInput {
  return { text: command, entities: personal.entities, botId: personal.recipient.id };
}

function ok(result: ParseResult): Command {
  if (!result.ok) assert.fail(`expected a command, got ${result.error.code}: ${result.error.message}`);
  return result.command;
}

function err(result: ParseResult) {
  if (result.ok) assert.fail(`expected an error, got ${JSON.stringify(result.command)}`);
  return result.error;
}

describe('parseCommand: Teams message text', () => {
  it('reads the real channel and group-chat payloads as they arrive ("hi", "test" are not commands)', () => {
    const c = err(parseCommand({ text: channel.text, entities: channel.entities, botId: channel.recipient.id }));
    assert.equal(c.code, 'UnknownCommand');
    assert.match(c.message, /"hi"/);
    assert.equal(parseCommand({ text: groupChat.text, entities: groupChat.entities, botId: groupChat.recipient.id }).text, 'test');
  });

  it('removes the bot mention in a channel, a group chat and accepts a personal message without one', () => {
    assert.equal(inChannel('alerts').text.startsWith('<at>Teams Bot</at> alerts'), true, 'fixture text was rewritten as intended');
    assert.deepEqual(ok(parseCommand(inChannel('alerts'))), { name: 'alerts' });
    assert.deepEqual(ok(parseCommand(inChannel('scopes', groupChat))), { name: 'scopes' });
    assert.deepEqual(ok(parseCommand(inPersonal('whoami'))), { name: 'whoami' });
  });

  it('removes the bot mention wherever it is and keeps other people\'s names as text', () => {
    const input: ParseInput = {
      text: 'alert "duplicate" <at>Larry Brown</at> <at>Teams Bot</at>',
      entities: [
        ...channel.entities!,
        { type: 'mention', mentioned: { id: '29:larry', name: 'Larry Brown' }, text: '<at>Larry Brown</at>' },
      ],
      botId: channel.recipient.id,
    };
    assert.deepEqual(ok(parseCommand(input)), { name: 'alert', alert: 'duplicate', scope: 'Larry Brown' });
  });

  it('does not take another person\'s leading mention for the bot when the entities say who the bot is', () => {
    const input: ParseInput = {
      text: '<at>Larry Brown</at> help',
      entities: [{ type: 'mention', mentioned: { id: '29:larry', name: 'Larry Brown' }, text: '<at>Larry Brown</at>' }],
      botId: channel.recipient.id,
    };
    assert.equal(parseCommand(input).text, 'Larry Brown help');
  });

  it('without entities removes a leading mention, as in text typed at the bot', () => {
    assert.deepEqual(ok(parseCommand({ text: '<at>PIM Alerts</at> scopes' })), { name: 'scopes' });
  });

  it('falls back to the leading mention when the bot entity text does not match the message (outgoing-webhook doc)', () => {
    const text = webhook.text.replace(' Hello <at>Larry Brown</at>', ' help');
    assert.deepEqual(ok(parseCommand({ text, entities: webhook.entities, botId: webhook.entities![0]!.mentioned!.id })), { name: 'help' });
  });

  it('decodes the HTML entities and strips the markup Teams puts in the text', () => {
    const input = inChannel('alert &quot;too many owners&quot;&nbsp;<b>2</b>');
    assert.deepEqual(ok(parseCommand(input)), { name: 'alert', alert: 'too many owners', scope: '2' });
    assert.equal(extractCommandText({ text: '<p>alerts</p><p>Contoso &amp; Fabrikam&#39;s&nbsp;&#x41;</p>' }), "alerts Contoso & Fabrikam's A");
    // Decoded once only: a user who typed "&lt;" gets "&lt;" back, not "<".
    assert.equal(extractCommandText({ text: 'alert &amp;lt;x&amp;gt;' }), 'alert &lt;x&gt;');
  });

  it('reads hostile markup as text: unclosed tags and mentions keep their words, a stray < stays', () => {
    assert.equal(extractCommandText({ text: 'alerts <at>Teams Bot <p class=x <b>1</b>' }), 'alerts Teams Bot <p class=x 1');
    assert.equal(extractCommandText({ text: 'alert 1<2 &amp; 3>2 <<b>' }), 'alert 1<2 & 3>2 <');
    assert.equal(extractCommandText({ text: 'alert x</at >y<at/>z' }), 'alert xyz');
    // Block tags separate words, inline ones do not; a tag name is read whole (<param> is not <p>).
    assert.equal(extractCommandText({ text: 'alerts<br/>all<param>x<h7>y<h6>z' }), 'alerts allxy z');
    // An <at> inside a mention is part of its name; the element ends at the first </at>.
    assert.equal(extractCommandText({ text: '<at>Teams <at>Bot</at> help</at>' }), 'help');
  });

  it('removes the bot mention among thousands of mention entities, whichever spelling it uses', () => {
    const others = Array.from({ length: 2000 }, (_, i) => ({ type: 'mention', mentioned: { id: `29:p${i}`, name: `Person ${i}` }, text: `<at>Person ${i}</at>` }));
    const input: ParseInput = {
      text: `<at>PERSON 7</at> <AT>pim alerts</AT> alerts <at>Person 1999</at>`,
      entities: [...others, { type: 'mention', mentioned: { id: channel.recipient.id, name: 'PIM Alerts' } }],
      botId: channel.recipient.id,
    };
    assert.equal(parseCommand(input).text, 'PERSON 7 alerts Person 1999');
  });

  it('ignores the case of command words and keywords, extra spaces and newlines', () => {
    assert.deepEqual(ok(parseCommand(inChannel('  ALERTS\n\n ALL   Severity\tHIGH \n'))), { name: 'alerts', scope: 'all', severity: 'High' });
    assert.deepEqual(ok(parseCommand(inPersonal('Help?'))), { name: 'help' });
    assert.deepEqual(ok(parseCommand(inPersonal('/scopes'))), { name: 'scopes' });
  });

  it('accepts straight and curly quotes, single and double', () => {
    const want: Command = { name: 'config', alert: 'too many owners', scope: 'Contoso Prod' };
    for (const text of [
      'config "too many owners" "Contoso Prod"',
      "config 'too many owners' 'Contoso Prod'",
      'config \u201ctoo many owners\u201d \u201cContoso Prod\u201d',
      'config \u2018too many owners\u2019 \u2018Contoso Prod\u2019',
    ]) {
      assert.deepEqual(ok(parseCommand(inChannel(text))), want, text);
    }
    assert.deepEqual(ok(parseCommand(inPersonal("alert 'owner's alert'"))), { name: 'alert', alert: "owner's alert" });
  });

  it('refuses an unclosed quote and says to close it', () => {
    const e = err(parseCommand(inChannel('alert "too many owners 2')));
    assert.equal(e.code, 'UnbalancedQuote');
    assert.match(e.message, /closing quote/);
  });

  it('refuses an empty message and one that is too long', () => {
    const empty = err(parseCommand({ text: '<at>Teams Bot</at>\n', entities: channel.entities, botId: channel.recipient.id }));
    assert.equal(empty.code, 'Empty');
    assert.equal(empty.suggestion, 'help');

    const long = err(parseCommand(inChannel(`alert ${'x'.repeat(MAX_COMMAND_LENGTH)}`)));
    assert.equal(long.code, 'TooLong');
    assert.match(long.message, /at most 500 characters/);
    // The mention does not count toward the limit.
    const justRight = `alert ${'x'.repeat(MAX_COMMAND_LENGTH - 6)}`;
    assert.equal(ok(parseCommand(inChannel(justRight))).name, 'alert');
    assert.equal(err(parseCommand({ text: 'a'.repeat(100_000) })).code, 'TooLong');
  });
});

describe('parseCommand: unknown commands', () => {
  const cases: Array<[string, string | undefined]> = [
    ['alrets', 'alerts'],
    ['dimiss', 'dismiss'],
    ['scope', 'scopes'],
    ['subscirbe', 'subscribe'],
    ['unsub', 'unsubscribe'],
    ['whoamii', 'whoami'],
    ['xyzzy', undefined],
  ];
  for (const [typed, expected] of cases) {
    it(`"${typed}" suggests ${expected ?? 'nothing'}`, () => {
      const e = err(parseCommand(inChannel(`${typed} 1`)));
      assert.equal(e.code, 'UnknownCommand');
      assert.equal(e.suggestion, expected);
      assert.match(e.message, expected ? new RegExp(`did you mean "${expected}"`) : /type "help"/);
    });
  }

  it('suggests nothing for an empty word', () => {
    assert.equal(suggestCommand(''), undefined);
  });
});

describe('parseCommand: every catalog command', () => {
  it('parses the example of every command in the catalog as that command', () => {
    assert.equal(COMMANDS.length, COMMAND_NAMES.length);
    for (const info of COMMANDS) {
      const command = ok(parseCommand(inChannel(info.example)));
      assert.equal(command.name, info.name, info.example);
    }
  });

  it('gives the catalog examples the arguments they mean', () => {
    const parsed = Object.fromEntries(COMMANDS.map((c) => [c.name, ok(parseCommand(inPersonal(c.example)))]));
    assert.deepEqual(parsed.alerts, { name: 'alerts', scope: 'all', severity: 'High' });
    assert.deepEqual(parsed.alert, { name: 'alert', alert: 'duplicate', scope: '2' });
    assert.deepEqual(parsed.config, { name: 'config', alert: 'too many owners', scope: '1' });
    assert.deepEqual(parsed.dismiss, { name: 'dismiss', alert: 'permanent', scope: '1' });
    assert.deepEqual(parsed.remediate, { name: 'remediate', alert: 'outside', incident: 'a9f38501-74ec-43ea-8663-6c538602150d', scope: '1' });
    assert.deepEqual(parsed.refresh, { name: 'refresh', alert: 'all', scope: '1' });
    assert.deepEqual(parsed.audit, { name: 'audit', count: 20 });
    assert.deepEqual(parsed.unsubscribe, { name: 'unsubscribe', target: 1 });
    assert.deepEqual(parsed.subscribe, {
      name: 'subscribe',
      schedule: { kind: 'daily', cron: '0 9 * * *', label: 'daily at 09:00' },
      scopes: [],
      mode: 'changes',
      timeZone: 'Europe/Berlin',
    });
  });

  it('refuses arguments to commands that take none, naming the command', () => {
    for (const name of ['scopes', 'whoami', 'subscriptions', 'digest'] as const) {
      const e = err(parseCommand(inPersonal(`${name} now please`)));
      assert.equal(e.code, 'BadArgument');
      assert.equal(e.command, name);
      assert.match(e.message, /takes no arguments/);
    }
  });

  it('help takes an optional command topic and never fails on other words', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('help Subscribe'))), { name: 'help', topic: 'subscribe' });
    assert.deepEqual(ok(parseCommand(inPersonal('help me please'))), { name: 'help' });
  });
});

describe('parseCommand: alerts', () => {
  it('reads scope, all and severity in either order', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('alerts'))), { name: 'alerts' });
    assert.deepEqual(ok(parseCommand(inPersonal('alerts all'))), { name: 'alerts', scope: 'all' });
    assert.deepEqual(ok(parseCommand(inPersonal('alerts 2 severity high'))), { name: 'alerts', scope: '2', severity: 'High' });
    assert.deepEqual(ok(parseCommand(inPersonal('alerts severity low 2'))), { name: 'alerts', scope: '2', severity: 'Low' });
    assert.deepEqual(ok(parseCommand(inPersonal('alerts "Contoso Prod" severity medium'))), { name: 'alerts', scope: 'Contoso Prod', severity: 'Medium' });
    assert.deepEqual(ok(parseCommand(inPersonal('alerts Contoso Prod high'))), { name: 'alerts', scope: 'Contoso Prod', severity: 'High' });
    // Quoted, "all" is a scope's name rather than the keyword.
    assert.deepEqual(ok(parseCommand(inPersonal('alerts "all"'))), { name: 'alerts', scope: 'all' });
  });

  it('explains a missing or wrong severity', () => {
    const missing = err(parseCommand(inPersonal('alerts 2 severity')));
    assert.equal(missing.code, 'MissingArgument');
    const wrong = err(parseCommand(inPersonal('alerts severity critical')));
    assert.equal(wrong.code, 'BadArgument');
    assert.match(wrong.message, /"critical" is not a severity: use high, medium or low/);
  });
});

describe('parseCommand: alert names and scopes', () => {
  it('takes every unquoted word as the alert name unless the last one looks like a scope', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('alert too many owners'))), { name: 'alert', alert: 'too many owners' });
    assert.deepEqual(ok(parseCommand(inPersonal('alert too many owners 2'))), { name: 'alert', alert: 'too many owners', scope: '2' });
    assert.deepEqual(ok(parseCommand(inPersonal('dismiss duplicate /subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f'))), {
      name: 'dismiss',
      alert: 'duplicate',
      scope: '/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f',
    });
    assert.deepEqual(ok(parseCommand(inPersonal('config permanent providers/Microsoft.Management/managementGroups/contoso'))), {
      name: 'config',
      alert: 'permanent',
      scope: 'providers/Microsoft.Management/managementGroups/contoso',
    });
    assert.deepEqual(ok(parseCommand(inPersonal('alert duplicate "Contoso Prod"'))), { name: 'alert', alert: 'duplicate', scope: 'Contoso Prod' });
  });

  it('uses a quoted name as the name and the rest as the scope', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('alert "too many owners" 2'))), { name: 'alert', alert: 'too many owners', scope: '2' });
    assert.deepEqual(ok(parseCommand(inPersonal('alert "too many owners" Contoso Prod'))), { name: 'alert', alert: 'too many owners', scope: 'Contoso Prod' });
  });

  it('asks for the alert name when it is missing or empty', () => {
    for (const text of ['alert', 'config', 'dismiss']) {
      const e = err(parseCommand(inPersonal(text)));
      assert.equal(e.code, 'MissingArgument', text);
      assert.match(e.message, /needs the alert name/);
    }
    assert.equal(err(parseCommand(inPersonal('alert ""'))).code, 'BadArgument');
  });

  it('reads remediate as name, incident and optional scope', () => {
    const guid = '5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc';
    assert.deepEqual(ok(parseCommand(inPersonal(`remediate outside ${guid}`))), { name: 'remediate', alert: 'outside', incident: guid });
    assert.deepEqual(ok(parseCommand(inPersonal(`remediate too many owners ${guid} 2`))), { name: 'remediate', alert: 'too many owners', incident: guid, scope: '2' });
    assert.deepEqual(ok(parseCommand(inPersonal(`remediate "too many owners" ${guid} Contoso Prod`))), {
      name: 'remediate',
      alert: 'too many owners',
      incident: guid,
      scope: 'Contoso Prod',
    });
    // A full incident id is not mistaken for a scope.
    const incidentId = `/subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f/providers/Microsoft.Authorization/roleManagementAlerts/DuplicateRoleCreated/alertIncidents/${guid}`;
    assert.deepEqual(ok(parseCommand(inPersonal(`remediate duplicate role ${incidentId}`))), { name: 'remediate', alert: 'duplicate role', incident: incidentId });
    const missing = err(parseCommand(inPersonal('remediate outside')));
    assert.equal(missing.code, 'MissingArgument');
    assert.match(missing.message, /incident/);
  });

  it('reads refresh with no name, all, a scope alone, or a name and scope', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('refresh'))), { name: 'refresh' });
    assert.deepEqual(ok(parseCommand(inPersonal('refresh ALL'))), { name: 'refresh', alert: 'all' });
    assert.deepEqual(ok(parseCommand(inPersonal('refresh 2'))), { name: 'refresh', scope: '2' });
    assert.deepEqual(ok(parseCommand(inPersonal('refresh duplicate 2'))), { name: 'refresh', alert: 'duplicate', scope: '2' });
  });
});

describe('parseCommand: audit and unsubscribe', () => {
  it('reads audit counts from 1 to 100', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('audit'))), { name: 'audit' });
    assert.deepEqual(ok(parseCommand(inPersonal('audit 100'))), { name: 'audit', count: 100 });
    for (const bad of ['0', '101', 'ten', '-3', '2.5']) {
      const e = err(parseCommand(inPersonal(`audit ${bad}`)));
      assert.equal(e.code, 'BadArgument', bad);
      assert.match(e.message, /from 1 to 100/);
    }
  });

  it('reads unsubscribe by number or all', () => {
    assert.deepEqual(ok(parseCommand(inPersonal('unsubscribe #3'))), { name: 'unsubscribe', target: 3 });
    assert.deepEqual(ok(parseCommand(inPersonal('unsubscribe All'))), { name: 'unsubscribe', target: 'all' });
    assert.equal(err(parseCommand(inPersonal('unsubscribe'))).code, 'MissingArgument');
    const bad = err(parseCommand(inPersonal('unsubscribe daily')));
    assert.equal(bad.code, 'BadArgument');
    assert.match(bad.message, /type "subscriptions"/);
  });
});

describe('parseCommand: subscribe', () => {
  it('defaults to a daily 09:00 digest of every scope, sent on changes', () => {
    assert.deepEqual(ok(parseCommand(inChannel('subscribe'))), {
      name: 'subscribe',
      schedule: { kind: 'daily', cron: '0 9 * * *', label: 'daily at 09:00' },
      scopes: [],
      mode: 'changes',
    });
  });

  it('reads schedule, scopes, severity, mode and time zone in any order', () => {
    assert.deepEqual(ok(parseCommand(inChannel('subscribe always 1 "Contoso Prod" weekly FRIDAY 16:30 severity high TZ america/new_york'))), {
      name: 'subscribe',
      schedule: { kind: 'weekly', cron: '30 16 * * 5', label: 'weekly on Friday at 16:30' },
      scopes: ['1', 'Contoso Prod'],
      severity: 'High',
      mode: 'always',
      timeZone: 'America/New_York',
    });
  });

  it('reads quoted and unquoted cron expressions, but five bare numbers as scopes', () => {
    const quoted = ok(parseCommand(inChannel('subscribe \u201c0 8 * * 1-5\u201d 2')));
    assert.deepEqual(quoted, { name: 'subscribe', schedule: { kind: 'cron', cron: '0 8 * * 1-5', label: 'custom schedule 0 8 * * 1-5' }, scopes: ['2'], mode: 'changes' });
    const unquoted = ok(parseCommand(inChannel('subscribe */30 8-17 * * mon-fri 2')));
    assert.deepEqual(unquoted, {
      name: 'subscribe',
      schedule: { kind: 'cron', cron: '*/30 8-17 * * mon-fri', label: 'custom schedule */30 8-17 * * mon-fri' },
      scopes: ['2'],
      mode: 'changes',
    });
    const numbers = ok(parseCommand(inChannel('subscribe 1 2 3 4 5')));
    assert.deepEqual(numbers.name === 'subscribe' && numbers.scopes, ['1', '2', '3', '4', '5']);
  });

  it('refuses schedules more frequent than every 15 minutes, bad times and unknown zones', () => {
    const tooOften = err(parseCommand(inChannel('subscribe */5 * * * *')));
    assert.equal(tooOften.code, 'TooFrequent');
    assert.equal(tooOften.command, 'subscribe');
    assert.match(tooOften.message, /every 5 minutes/);
    assert.equal(err(parseCommand(inChannel('subscribe "0-10 * * * *"'))).code, 'TooFrequent');
    assert.equal(ok(parseCommand(inChannel('subscribe "*/15 * * * *"'))).name, 'subscribe');
    assert.match(err(parseCommand(inChannel('subscribe "0 0 9 * * *"'))).message, /has 6 fields: write five/);
    assert.match(err(parseCommand(inChannel('subscribe cron 0 9 * *'))).message, /needs five fields/);

    const badTime = err(parseCommand(inChannel('subscribe daily 24:00')));
    assert.equal(badTime.code, 'BadSchedule');
    assert.match(badTime.message, /HH:MM/);

    const badZone = err(parseCommand(inChannel('subscribe daily 09:00 tz Mars/Olympus_Mons')));
    assert.equal(badZone.code, 'BadTimeZone');
    assert.match(badZone.message, /Europe\/Berlin/);
    assert.equal(err(parseCommand(inChannel('subscribe tz'))).code, 'MissingArgument');
  });

  it('refuses contradictions: two schedules, both modes, all plus scopes', () => {
    assert.match(err(parseCommand(inChannel('subscribe daily 08:00 hourly'))).message, /Two schedules/);
    assert.match(err(parseCommand(inChannel('subscribe changes always'))).message, /not both/);
    assert.match(err(parseCommand(inChannel('subscribe all 2'))).message, /"all" and specific scopes/);
    assert.match(err(parseCommand(inChannel('subscribe high severity low'))).message, /twice/);
  });

  it('refuses a time that belongs to no schedule instead of taking it for a scope', () => {
    const e = err(parseCommand(inChannel('subscribe hourly 09:00')));
    assert.equal(e.code, 'BadSchedule');
    assert.match(e.message, /must follow daily, weekdays or weekly/);
  });

  it('drops repeated scopes', () => {
    const c = ok(parseCommand(inChannel('subscribe Prod prod 2')));
    assert.deepEqual(c.name === 'subscribe' && c.scopes, ['Prod', '2']);
  });
});
