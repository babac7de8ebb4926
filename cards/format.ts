// Text helpers shared by the card builders: severities, times, truncation, generic facts, the world
// a scope belongs to. All pure.
import { worldOf } from '../bot/azure/models';
import type { Severity } from './actions';
import { truncate, untrustedText } from './text';
import { TEXT_LIMITS } from './size';

export { truncate };

export const SEVERITIES: readonly Severity[] = ['High', 'Medium', 'Low'];

/** The service sends Low | Medium | High but the model keeps any string: match case-insensitively. */
export function normaliseSeverity(value: string | undefined): Severity | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  return SEVERITIES.find((s) => s.toLowerCase() === v);
}

/** High first; unknown severities after Low so that nothing known is pushed down by them. */
export function severityRank(value: string | undefined): number {
  const s = normaliseSeverity(value);
  return s === undefined ? SEVERITIES.length : SEVERITIES.indexOf(s);
}

/**
 * The text colours cards use: the ones that read in Teams' light, dark and high-contrast themes.
 * `warning` (#f8d22a in Teams' light theme) and `good` (#92c353) are pale on white, so text never
 * uses them; they stay for container styles, whose text keeps the default colour.
 */
export type TextColor = 'default' | 'accent' | 'attention';

export function severityColor(value: string | undefined): TextColor {
  switch (normaliseSeverity(value)) {
    case 'High':
      return 'attention';
    case 'Medium':
      return 'accent';
    default:
      return 'default';
  }
}

/** High, Medium, Low, or the service's own word for a severity this bot does not know (untrusted, capped). */
export function severityLabel(value: string | undefined): string {
  return normaliseSeverity(value) ?? (untrustedText(value, 40) || 'Unknown');
}

/**
 * A severity read by shape as well as by colour (for colour-blind readers, high-contrast themes and
 * the text-only fallback): three marks filled for High, two for Medium, one for Low, none otherwise.
 */
export function severityMarker(value: string | undefined): string {
  switch (normaliseSeverity(value)) {
    case 'High':
      return '■■■';
    case 'Medium':
      return '■■□';
    case 'Low':
      return '■□□';
    default:
      return '□□□';
  }
}

/** "■■□ Medium": what cards show wherever a severity is shown. */
export function severityBadge(value: string | undefined): string {
  return `${severityMarker(value)} ${severityLabel(value)}`;
}

/**
 * Words that end in a full stop without ending a sentence ("e.g. `refresh all 1`"). Compared
 * lower-case, without their final full stop.
 */
const ABBREVIATIONS = new Set(['e.g', 'eg', 'i.e', 'ie', 'cf', 'vs', 'approx', 'incl', 'resp', 'mr', 'mrs', 'ms', 'dr']);

/**
 * Where the first sentence of `text` (whitespace already collapsed) ends: after a `.`, `!` or `?`
 * (with any closing quotes or brackets) that is followed by a space and is not inside a `code span`,
 * not the full stop of an abbreviation or an initial ("J. Smith"), and not followed by a word in
 * lower case (a new sentence starts with a capital, a digit, a quote or a code span).
 */
function firstSentenceEnd(flat: string): number {
  let inCode = false;
  for (let i = 0; i < flat.length; i++) {
    const ch = flat[i]!;
    if (ch === '`') inCode = !inCode;
    if (inCode || (ch !== '.' && ch !== '!' && ch !== '?')) continue;
    let end = i + 1;
    while (end < flat.length && /["'”’)\]]/.test(flat[end]!)) end++;
    if (end >= flat.length) return flat.length;
    if (flat[end] !== ' ') continue;
    const next = flat[end + 1] ?? '';
    if (/\p{Ll}/u.test(next)) continue;
    if (ch === '.') {
      const word = /(?:^|[\s(“"'])([^\s(“"']*)$/.exec(flat.slice(0, i))?.[1] ?? '';
      if (ABBREVIATIONS.has(word.toLowerCase()) || /^\p{Lu}$/u.test(word)) continue;
    }
    return end;
  }
  return flat.length;
}

/** The first sentence of an error message, cut to `max`: cards say what went wrong in one sentence. */
export function oneSentence(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return truncate(flat.slice(0, firstSentenceEnd(flat)), max);
}

/** The first sentence of a message from outside the bot (Azure's, a stored reason), cut to `max` and shown as untrusted text. */
export function untrustedSentence(text: string, max = 300): string {
  return untrustedText(oneSentence(text, max), max);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export interface TimeOptions {
  timeZone?: string;
}

// Building an Intl.DateTimeFormat costs far more than using one, and cards format many times.
const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** A cached en-GB date-and-time formatter for a zone (with the weekday when asked); null for a zone Intl does not know. */
export function formatterFor(timeZone: string, withWeekday = false): Intl.DateTimeFormat | null {
  const key = `${withWeekday ? 'weekday ' : ''}${timeZone}`;
  let f = formatters.get(key);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        ...(withWeekday ? { weekday: 'short' as const } : {}),
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      f = null;
    }
    // Zones come from people's input: keep the cache from growing without bound.
    if (formatters.size > 1_000) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/** A zone Intl knows, else UTC: a bad zone in a subscription must not break the card. */
export function effectiveTimeZone(timeZone: string | undefined): string {
  if (!timeZone) return 'UTC';
  return formatterFor(timeZone) ? timeZone : 'UTC';
}

function parseTime(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "6 Apr 2022, 18:25 UTC" or "6 Apr 2022, 20:25 Europe/Berlin"; "unknown" when missing or unparsable. */
export function formatDateTime(iso: string | undefined, opts: TimeOptions = {}): string {
  const d = parseTime(iso);
  if (!d) return 'unknown';
  const zone = effectiveTimeZone(opts.timeZone);
  const formatter = formatterFor(zone) ?? formatterFor('UTC');
  const parts = formatter ? formatter.formatToParts(d) : [];
  const get = (t: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === t)?.value ?? '';
  const label = zone === 'UTC' || zone === 'Etc/UTC' ? 'UTC' : zone;
  return `${get('day')} ${get('month')} ${get('year')}, ${get('hour')}:${get('minute')} ${label}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", "in 4 h"; undefined when the time is unknown. */
export function formatRelative(iso: string | undefined, now: Date): string | undefined {
  const d = parseTime(iso);
  if (!d) return undefined;
  const diffMs = now.getTime() - d.getTime();
  const abs = Math.abs(diffMs);
  const min = Math.floor(abs / 60_000);
  if (min < 1) return 'just now';
  let text: string;
  if (min < 60) text = `${min} min`;
  else if (min < 48 * 60) text = `${Math.floor(min / 60)} h`;
  else text = plural(Math.floor(min / (24 * 60)), 'day');
  return diffMs >= 0 ? `${text} ago` : `in ${text}`;
}

/** Absolute time with the relative one after it: "6 Apr 2022, 18:25 UTC (2 days ago)". */
export function formatWhen(iso: string | undefined, opts: TimeOptions & { now: Date }): string {
  const rel = formatRelative(iso, opts.now);
  const abs = formatDateTime(iso, opts);
  return rel ? `${abs} (${rel})` : abs;
}

/**
 * "as of 8 Apr 2022, 09:29 UTC (just now)": the time of the data a card shows, the oldest of the
 * reads it is made of (ms since the epoch), or now when no read time is known.
 */
export function asOfText(readTimes: ReadonlyArray<number | undefined>, ctx: TimeOptions & { now: Date }): string {
  return `as of ${dataTime(readTimes, ctx)}`;
}

/** The time of the data alone: "8 Apr 2022, 09:29 UTC (just now)". */
export function dataTime(readTimes: ReadonlyArray<number | undefined>, ctx: TimeOptions & { now: Date }): string {
  const known = readTimes.filter((t): t is number => t !== undefined && Number.isFinite(t));
  const at = known.length > 0 ? new Date(Math.min(...known)) : ctx.now;
  return formatWhen(at.toISOString(), ctx);
}

/** "thresholdNumberOfOwners" -> "Threshold number of owners", for kinds this bot does not know. */
export function humaniseKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/);
  return words
    .map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : /^[A-Z0-9]+$/.test(w) && w.length > 1 ? w : w.toLowerCase()))
    .join(' ');
}

export interface Fact {
  title: string;
  value: string;
}

/** The longest run of a fact's value without a place to break the line (about a third of a card's width on a phone). */
export const LONGEST_UNBROKEN = 30;
const ZERO_WIDTH_SPACE = '\u200b';
/** A run longer than LONGEST_UNBROKEN between spaces, hyphens and break opportunities already made. */
const LONG_WORD = new RegExp(`[^\\s\\u200b-]{${LONGEST_UNBROKEN + 1},}`, 'g');

/** Where a line may break inside a long word: after @ . _ # / : , or between a lower-case letter or digit and a capital. */
function breakAfter(text: string, i: number): boolean {
  const prev = text[i - 1] ?? '';
  return /[@._#/:,]/.test(prev) || (/[\p{Ll}\d]/u.test(prev) && /\p{Lu}/u.test(text[i] ?? ''));
}

/** One word (no spaces, no hyphens) cut into pieces of at most LONGEST_UNBROKEN, as late as possible and at its separators where it has them. */
function breakWord(word: string): string {
  const pieces: string[] = [];
  let start = 0;
  while (word.length - start > LONGEST_UNBROKEN) {
    let cut = start + LONGEST_UNBROKEN;
    while (cut > start + 1 && !breakAfter(word, cut)) cut--;
    if (cut === start + 1) {
      cut = start + LONGEST_UNBROKEN;
      if (/[\uD800-\uDBFF]/.test(word[cut - 1] ?? '')) cut--; // never split a surrogate pair
    }
    pieces.push(word.slice(start, cut));
    start = cut;
  }
  pieces.push(word.slice(start));
  return pieces.join(ZERO_WIDTH_SPACE);
}

/**
 * `text` with as few invisible break opportunities (zero-width spaces) as it takes for no run
 * between spaces and hyphens to be longer than LONGEST_UNBROKEN. Adaptive Card renderers lay a
 * FactSet out as a table, whose value column grows to the longest word, so a guest UPN such as
 * adele.vance_contoso.com#EXT#@fabrikam.onmicrosoft.com would otherwise run off the card.
 * Browsers already break after a hyphen, so GUIDs and shorter names copy exactly as they are (and
 * the bot's parser ignores zero-width spaces in anything pasted back to it).
 */
export function breakable(text: string): string {
  return text.replace(LONG_WORD, breakWord);
}

/**
 * A fact whose value came from the service (or is composed from what it sent), when there is one:
 * capped and made inert (untrustedText), then breakable so that a long value wraps inside the card.
 */
export function fact(title: string, value: string | undefined): Fact[] {
  const v = untrustedText(value, TEXT_LIMITS.fact);
  return v ? [{ title, value: breakable(v) }] : [];
}

export function yesNo(value: boolean | undefined): string {
  return value === undefined ? 'unknown' : value ? 'Yes' : 'No';
}

/**
 * Facts for the plain (string, number, boolean) properties of an object of a kind this bot does not
 * know, so that a new kind the service adds is still shown rather than hidden.
 */
export function genericFacts(
  props: Record<string, unknown>,
  skip: readonly string[],
  limits: { maxFacts: number; maxValue: number },
): Fact[] {
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(props)) {
    if (skip.includes(key)) continue;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else if (typeof value === 'boolean') text = yesNo(value);
    else continue;
    if (text.trim() === '') continue;
    // Property names and values come from the service: untrusted, like everything it sends.
    facts.push({ title: untrustedText(humaniseKey(truncate(key, 200)), 80), value: breakable(untrustedText(text, limits.maxValue)) });
  }
  if (facts.length > limits.maxFacts) {
    const hidden = facts.length - (limits.maxFacts - 1);
    return [...facts.slice(0, limits.maxFacts - 1), { title: 'More', value: `${plural(hidden, 'more property', 'more properties')} not shown` }];
  }
  return facts;
}

export type BannerStyle = 'default' | 'emphasis' | 'good' | 'warning' | 'attention' | 'accent';

/** A status line at the top of a card, e.g. "Dismissed by Megan Bowen at 10:02". */
export interface BannerInput {
  text: string;
  style?: BannerStyle;
}

export interface BannerVm {
  hasBanner: boolean;
  bannerText: string;
  bannerStyle: BannerStyle;
}

/** The banner's text names people, scopes and alerts (untrusted) and carries no formatting of its own. */
export function bannerVm(banner: BannerInput | undefined): BannerVm {
  const text = untrustedText(banner?.text, 300);
  return { hasBanner: text !== '', bannerText: text, bannerStyle: banner?.style ?? 'accent' };
}

/** Scope ids are handled without a leading slash everywhere in the bot. */
export function normaliseScope(scope: string): string {
  return scope.trim().replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Which half of PIM a scope's alerts belong to, in the words people read. Cards name the world and
 * never branch on it otherwise: a directory alert and an Azure one are the same model.
 */
export function worldLabel(scope: string): string {
  return worldOf(scope) === 'directory' ? 'Entra ID · directory roles' : 'Azure resource roles';
}

/** The subtle line under a scope's name: its id (what people type) and its world. */
export function scopeIdLine(scope: string): string {
  return `${normaliseScope(scope)} · ${worldLabel(scope)}`;
}
