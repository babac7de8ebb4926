// Turns the text of a Teams message into a typed Command. Pure: no I/O, no configuration; names of
// alerts and scopes stay as typed and are matched later (resolve.ts) against what is loaded.
//
// Grammar notes a user may run into:
// - Command words, keywords (all, severity, tz, changes, always, hourly, daily, ...) and severity
//   levels ignore case. Quoted text ("...", '...', or Teams' curly quotes) is one argument and is
//   never read as a keyword.
// - <name> [scope] commands (alert, config, dismiss, and refresh/remediate likewise): the alert name
//   comes first and the optional scope last. An unquoted name may have several words
//   (`alert too many owners`): all remaining words are the name, unless the last word looks like
//   a scope — a number, or an id starting with subscriptions/, /subscriptions/, providers/ or
//   /providers/ — or was quoted. Quote a name that ends in a number.
// - subscribe: scopes are one word each; quote a display name with spaces. Five bare numbers are
//   five scopes, not a cron: a cron needs * - / or , somewhere, or quotes, or the word `cron`.
import { COMMANDS, COMMAND_NAMES, type CommandName } from './catalog';
import type { SeverityLevel } from '../azure/models';
import { resolveTimeZone, takeSchedule, DEFAULT_SCHEDULE, type ScheduleSpec } from './schedule';
import { editDistance } from './resolve';

/** What the user typed to name a scope: a position from `scopes`, an ARM scope id or a display name. */
export type ScopeRef = string;
export type Severity = SeverityLevel;
export type DigestMode = 'changes' | 'always';

export type Command =
  | { name: 'help'; /** Set when the user asked about one command: `help subscribe`. */ topic?: CommandName }
  | { name: 'alerts'; scope?: ScopeRef | 'all'; severity?: Severity }
  | { name: 'alert'; alert: string; scope?: ScopeRef }
  | { name: 'scopes' }
  | { name: 'config'; alert: string; scope?: ScopeRef }
  | { name: 'dismiss'; alert: string; scope?: ScopeRef }
  | { name: 'remediate'; alert: string; /** As typed: incident name (GUID), its full id, or a position. */ incident: string; scope?: ScopeRef }
  | { name: 'refresh'; /** Omitted = every alert, like 'all'. */ alert?: string | 'all'; scope?: ScopeRef }
  | { name: 'whoami' }
  | { name: 'audit'; /** 1..100; omitted = the caller's default. */ count?: number }
  | {
      name: 'subscribe';
      schedule: ScheduleSpec;
      /** Empty = every configured scope. */
      scopes: ScopeRef[];
      severity?: Severity;
      /** 'changes' = post only when the alerts differ from the last digest; 'always' = post every time. */
      mode: DigestMode;
      /** Canonical IANA zone when the user gave `tz <zone>`; otherwise the caller picks one. */
      timeZone?: string;
    }
  | { name: 'subscriptions' }
  | { name: 'unsubscribe'; /** 1-based position as `subscriptions` lists them, or 'all'. */ target: number | 'all' }
  | { name: 'digest' };

export type CommandOf<N extends CommandName> = Extract<Command, { name: N }>;

// Compile-time guard: the union above and the catalog list the same commands.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandUnionMatchesCatalog: Same<Command['name'], CommandName> = true;
void commandUnionMatchesCatalog;

export type ParseErrorCode =
  | 'Empty'
  | 'TooLong'
  | 'UnknownCommand'
  | 'MissingArgument'
  | 'BadArgument'
  | 'UnbalancedQuote'
  | 'BadSchedule'
  | 'TooFrequent'
  | 'BadTimeZone';

export interface ParseError {
  code: ParseErrorCode;
  /** One plain sentence: what went wrong and what to type instead. */
  message: string;
  /** For UnknownCommand (and Empty): the command the user most likely meant. */
  suggestion?: CommandName;
  /** The command whose arguments were wrong, so the caller can show its usage from the catalog. */
  command?: CommandName;
}

/** `text` is the command text after mentions, HTML and entities were removed (useful for audit logs). */
export type ParseResult = { ok: true; command: Command; text: string } | { ok: false; error: ParseError; text: string };

export interface MessageEntity {
  type: string;
  mentioned?: { id: string; name?: string };
  text?: string;
}

export interface ParseInput {
  /** activity.text */
  text: string;
  /** activity.entities */
  entities?: readonly MessageEntity[];
  /** activity.recipient.id: the bot's own id, to find its @mention. */
  botId?: string;
}

/** Longest command accepted, after mentions and markup are removed. */
export const MAX_COMMAND_LENGTH = 500;
/** Raw activity text beyond this is refused before any work is done on it. */
const MAX_RAW_LENGTH = 20_000;

interface Token {
  text: string;
  quoted: boolean;
}

// ---------------------------------------------------------------- text clean-up

// Everything in this section runs on raw message text (up to MAX_RAW_LENGTH characters that anyone
// in the tenant can send) and is linear in it: plain loops over character codes, no regular
// expression with an unbounded quantifier, and each character looked at a bounded number of times.

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
// Sticky (matched only where it is placed) with bounded quantifiers: the longest HTML entity name
// has 31 letters, so trying it at an `&` costs a few dozen steps at most.
const ENTITY_AT = /&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{1,32});/iy;

/** The entity's text, or undefined when it is not one we decode (it then stays as typed). */
function decodeEntity(body: string): string | undefined {
  if (body[0] === '#') {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return NAMED_ENTITIES[body.toLowerCase()];
}

/** Zero-width characters Teams clients leave in text; they are dropped, not read as spaces. */
function isZeroWidth(c: number): boolean {
  return (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff;
}

/** The characters JavaScript's \s matches (the zero-width no-break space aside: it is dropped). */
function isSpace(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/**
 * HTML entities decoded in one pass (so "&amp;lt;" becomes "&lt;", not "<"), zero-width characters
 * dropped, runs of whitespace (decoded &nbsp; and newlines too) made one space, ends trimmed. Text
 * that needs none of it (words and single spaces) is copied in one slice.
 */
function normaliseText(s: string): string {
  // Strings are built with += (V8 joins them lazily): an array of thousands of small pieces costs
  // far more per piece to join than a few.
  let out = '';
  let pendingSpace = false;
  let runStart = -1;
  const flush = (i: number) => {
    if (runStart < 0) return;
    // A space kept inside the run may turn out to be its last character (an entity or a zero-width
    // character follows): it then joins whatever whitespace comes next.
    if (s.charCodeAt(i - 1) === 32) {
      out += s.slice(runStart, i - 1);
      pendingSpace = true;
    } else {
      out += s.slice(runStart, i);
    }
    runStart = -1;
  };
  const startVisible = () => {
    if (pendingSpace && out !== '') out += ' ';
    pendingSpace = false;
  };
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    // One plain space between two visible characters stays inside the run.
    if (c === 32 && runStart >= 0 && i + 1 < s.length && !isSpace(s.charCodeAt(i + 1)) && !isZeroWidth(s.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (isZeroWidth(c) || isSpace(c)) {
      flush(i);
      if (!isZeroWidth(c)) pendingSpace = true;
      i++;
      continue;
    }
    if (c === 38) {
      ENTITY_AT.lastIndex = i;
      const m = ENTITY_AT.exec(s);
      const decoded = m ? decodeEntity(m[1]!) : undefined;
      if (m && decoded !== undefined) {
        flush(i);
        const d = decoded.charCodeAt(0);
        if (isSpace(d)) pendingSpace = true;
        else if (!isZeroWidth(d)) {
          startVisible();
          out += decoded;
        }
        i += m[0].length;
        continue;
      }
    }
    if (runStart < 0) {
      startVisible();
      runStart = i;
    }
    i++;
  }
  flush(s.length);
  return out;
}

// Block elements and line breaks separate words; inline ones (<b>, <span>, <at>) do not.
const BLOCK_TAGS = new Set(['br', 'p', 'div', 'li', 'ul', 'ol', 'tr', 'td', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre']);
const INLINE = 0;
const BLOCK = 1;
const MENTION_OPEN = 2;
const MENTION_CLOSE = 3;

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The tag starting at text[i] (a `<`): `<`, an optional `/`, an ASCII letter, then anything but `<`
 * and `>` up to a `>`. Returns its end (just after the `>`) times four plus its kind, or -1. It
 * looks no further than the next `<` or `>`, so a scan that tries it at every `<` and resumes after
 * what it finds reads each character at most twice.
 */
function tagAt(text: string, i: number): number {
  let j = i + 1;
  const closing = text.charCodeAt(j) === 47; // '/'
  if (closing) j++;
  const nameStart = j;
  if (!isAsciiLetter(text.charCodeAt(j))) return -1;
  while (j < text.length && (isAsciiLetter(text.charCodeAt(j)) || (text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57))) j++;
  const nameEnd = j;
  while (j < text.length && text[j] !== '>' && text[j] !== '<') j++;
  if (text[j] !== '>') return -1;
  const end = j + 1;
  const nameLength = nameEnd - nameStart;
  let kind = INLINE;
  if (nameLength === 2 && (text[nameStart] === 'a' || text[nameStart] === 'A') && (text[nameStart + 1] === 't' || text[nameStart + 1] === 'T')) {
    // `<at>` or `<at` + whitespace + attributes opens a mention; only the exact `</at>` closes one.
    if (!closing && (nameEnd === j || isSpace(text.charCodeAt(nameEnd)))) kind = MENTION_OPEN;
    else if (closing && end - i === 5) kind = MENTION_CLOSE;
  } else if (nameLength <= 10 && BLOCK_TAGS.has(text.slice(nameStart, nameEnd).toLowerCase())) {
    kind = BLOCK;
  }
  return end * 4 + kind;
}

/**
 * The command text of a Teams message: the bot's @mention removed, other mentions reduced to the
 * name, HTML tags stripped, entities decoded, whitespace (incl. &nbsp; and newlines) collapsed.
 *
 * A mention element runs from an `<at>` to the first `</at>` after it (an `<at>` inside is part of
 * the name). It is the bot's when its markup equals, ignoring case, the text of one of the bot's
 * mention entities or `<at>` + the bot's name + `</at>`. Without entities (or without knowing which
 * one is the bot, or when no entity text matches the message, as in some Teams payloads) the bot's
 * mention is the one Teams puts first. One pass over the text, one set lookup per mention element
 * and one per entity, whatever their number.
 */
export function extractCommandText(input: ParseInput): string {
  const text = input.text;
  // Entities come from the activity as sent: anything may be in the list.
  const mentions = (Array.isArray(input.entities) ? input.entities : []).filter((e): e is MessageEntity => typeof e === 'object' && e !== null && e.type === 'mention');
  const ofBot = input.botId === undefined ? [] : mentions.filter((m) => typeof m.mentioned === 'object' && m.mentioned?.id === input.botId);
  const botMarkup = new Set<string>();
  for (const m of ofBot) {
    if (typeof m.text === 'string') botMarkup.add(m.text.toLowerCase());
    if (typeof m.mentioned?.name === 'string') botMarkup.add(`<at>${m.mentioned.name}</at>`.toLowerCase());
  }
  const botUnknown = mentions.length === 0 || input.botId === undefined || ofBot.length > 0;

  // Strings are built with += (V8 joins them lazily): an array of thousands of small pieces costs
  // far more per piece to join than a few.
  let stripped = '';
  /** While a mention element is open: where it starts, and its text (tags stripped) so far. */
  let openAt = -1;
  let mention = '';
  /** The first mention, when only whitespace comes before it (removed if no other is the bot's), and where it goes. */
  let leading: string | undefined;
  let leadingAt = 0;
  let sawMention = false;
  let removedAny = false;
  let copiedTo = 0;
  const emit = (piece: string) => {
    if (openAt === -1) stripped += piece;
    else mention += piece;
  };
  for (let i = text.indexOf('<'); i !== -1; ) {
    const packed = tagAt(text, i);
    if (packed === -1) {
      i = text.indexOf('<', i + 1);
      continue;
    }
    const kind = packed & 3;
    const end = packed >>> 2;
    emit(text.slice(copiedTo, i));
    copiedTo = end;
    if (kind === MENTION_OPEN && openAt === -1) {
      openAt = i;
    } else if (kind === MENTION_CLOSE && openAt !== -1) {
      const isBot = botMarkup.size > 0 && botMarkup.has(text.slice(openAt, end).toLowerCase());
      const first = !sawMention;
      sawMention = true;
      if (isBot) {
        removedAny = true;
        stripped += ' ';
      } else if (first && botUnknown && text.slice(0, openAt).trim() === '') {
        leading = mention;
        leadingAt = stripped.length;
      } else {
        stripped += mention;
      }
      openAt = -1;
      mention = '';
    } else if (kind === BLOCK) {
      emit(' ');
    }
    i = text.indexOf('<', end);
  }
  emit(text.slice(copiedTo));
  // An `<at>` never closed is not a mention: its text stays.
  if (openAt !== -1) stripped += mention;
  if (leading !== undefined) stripped = stripped.slice(0, leadingAt) + (removedAny ? leading : ' ') + stripped.slice(leadingAt);
  return normaliseText(stripped);
}

// ---------------------------------------------------------------- tokens

const DOUBLE_QUOTES = '"\u201c\u201d\u201e';
const SINGLE_QUOTES = "'\u2018\u2019";

/**
 * Splits on spaces; a word that starts with a quote runs to the matching quote that is followed by
 * a space or the end, so apostrophes inside words ("owner's", 'it's fine') are kept.
 */
function tokenize(text: string): { ok: true; tokens: Token[] } | { ok: false; error: ParseError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    const ch = text[i]!;
    const family = DOUBLE_QUOTES.includes(ch) ? DOUBLE_QUOTES : SINGLE_QUOTES.includes(ch) ? SINGLE_QUOTES : undefined;
    if (family) {
      let j = i + 1;
      while (j < text.length && !(family.includes(text[j]!) && (j + 1 === text.length || text[j + 1] === ' '))) j++;
      if (j >= text.length) {
        return {
          ok: false,
          error: { code: 'UnbalancedQuote', message: `The quote that starts at ${quoteSnippet(text.slice(i))} is never closed: add the closing quote.` },
        };
      }
      tokens.push({ text: text.slice(i + 1, j).trim(), quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ' ') j++;
      tokens.push({ text: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  return { ok: true, tokens };
}

function quoteSnippet(s: string): string {
  return s.length > 30 ? `${s.slice(0, 27)}...` : s;
}

function shown(s: string): string {
  return `"${s.length > 60 ? `${s.slice(0, 57)}...` : s}"`;
}

// ---------------------------------------------------------------- helpers

function isWord(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && !t.quoted && words.includes(t.text.toLowerCase());
}

function joined(tokens: readonly Token[]): string {
  return tokens.map((t) => t.text).join(' ');
}

/** See the grammar note at the top: what makes a trailing word a scope rather than part of a name. */
export function looksLikeScope(word: string): boolean {
  if (/^\d+$/.test(word)) return true;
  const w = word.toLowerCase();
  if (!/^\/?(subscriptions|providers)\//.test(w)) return false;
  // A full alert or incident id also starts with /subscriptions/ but is not a scope.
  return !/\/providers\/microsoft\.authorization\/roleManagementAlerts\//i.test(w);
}

const SEVERITIES: Record<string, Severity> = { high: 'High', medium: 'Medium', low: 'Low' };

type ArgsResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

function argError(command: CommandName, code: ParseErrorCode, message: string): { ok: false; error: ParseError } {
  return { ok: false, error: { code, message, command } };
}

function exampleOf(name: CommandName): string {
  return COMMANDS.find((c) => c.name === name)?.example ?? name;
}

function nonEmpty(command: CommandName, t: Token): ArgsResult<string> {
  if (t.text === '') return argError(command, 'BadArgument', `An empty quoted argument was given to "${command}": put the name between the quotes, for example ${exampleOf(command)}.`);
  return { ok: true, value: t.text };
}

/** `<name> [scope]`, with the unquoted multi-word rule described at the top. */
function nameAndScope(command: CommandName, args: readonly Token[]): ArgsResult<{ name: string; scope?: ScopeRef }> {
  const first = args[0];
  if (!first) {
    return argError(command, 'MissingArgument', `"${command}" needs the alert name: type for example ${exampleOf(command)}.`);
  }
  const name = nonEmpty(command, first);
  if (!name.ok) return name;
  if (first.quoted) {
    const rest = args.slice(1);
    return { ok: true, value: rest.length > 0 ? { name: name.value, scope: joined(rest) } : { name: name.value } };
  }
  const last = args[args.length - 1]!;
  if (args.length > 1 && (last.quoted || looksLikeScope(last.text))) {
    const scope = nonEmpty(command, last);
    if (!scope.ok) return scope;
    return { ok: true, value: { name: joined(args.slice(0, -1)), scope: scope.value } };
  }
  return { ok: true, value: { name: joined(args) } };
}

function noArguments(command: CommandName, args: readonly Token[]): ArgsResult<Record<string, never>> {
  if (args.length === 0) return { ok: true, value: {} };
  return argError(command, 'BadArgument', `"${command}" takes no arguments, so ${shown(joined(args))} is not understood: type just "${command}".`);
}

function positiveInteger(word: string): number | undefined {
  const w = word.replace(/^#/, '');
  if (!/^\d{1,6}$/.test(w)) return undefined;
  const n = Number(w);
  return n >= 1 ? n : undefined;
}

// ---------------------------------------------------------------- commands

function parseAlerts(args: readonly Token[]): ArgsResult<CommandOf<'alerts'>> {
  let severity: Severity | undefined;
  const rest: Token[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    if (isWord(t, 'severity', 'sev')) {
      const level = args[i + 1];
      if (!level) return argError('alerts', 'MissingArgument', `"severity" needs a level: type for example ${exampleOf('alerts')}.`);
      const parsed = level.quoted ? undefined : SEVERITIES[level.text.toLowerCase()];
      if (!parsed) return argError('alerts', 'BadArgument', `${shown(level.text)} is not a severity: use high, medium or low.`);
      if (severity && severity !== parsed) return argError('alerts', 'BadArgument', 'Two different severities were given: keep one of high, medium or low.');
      severity = parsed;
      i++;
    } else if (!t.quoted && SEVERITIES[t.text.toLowerCase()]) {
      const parsed = SEVERITIES[t.text.toLowerCase()]!;
      if (severity && severity !== parsed) return argError('alerts', 'BadArgument', 'Two different severities were given: keep one of high, medium or low.');
      severity = parsed;
    } else {
      rest.push(t);
    }
  }
  const command: CommandOf<'alerts'> = { name: 'alerts' };
  if (rest.length === 1 && isWord(rest[0], 'all')) command.scope = 'all';
  else if (rest.length > 0) {
    if (rest.some((t) => t.quoted) && rest.length > 1) {
      return argError('alerts', 'BadArgument', `"alerts" takes one scope but got ${shown(joined(rest))}: give one scope, or "all".`);
    }
    const scope = nonEmpty('alerts', rest[0]!);
    if (!scope.ok) return scope;
    // Unquoted words form one display name: `alerts Contoso Prod` means the scope "Contoso Prod".
    command.scope = joined(rest);
  }
  if (severity) command.severity = severity;
  return { ok: true, value: command };
}

function parseRemediate(args: readonly Token[]): ArgsResult<CommandOf<'remediate'>> {
  const missingIncident = () =>
    argError('remediate', 'MissingArgument', `"remediate" needs the alert name and the incident: type for example ${exampleOf('remediate')}.`);
  const first = args[0];
  if (!first) return missingIncident();
  const name = nonEmpty('remediate', first);
  if (!name.ok) return name;
  let alert: string;
  let incident: Token;
  let scope: Token[] = [];
  if (first.quoted) {
    if (args.length < 2) return missingIncident();
    alert = name.value;
    incident = args[1]!;
    scope = args.slice(2);
  } else {
    if (args.length < 2) return missingIncident();
    const rest = [...args];
    const last = rest[rest.length - 1]!;
    if (rest.length >= 3 && (last.quoted || looksLikeScope(last.text))) scope = [rest.pop()!];
    incident = rest.pop()!;
    alert = joined(rest);
  }
  const inc = nonEmpty('remediate', incident);
  if (!inc.ok) return inc;
  const command: CommandOf<'remediate'> = { name: 'remediate', alert, incident: inc.value };
  if (scope.length > 0) command.scope = joined(scope);
  return { ok: true, value: command };
}

function parseRefresh(args: readonly Token[]): ArgsResult<CommandOf<'refresh'>> {
  if (args.length === 0) return { ok: true, value: { name: 'refresh' } };
  const first = args[0]!;
  if (isWord(first, 'all')) {
    const rest = args.slice(1);
    return { ok: true, value: rest.length > 0 ? { name: 'refresh', alert: 'all', scope: joined(rest) } : { name: 'refresh', alert: 'all' } };
  }
  // `refresh 2` refreshes every alert of scope 2: alert names are never bare numbers or ids.
  if (args.length === 1 && !first.quoted && looksLikeScope(first.text)) return { ok: true, value: { name: 'refresh', scope: first.text } };
  const parsed = nameAndScope('refresh', args);
  if (!parsed.ok) return parsed;
  const command: CommandOf<'refresh'> = { name: 'refresh', alert: parsed.value.name };
  if (parsed.value.scope !== undefined) command.scope = parsed.value.scope;
  return { ok: true, value: command };
}

function parseAudit(args: readonly Token[]): ArgsResult<CommandOf<'audit'>> {
  if (args.length === 0) return { ok: true, value: { name: 'audit' } };
  const n = args.length === 1 ? positiveInteger(args[0]!.text) : undefined;
  if (n === undefined || n > 100) {
    return argError('audit', 'BadArgument', `${shown(joined(args))} is not a number of entries from 1 to 100: type for example ${exampleOf('audit')}.`);
  }
  return { ok: true, value: { name: 'audit', count: n } };
}

function parseUnsubscribe(args: readonly Token[]): ArgsResult<CommandOf<'unsubscribe'>> {
  if (args.length === 0) {
    return argError('unsubscribe', 'MissingArgument', '"unsubscribe" needs the number of the subscription (type "subscriptions" to see them) or "all".');
  }
  if (args.length === 1 && isWord(args[0], 'all')) return { ok: true, value: { name: 'unsubscribe', target: 'all' } };
  const n = args.length === 1 ? positiveInteger(args[0]!.text) : undefined;
  if (n === undefined) {
    return argError('unsubscribe', 'BadArgument', `${shown(joined(args))} is not a subscription number: type "subscriptions" to see the numbers, then for example "unsubscribe 1" or "unsubscribe all".`);
  }
  return { ok: true, value: { name: 'unsubscribe', target: n } };
}

function parseSubscribe(args: readonly Token[]): ArgsResult<CommandOf<'subscribe'>> {
  let severity: Severity | undefined;
  let mode: DigestMode | undefined;
  let timeZone: string | undefined;
  let schedule: ScheduleSpec | undefined;
  const scopes: Token[] = [];
  const twice = (what: string) => argError('subscribe', 'BadArgument', `${what} was given twice: keep one.`);

  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    if (isWord(t, 'tz', 'timezone', 'zone')) {
      const zone = args[i + 1];
      if (!zone || zone.text === '') return argError('subscribe', 'MissingArgument', `"tz" needs a time zone name: type for example ${exampleOf('subscribe')}.`);
      if (timeZone !== undefined) return twice('The time zone');
      const tz = resolveTimeZone(zone.text);
      if (!tz.ok) return argError('subscribe', tz.error.code, tz.error.message);
      timeZone = tz.timeZone;
      i++;
      continue;
    }
    if (isWord(t, 'severity', 'sev')) {
      const level = args[i + 1];
      if (!level) return argError('subscribe', 'MissingArgument', '"severity" needs a level: use high, medium or low.');
      const parsed = level.quoted ? undefined : SEVERITIES[level.text.toLowerCase()];
      if (!parsed) return argError('subscribe', 'BadArgument', `${shown(level.text)} is not a severity: use high, medium or low.`);
      if (severity !== undefined) return twice('The severity');
      severity = parsed;
      i++;
      continue;
    }
    if (!t.quoted && SEVERITIES[t.text.toLowerCase()]) {
      if (severity !== undefined) return twice('The severity');
      severity = SEVERITIES[t.text.toLowerCase()];
      continue;
    }
    if (isWord(t, 'changes', 'always')) {
      if (mode !== undefined) return argError('subscribe', 'BadArgument', 'Choose one of "changes" (post only when alerts change) or "always" (post every time), not both.');
      mode = t.text.toLowerCase() as DigestMode;
      continue;
    }
    const taken = takeSchedule(args.slice(i));
    if (taken !== null) {
      if (!taken.ok) return argError('subscribe', taken.error.code, taken.error.message);
      if (schedule !== undefined) return argError('subscribe', 'BadSchedule', `Two schedules were given ("${schedule.label}" and "${taken.spec.label}"): keep one.`);
      schedule = taken.spec;
      i += taken.consumed - 1;
      continue;
    }
    scopes.push(t);
  }

  const refs: ScopeRef[] = [];
  for (const s of scopes) {
    if (isWord(s, 'all')) continue; // "all" is the default: every configured scope.
    if (!s.quoted && /^\d+[:.h]\d+$/i.test(s.text)) {
      return argError('subscribe', 'BadSchedule', `The time ${shown(s.text)} must follow daily, weekdays or weekly <day>: write for example "subscribe weekdays ${s.text}".`);
    }
    const ref = nonEmpty('subscribe', s);
    if (!ref.ok) return ref;
    if (!refs.some((r) => r.toLowerCase() === ref.value.toLowerCase())) refs.push(ref.value);
  }
  if (scopes.some((s) => isWord(s, 'all')) && refs.length > 0) {
    return argError('subscribe', 'BadArgument', `"all" and specific scopes (${refs.join(', ')}) were both given: keep "all" or list the scopes.`);
  }

  const command: CommandOf<'subscribe'> = { name: 'subscribe', schedule: schedule ?? { ...DEFAULT_SCHEDULE }, scopes: refs, mode: mode ?? 'changes' };
  if (severity !== undefined) command.severity = severity;
  if (timeZone !== undefined) command.timeZone = timeZone;
  return { ok: true, value: command };
}

function parseHelp(args: readonly Token[]): ArgsResult<CommandOf<'help'>> {
  // Help must always answer, so words it does not know are ignored rather than refused.
  const topic = args.length === 1 ? args[0]!.text.toLowerCase() : undefined;
  if (topic !== undefined && (COMMAND_NAMES as readonly string[]).includes(topic)) {
    return { ok: true, value: { name: 'help', topic: topic as CommandName } };
  }
  return { ok: true, value: { name: 'help' } };
}

function parseArguments(name: CommandName, args: readonly Token[]): ArgsResult<Command> {
  switch (name) {
    case 'help':
      return parseHelp(args);
    case 'alerts':
      return parseAlerts(args);
    case 'alert':
    case 'config':
    case 'dismiss': {
      const parsed = nameAndScope(name, args);
      if (!parsed.ok) return parsed;
      const command = { name, alert: parsed.value.name } as CommandOf<'alert' | 'config' | 'dismiss'>;
      if (parsed.value.scope !== undefined) command.scope = parsed.value.scope;
      return { ok: true, value: command };
    }
    case 'remediate':
      return parseRemediate(args);
    case 'refresh':
      return parseRefresh(args);
    case 'audit':
      return parseAudit(args);
    case 'subscribe':
      return parseSubscribe(args);
    case 'unsubscribe':
      return parseUnsubscribe(args);
    case 'scopes':
    case 'whoami':
    case 'subscriptions':
    case 'digest': {
      const none = noArguments(name, args);
      return none.ok ? { ok: true, value: { name } } : none;
    }
  }
}

// ---------------------------------------------------------------- command word

/**
 * The command the user most likely meant: smallest edit distance (typos, swapped letters), then
 * an unambiguous prefix ("unsub" → unsubscribe). Undefined when nothing is close.
 */
export function suggestCommand(word: string): CommandName | undefined {
  const w = word.toLowerCase();
  if (w === '') return undefined;
  let best: CommandName | undefined;
  let bestDistance = Infinity;
  for (const name of COMMAND_NAMES) {
    const d = editDistance(w, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  if (best !== undefined && bestDistance <= allowed) return best;
  if (w.length >= 3) {
    const prefixed = COMMAND_NAMES.filter((n) => n.startsWith(w));
    if (prefixed.length === 1) return prefixed[0];
  }
  return undefined;
}

function commandWord(token: Token): string {
  // "/alerts" (slash-command habit) and "help?" mean the same as the bare word.
  let word = token.text.toLowerCase();
  if (word.startsWith('/')) word = word.slice(1);
  let end = word.length;
  while (end > 0 && '?!.,:;'.includes(word[end - 1]!)) end--;
  return word.slice(0, end);
}

export function parseCommand(input: ParseInput): ParseResult {
  if (input.text.length > MAX_RAW_LENGTH) {
    return { ok: false, text: '', error: { code: 'TooLong', message: `That message is too long for a command: commands are at most ${MAX_COMMAND_LENGTH} characters.` } };
  }
  const text = extractCommandText(input);
  if (text === '') {
    return { ok: false, text, error: { code: 'Empty', message: 'The message has no command: type one, for example "help" to see them all.', suggestion: 'help' } };
  }
  if (text.length > MAX_COMMAND_LENGTH) {
    return {
      ok: false,
      text,
      error: { code: 'TooLong', message: `That command is ${text.length} characters long: commands are at most ${MAX_COMMAND_LENGTH} characters, so shorten it.` },
    };
  }
  const tokenized = tokenize(text);
  if (!tokenized.ok) return { ok: false, text, error: tokenized.error };
  const [head, ...args] = tokenized.tokens;
  const word = head ? commandWord(head) : '';
  if (!(COMMAND_NAMES as readonly string[]).includes(word)) {
    const suggestion = suggestCommand(word);
    const typed = shown(head?.text ?? '');
    const error: ParseError = suggestion
      ? { code: 'UnknownCommand', message: `I don't know the command ${typed}: did you mean "${suggestion}"?`, suggestion }
      : { code: 'UnknownCommand', message: `I don't know the command ${typed}: type "help" to see every command.` };
    return { ok: false, text, error };
  }
  const name = word as CommandName;
  const parsed = parseArguments(name, args);
  if (!parsed.ok) return { ok: false, text, error: parsed.error };
  return { ok: true, command: parsed.value, text };
}

/** The usage line of a command from the catalog, for error replies. */
export function usageFor(name: CommandName): string {
  return COMMANDS.find((c) => c.name === name)?.usage ?? name;
}
