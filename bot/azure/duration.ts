// ISO 8601 durations, as Microsoft Graph writes the directory-role alert thresholds (P30D, PT10S).
// Only the units that have a fixed length are read: weeks, days, hours, minutes, seconds. Years and
// months have no fixed length, so a duration using them is treated as unreadable, not guessed.

const DURATION = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,9}(?:\.\d{1,9})?)S)?)?$/;

/** Seconds in an ISO 8601 duration such as `P30D` or `PT10S`; undefined when it is not one (or uses Y/M). */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toUpperCase();
  const m = DURATION.exec(v);
  if (!m || v === 'P' || v.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m;
  const n = (x: string | undefined) => (x === undefined ? 0 : Number(x));
  return n(w) * 604_800 + n(d) * 86_400 + n(h) * 3_600 + n(min) * 60 + n(s);
}

/** `P{days}D`. */
export function daysDuration(days: number): string {
  return `P${days}D`;
}

/** `PT{minutes}M`. */
export function minutesDuration(minutes: number): string {
  return `PT${minutes}M`;
}

/** "30 days", "1 hour", "10 seconds": the largest unit that divides the duration exactly. */
export function describeDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
