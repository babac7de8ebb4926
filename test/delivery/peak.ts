// What the fake connector's rate limits count: the most sends that fell inside one sliding window.
import type { RateWindow } from '../../bot/delivery/windows';

/** Largest number of sends any sliding window of `w` saw. */
export function peak(times: number[], w: RateWindow): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[lo]! <= sorted[hi]! - w.intervalMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
