// Teams rejects a bot message whose serialised activity is over about 40 KB (counted in UTF-16 code
// units, which is what String.length counts). The card is most of the activity, but the envelope
// (ids, conversation, service URL, the attachment wrapper) and the signing layer's extra bytes need
// room too, so cards are held to a smaller budget. Builders measure the card they actually render
// against it instead of guessing how many rows fit.

export const MAX_CARD_CHARS = 28_000;

/** Caps for single text fields, so that one long field cannot crowd everything else out. */
export const TEXT_LIMITS = {
  /** Names, titles, ids. */
  name: 200,
  /** One-sentence messages (errors, warnings). */
  sentence: 300,
  /** A fact value (an incident property, a configuration value). */
  fact: 300,
  /** Description, impact, mitigation, prevention. */
  paragraph: 1_500,
  /** Facts shown for one object of an unknown kind. */
  genericFacts: 20,
} as const;

/** Size of a card as Teams counts it: UTF-16 code units of its JSON. */
export function cardChars(card: unknown): number {
  return JSON.stringify(card).length;
}

export function fitsCard(card: unknown, max: number = MAX_CARD_CHARS): boolean {
  return cardChars(card) <= max;
}

/**
 * The largest n in [lo, hi] for which `fits(n)` holds, assuming fits is monotone (true up to some n,
 * false after). Returns lo - 1 when even lo does not fit. It gallops up from lo (or from `guess`,
 * e.g. the size of the previous page) before bisecting, so no card it renders to measure is much
 * more than twice the budget, even when hi is in the hundreds, and a good guess costs two renders.
 */
export function largestFitting(lo: number, hi: number, fits: (n: number) => boolean, guess?: number): number {
  if (hi < lo) return lo - 1;
  let good: number;
  let bad = hi + 1;
  if (guess !== undefined && guess > lo && guess <= hi) {
    if (fits(guess)) {
      good = guess;
    } else {
      bad = guess;
      if (!fits(lo)) return lo - 1;
      good = lo;
    }
  } else {
    if (!fits(lo)) return lo - 1;
    good = lo;
  }
  let step = 1;
  while (good < bad - 1) {
    const probe = Math.min(bad - 1, good + step);
    if (!fits(probe)) {
      bad = probe;
      break;
    }
    good = probe;
    step *= 2;
  }
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (fits(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/**
 * Splits `total` rows into pages, each as long as fits: `fits(start, count)` says whether rows
 * [start, start+count) fit on the given 1-based page (with its "and N more" line). Every page holds at least one
 * row, so paging always ends even when a single row is over budget (its text is already truncated).
 * Returns the start index of every page.
 */
export function pageStarts(total: number, fits: (start: number, count: number, page: number) => boolean): number[] {
  const starts: number[] = [];
  let start = 0;
  let previous: number | undefined;
  do {
    starts.push(start);
    const page = starts.length;
    const remaining = total - start;
    const count = Math.max(1, largestFitting(1, remaining, (n) => fits(start, n, page), previous));
    previous = count;
    start += count;
  } while (start < total);
  return starts;
}
