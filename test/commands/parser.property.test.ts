// Properties of the command parser over arbitrary and hostile message text (fast-check): it never
// throws, always answers with one command or one clear error, keeps to its length limits, and reads
// its own extracted text the same way again. `npm run fuzz` runs each with 100,000 inputs.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMANDS, COMMAND_NAMES } from '../../bot/commands/catalog';
import { MAX_COMMAND_LENGTH, extractCommandText, parseCommand, type ParseInput } from '../../bot/commands/parser';
import { FUZZ_RUNS } from '../fuzz';

const BOT_ID = '28:6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10';
const ERROR_CODES = ['Empty', 'TooLong', 'UnknownCommand', 'MissingArgument', 'BadArgument', 'UnbalancedQuote', 'BadSchedule', 'TooFrequent', 'BadTimeZone'];

/** Pieces Teams message text is made of: words, keywords, markup, entities, quotes, odd spaces. */
const PIECES = [
  ...COMMAND_NAMES,
  ...COMMANDS.map((c) => c.example),
  'all', 'severity', 'high', 'tz', 'Europe/Berlin', 'daily', '09:00', 'weekly', 'mon', 'cron', '*/15', '0 9 * * 1-5', 'changes', 'always',
  '1', '2', '100', '101', 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f', '/providers/Microsoft.Management/managementGroups/mg',
  '<at>Teams Bot</at>', '<at>PIM Alerts</at>', '<at id="0">', '</at>', '<at>', '<p>', '</p>', '<br/>', '<b>', '<div class="x">', '<', '>', '</',
  '&amp;', '&lt;', '&gt;', '&nbsp;', '&#39;', '&#x41;', '&#0;', '&#1114112;', '&bogus;', '&',
  '"', "'", '\u201c', '\u201d', '\u2018', '\u2019', ' ', '  ', '\n', '\t', '\u00a0', '\u200b', '\u2060', '\ufeff', '?', '/', '#', '.', ',',
  '[x](https://evil.example)', '**', '_', '`', '🙂', 'é',
];

const messageText = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(' ')) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  // Around the limits: 500 characters of command text, 20,000 of raw text.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PIECES), fc.integer({ min: 1, max: 25_000 })).map(([p, n]) => p.repeat(Math.ceil(n / Math.max(1, p.length))).slice(0, n)) },
);

const mention = fc.record(
  {
    type: fc.constantFrom('mention', 'clientInfo', 'Mention'),
    mentioned: fc.record({ id: fc.oneof(fc.constant(BOT_ID), fc.string()), name: fc.oneof(fc.constantFrom('Teams Bot', 'PIM Alerts'), fc.string()) }, { requiredKeys: ['id'] }),
    text: fc.oneof(fc.constantFrom('<at>Teams Bot</at>', '<at>PIM Alerts</at>'), fc.string()),
  },
  { requiredKeys: ['type'] },
);

/** As an activity brings it: entities of any shape (the parser gets the list as sent). */
const input: fc.Arbitrary<ParseInput> = fc.record(
  {
    text: messageText,
    entities: fc.array(fc.oneof({ weight: 4, arbitrary: mention }, { weight: 1, arbitrary: fc.anything() }), { maxLength: 6 }) as fc.Arbitrary<ParseInput['entities']>,
    botId: fc.oneof(fc.constant(BOT_ID), fc.string()),
  },
  { requiredKeys: ['text'] },
);

describe('parseCommand: properties', () => {
  it('never throws and answers with one command or one clear sentence, within its length limits (fast-check)', () => {
    fc.assert(
      fc.property(input, (i) => {
        const r = parseCommand(i);
        assert.equal(typeof r.text, 'string');
        if (r.ok) {
          assert.ok((COMMAND_NAMES as readonly string[]).includes(r.command.name));
          assert.ok(r.text.length >= 1 && r.text.length <= MAX_COMMAND_LENGTH, `${r.text.length} characters`);
          return;
        }
        assert.ok(ERROR_CODES.includes(r.error.code), r.error.code);
        const m = r.error.message;
        assert.match(m, /^[A-Z"].*[.?!]$/s, m);
        assert.ok(!/[\r\n]/.test(m) && m.length <= 400, m);
        if (r.error.suggestion !== undefined) assert.ok((COMMAND_NAMES as readonly string[]).includes(r.error.suggestion));
        if (r.error.command !== undefined) assert.ok((COMMAND_NAMES as readonly string[]).includes(r.error.command));
        // Raw text over the limit is refused unread; command text over the limit is refused as such.
        if (i.text.length > 20_000) assert.ok(r.error.code === 'TooLong' && r.text === '');
        if (r.text.length > MAX_COMMAND_LENGTH) assert.equal(r.error.code, 'TooLong');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('reads its own extracted text again the same way (fast-check)', () => {
    fc.assert(
      fc.property(input, (i) => {
        const first = parseCommand(i);
        // Text that decodes to markup or entities ("&lt;b&gt;") would be read as markup the second time.
        fc.pre(first.text !== '' && !/[<&]/.test(first.text));
        assert.equal(extractCommandText({ text: first.text }), first.text);
        const again = parseCommand({ text: first.text });
        assert.equal(again.text, first.text);
        if (first.ok) assert.deepEqual(again.ok && again.command, first.command);
        else assert.equal(!again.ok && again.error.code, first.error.code);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('reads any quoted alert name back exactly, with or without a scope (fast-check)', () => {
    // A name without the quote characters that would end it early, trimmed as the parser trims.
    const name = fc
      .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', '1', '-', '(', ')', 'é', '/', '.'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 100 })
      .map((s) => s.replace(/["'\u201c\u201d\u201e\u2018\u2019<>&\s]+/g, ' ').trim())
      .filter((s) => s !== '');
    fc.assert(
      fc.property(fc.constantFrom('alert', 'config', 'dismiss'), name, fc.option(fc.constantFrom('1', '12', 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f')), (command, alert, scope) => {
        const r = parseCommand({ text: `<at>Teams Bot</at> ${command} "${alert}"${scope ? ` ${scope}` : ''}`, entities: [{ type: 'mention', mentioned: { id: BOT_ID, name: 'Teams Bot' }, text: '<at>Teams Bot</at>' }], botId: BOT_ID });
        assert.deepEqual(r.ok && r.command, { name: command, alert, ...(scope ? { scope } : {}) });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
