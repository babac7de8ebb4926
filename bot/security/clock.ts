// Time is passed in rather than read from Date.now() so that expiry, caches and leases can be
// tested with a fake clock and so that every component of one process agrees on "now".
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
