// Digest schedules for `subscribe`: a few words people actually type (hourly, daily 09:00,
// weekdays 08:30, weekly monday 09:00) or a five-field cron expression, all stored as 5-field cron
// so the scheduler has one thing to evaluate. Run times are computed by croner in the
// subscription's IANA time zone, which is what makes them correct across DST changes.
import { Cron, CronPattern } from 'croner';

export type ScheduleKind = 'hourly' | 'daily' | 'weekdays' | 'weekly' | 'cron';

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Five-field cron (minute hour day-of-month month day-of-week), evaluated in the subscription's time zone. */
  cron: string;
  /** What a person reads on a card, e.g. "daily at 09:00". */
  label: string;
}

export type ScheduleErrorCode = 'BadSchedule' | 'TooFrequent' | 'BadTimeZone';
export interface ScheduleError {
  code: ScheduleErrorCode;
  message: string;
}

export type ScheduleResult = { ok: true; spec: ScheduleSpec } | { ok: false; error: ScheduleError };
export type TimeZoneResult = { ok: true; timeZone: string } | { ok: false; error: ScheduleError };

/** A word of a command as the parser split it; quoted words are never read as keywords. */
export interface ScheduleToken {
  text: string;
  quoted: boolean;
}

/**
 * What `takeSchedule` found at the start of the tokens: nothing schedule-like (`null`), a schedule
 * and how many tokens it used, or a schedule that was started but is wrong.
 */
export type TakeScheduleResult = { ok: true; spec: ScheduleSpec; consumed: number } | { ok: false; error: ScheduleError } | null;

/** Digests more frequent than this would flood a channel and burn ARM quota. */
export const MIN_INTERVAL_MINUTES = 15;
/** How many consecutive runs are checked for the minimum gap (see checkMinimumInterval). */
const SAMPLE_RUNS = 200;
/**
 * Fixed start of the gap sample so that validating a schedule does not depend on today's date.
 * Any start works: cron repeats the same minute/hour structure on every day it fires, and 200 runs
 * always cover at least the first firing day whole plus its wrap into the next.
 */
const SAMPLE_FROM = new Date(Date.UTC(2024, 0, 1));

export const DEFAULT_TIME = { hour: 9, minute: 0 } as const;

const DAYS: ReadonlyArray<{ names: readonly string[]; label: string; cron: number }> = [
  { names: ['sun', 'sunday'], label: 'Sunday', cron: 0 },
  { names: ['mon', 'monday'], label: 'Monday', cron: 1 },
  { names: ['tue', 'tues', 'tuesday'], label: 'Tuesday', cron: 2 },
  { names: ['wed', 'wednesday'], label: 'Wednesday', cron: 3 },
  { names: ['thu', 'thur', 'thurs', 'thursday'], label: 'Thursday', cron: 4 },
  { names: ['fri', 'friday'], label: 'Friday', cron: 5 },
  { names: ['sat', 'saturday'], label: 'Saturday', cron: 6 },
];

const SCHEDULE_WORDS = new Set(['hourly', 'daily', 'weekdays', 'weekly', 'cron']);
// Something that was meant as a time (so "daily 25:00" is an error, not a scope called "25:00").
const TIME_LIKE = /^\d+[:.h]\d+$/i;
const STRICT_TIME = /^(\d{1,2}):(\d{2})$/;
// One cron field: numbers, names (jan, mon), ranges, lists, steps, L and nth weekday (#).
const CRON_FIELD = /^[0-9a-z*/,#-]+$/i;

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

function timeLabel(hour: number, minute: number): string {
  return `${pad2(hour)}:${pad2(minute)}`;
}

export function hourly(): ScheduleSpec {
  return { kind: 'hourly', cron: '0 * * * *', label: 'hourly' };
}

export function daily(hour: number = DEFAULT_TIME.hour, minute: number = DEFAULT_TIME.minute): ScheduleSpec {
  return { kind: 'daily', cron: `${minute} ${hour} * * *`, label: `daily at ${timeLabel(hour, minute)}` };
}

export function weekdays(hour: number = DEFAULT_TIME.hour, minute: number = DEFAULT_TIME.minute): ScheduleSpec {
  return { kind: 'weekdays', cron: `${minute} ${hour} * * 1-5`, label: `weekdays at ${timeLabel(hour, minute)}` };
}

export function weekly(day: number, hour: number = DEFAULT_TIME.hour, minute: number = DEFAULT_TIME.minute): ScheduleSpec {
  const info = DAYS.find((d) => d.cron === day);
  if (!info) throw new RangeError(`Day of week ${day} is not 0 (Sunday) to 6 (Saturday).`);
  return { kind: 'weekly', cron: `${minute} ${hour} * * ${day}`, label: `weekly on ${info.label} at ${timeLabel(hour, minute)}` };
}

/** Used when `subscribe` is given no schedule. */
export const DEFAULT_SCHEDULE: ScheduleSpec = Object.freeze(daily());

function fail(code: ScheduleErrorCode, message: string): { ok: false; error: ScheduleError } {
  return { ok: false, error: { code, message } };
}

function quoteForMessage(s: string): string {
  return `"${s.length > 60 ? `${s.slice(0, 57)}...` : s}"`;
}

/** Parses HH:MM on a 24-hour clock. */
export function parseTimeOfDay(text: string): { ok: true; hour: number; minute: number } | { ok: false; error: ScheduleError } {
  const m = STRICT_TIME.exec(text.trim());
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) {
    return fail('BadSchedule', `${quoteForMessage(text)} is not a time: write it as HH:MM on a 24-hour clock, for example 09:00 or 17:30.`);
  }
  return { ok: true, hour, minute };
}

export function parseDayOfWeek(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  return DAYS.find((d) => d.names.includes(t))?.cron;
}

/**
 * Checks a 5-field cron expression with croner and refuses ones that never run or that run more
 * often than every MIN_INTERVAL_MINUTES. Returns the expression with its whitespace normalised.
 *
 * The gap is measured in UTC over SAMPLE_RUNS consecutive runs: that is the pattern's own
 * frequency. In a zone with DST, a run that falls in the skipped hour moves one hour later (croner's
 * behaviour), which can bring it closer to the next run on that one day; the scheduler must not run
 * the same subscription twice at one instant anyway.
 */
export function validateCron(expression: string): { ok: true; cron: string } | { ok: false; error: ScheduleError } {
  const fields = expression.trim().split(/\s+/).filter((f) => f !== '');
  const shown = quoteForMessage(expression.trim());
  if (fields.length !== 5) {
    return fail(
      'BadSchedule',
      `The cron expression ${shown} has ${fields.length} field${fields.length === 1 ? '' : 's'}: write five (minute hour day-of-month month day-of-week), for example "0 9 * * 1-5".`,
    );
  }
  // croner would also accept '?' (replaced by the current time) and seconds/nicknames; none of those
  // belong in a stored 5-field schedule.
  const badField = fields.find((f) => !CRON_FIELD.test(f));
  if (badField !== undefined) {
    return fail('BadSchedule', `The cron field ${quoteForMessage(badField)} is not valid: use numbers, names, *, ranges (1-5), lists (1,3) and steps (*/30).`);
  }
  const cron = fields.join(' ');
  let job: Cron;
  try {
    // utcOffset rather than timezone 'UTC': same instants, without croner's per-step Intl lookups
    // (about 30 times faster over the 200-run sample).
    job = new Cron(cron, { utcOffset: 0 });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, '').replace(/\.$/, '') : String(err);
    return fail('BadSchedule', `The cron expression ${shown} is not valid (${reason}): check each of its five fields.`);
  }
  const runs = job.nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
  if (runs.length === 0) {
    return fail('BadSchedule', `The cron expression ${shown} never runs (for example 31 February): pick days that exist.`);
  }
  const minGapMs = minimumGap(runs, minuteFieldGapMinutes(cron));
  if (minGapMs < MIN_INTERVAL_MINUTES * 60_000) {
    return fail(
      'TooFrequent',
      `The schedule ${shown} runs as often as every ${formatGap(minGapMs)}: digests can run at most every ${MIN_INTERVAL_MINUTES} minutes, for example "*/15 * * * *" or "hourly".`,
    );
  }
  return { ok: true, cron };
}

/**
 * The smallest gap between two minutes of the minute field within one hour. Every hour the pattern
 * fires in fires all of these minutes, so this is a lower bound that does not rely on sampling.
 */
function minuteFieldGapMinutes(cron: string): number {
  const minutes = new CronPattern(cron).minute;
  let last = -1;
  let gap = Infinity;
  minutes.forEach((on, m) => {
    if (!on) return;
    if (last >= 0) gap = Math.min(gap, m - last);
    last = m;
  });
  return gap;
}

function minimumGap(runs: readonly Date[], minuteGap: number): number {
  let gap = minuteGap * 60_000;
  for (let i = 1; i < runs.length; i++) {
    gap = Math.min(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
  }
  return gap;
}

function formatGap(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * Validates an IANA time zone name with the runtime's own zone data (the same data croner uses)
 * and returns its canonical spelling, so "europe/berlin" is stored as "Europe/Berlin".
 */
export function resolveTimeZone(zone: string): TimeZoneResult {
  const wanted = zone.trim();
  // Offsets such as +01:00 are refused on purpose: a fixed offset ignores DST, which is exactly
  // what a "09:00 every day" digest should follow.
  if (wanted === '' || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(wanted)) {
    return fail('BadTimeZone', `${quoteForMessage(zone)} is not a time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC.`);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: wanted });
  } catch {
    return fail('BadTimeZone', `${quoteForMessage(zone)} is not a time zone I know: use an IANA name such as Europe/Berlin, America/New_York or UTC.`);
  }
  const lower = wanted.toLowerCase();
  const canonical = Intl.supportedValuesOf('timeZone').find((z) => z.toLowerCase() === lower);
  // Aliases (UTC, US/Pacific) are valid but not in the canonical list; keep them as typed.
  return { ok: true, timeZone: canonical ?? (lower === 'utc' ? 'UTC' : wanted) };
}

function looksLikeCronField(token: ScheduleToken): boolean {
  return !token.quoted && CRON_FIELD.test(token.text);
}

/** Five bare numbers are read as scope positions, not as cron: a cron needs a *, -, / or , somewhere. */
function looksLikeUnquotedCron(tokens: readonly ScheduleToken[]): boolean {
  if (tokens.length < 5) return false;
  const five = tokens.slice(0, 5);
  return five.every(looksLikeCronField) && five.some((t) => /[*/,-]/.test(t.text)) && five.every((t) => /[\d*]/.test(t.text) || /^[a-z]{3}(-[a-z]{3})?$/i.test(t.text));
}

function looksLikeQuotedCron(token: ScheduleToken | undefined): boolean {
  if (!token || !token.quoted) return false;
  const fields = token.text.trim().split(/\s+/);
  if (!fields.every((f) => CRON_FIELD.test(f))) return false;
  // A quoted text of cron-like words with a * in it was meant as cron even with the wrong field
  // count, so it gets the cron error rather than being taken for a scope name.
  return (fields.length === 5 && fields.some((f) => /[\d*]/.test(f))) || (fields.length >= 3 && fields.some((f) => f.includes('*')));
}

function fromCron(expression: string, consumed: number): TakeScheduleResult {
  const checked = validateCron(expression);
  if (!checked.ok) return checked;
  return { ok: true, consumed, spec: { kind: 'cron', cron: checked.cron, label: `custom schedule ${checked.cron}` } };
}

/** Reads an optional HH:MM after a schedule word; no time means DEFAULT_TIME. */
function takeTime(
  token: ScheduleToken | undefined,
): { ok: true; hour: number; minute: number; consumed: number } | { ok: false; error: ScheduleError } {
  if (!token || token.quoted || !TIME_LIKE.test(token.text)) return { ok: true, ...DEFAULT_TIME, consumed: 0 };
  const time = parseTimeOfDay(token.text);
  return time.ok ? { ...time, consumed: 1 } : time;
}

/**
 * Recognises a schedule at the start of `tokens`:
 *   hourly | daily [HH:MM] | weekdays [HH:MM] | weekly <day> [HH:MM] | cron <5 fields> |
 *   "<5 fields>" (quoted) | <5 fields> (unquoted, at least one of * - / , in them).
 * A missing time means 09:00. Returns null when the tokens do not start with a schedule.
 */
export function takeSchedule(tokens: readonly ScheduleToken[]): TakeScheduleResult {
  const first = tokens[0];
  if (!first) return null;
  if (looksLikeQuotedCron(first)) return fromCron(first.text, 1);
  if (!first.quoted) {
    const word = first.text.toLowerCase();
    if (SCHEDULE_WORDS.has(word)) {
      switch (word) {
        case 'hourly':
          return { ok: true, spec: hourly(), consumed: 1 };
        case 'daily':
        case 'weekdays': {
          const time = takeTime(tokens[1]);
          if (!time.ok) return time;
          const spec = word === 'daily' ? daily(time.hour, time.minute) : weekdays(time.hour, time.minute);
          return { ok: true, spec, consumed: 1 + time.consumed };
        }
        case 'weekly': {
          const dayToken = tokens[1];
          const day = dayToken && !dayToken.quoted ? parseDayOfWeek(dayToken.text) : undefined;
          if (day === undefined) {
            const got = dayToken ? ` (got ${quoteForMessage(dayToken.text)})` : '';
            return fail('BadSchedule', `"weekly" needs a day of the week${got}: write for example "weekly monday 09:00".`);
          }
          const time = takeTime(tokens[2]);
          if (!time.ok) return time;
          return { ok: true, spec: weekly(day, time.hour, time.minute), consumed: 2 + time.consumed };
        }
        case 'cron': {
          if (tokens[1]?.quoted) return fromCron(tokens[1].text, 2);
          const fields = tokens.slice(1, 6);
          if (fields.length < 5 || !fields.every(looksLikeCronField)) {
            return fail('BadSchedule', `"cron" needs five fields (minute hour day-of-month month day-of-week): write for example cron "0 9 * * 1-5".`);
          }
          return fromCron(fields.map((t) => t.text).join(' '), 6);
        }
      }
    }
    if (looksLikeUnquotedCron(tokens)) {
      return fromCron(
        tokens
          .slice(0, 5)
          .map((t) => t.text)
          .join(' '),
        5,
      );
    }
  }
  return null;
}

/** Parses a whole schedule text, e.g. "weekly fri 16:00" or "0 9 * * 1-5"; an empty text is the default. */
export function parseSchedule(text: string): ScheduleResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, spec: DEFAULT_SCHEDULE };
  const tokens = trimmed.split(/\s+/).map((t) => ({ text: t, quoted: false }));
  // A lone 5-field cron of plain numbers ("0 9 1 1 1") is still a cron when it is the whole text.
  const taken = takeSchedule(tokens) ?? (tokens.length === 5 ? fromCron(trimmed, 5) : null);
  if (taken === null) {
    return fail('BadSchedule', `${quoteForMessage(trimmed)} is not a schedule: write hourly, daily 09:00, weekdays 08:30, weekly monday 09:00 or a five-field cron.`);
  }
  if (!taken.ok) return taken;
  if (taken.consumed !== tokens.length) {
    const extra = tokens
      .slice(taken.consumed)
      .map((t) => t.text)
      .join(' ');
    return fail('BadSchedule', `I did not understand ${quoteForMessage(extra)} after "${taken.spec.label}": remove it or write the schedule as a five-field cron.`);
  }
  return { ok: true, spec: taken.spec };
}

/**
 * The next `n` run instants strictly after `from`, computed in `timeZone` (IANA; UTC when
 * undefined) so DST changes are honoured. A local time that does not exist on a spring-forward day
 * (02:30 in Europe/Berlin on the last Sunday of March) runs one hour later, at 03:30 local; a local
 * time that happens twice in autumn runs once.
 */
export function nextRuns(spec: ScheduleSpec | string, timeZone: string | undefined, from: Date, n: number): Date[] {
  if (n <= 0) return [];
  const cron = typeof spec === 'string' ? spec : spec.cron;
  // A Cron made without a callback never schedules a timer: this stays a pure computation.
  const job = new Cron(cron, timeZone === undefined || timeZone === 'UTC' ? { utcOffset: 0 } : { timezone: timeZone });
  return job.nextRuns(n, from);
}

/** The next run strictly after `from`, or null if the schedule never runs again. */
export function nextRun(spec: ScheduleSpec | string, timeZone: string | undefined, from: Date): Date | null {
  return nextRuns(spec, timeZone, from, 1)[0] ?? null;
}
