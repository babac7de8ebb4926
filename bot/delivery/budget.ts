// One Teams budget for every instance of the bot. Teams allows an app about 50 requests a second
// per tenant, whichever instance sends them, so with several instances each one's own limiter is
// not enough: together they would send twice as much and collect 429s.
//
// The tenant's window (50 per second) is cut into slices (10 of 5 per second). A slice is a lease
// in the store (listLeases/putLease: insert-once, then written only over the version read), held
// by one instance at a time; an instance sends a request only under a slice it holds, and keeps
// each slice's own sliding window (5 per second, counted from each request's answer, as the
// limiter does). So the instances together never have more than 10 x 5 = 50 places a second,
// however the slices move. The rules that make a move safe:
// - A holder uses a slice only while half its lease is left (leaseMs / 2, 5 s by default), and
//   renews it before that runs out. A slice of a holder that died lapses; the next holder uses it
//   from its expiry plus one window interval, when whatever the dead one started has aged out.
// - A holder that gives a slice up (another instance wants some) writes when the slice's places
//   free up (its last answer plus one interval); the next holder uses it from then.
// - Fair shares: an instance with requests waiting keeps a "demand" lease alive; each instance
//   aims for slices / (instances with demand), the remainder going to the first owners by name,
//   gives up what it holds beyond its share and takes free or lapsed slices up to it. An idle
//   instance gives its slices back and its demand ends, so a lone busy instance gets all ten.
//
// Each instance's fair share of the tenant (its slices out of ten, among the instances sending
// now) is also its share of every per-conversation window (limiter.ts): two busy instances send
// at most 3 of a conversation's 7 a second each. An instance learns of a newcomer at its next
// renewal, and the newcomer sends nothing before one of them has given it a slice, so shares
// change together; what one instance sent to a conversation just before a newcomer arrived still
// counts in that conversation's longer windows (2 s, 30 s, an hour) for their length. Instance clocks are assumed to agree to well within a second
// (NTP); every time in a lease is wall-clock ISO time.
import type { Clock } from '../security/clock';
import type { BotStore, SharedLease } from '../store/types';
import type { RateWindow } from './windows';

/** What the limiter asks of a tenant's budget. */
export interface TenantBudget {
  /**
   * Waits for a place in this tenant's budget and takes it; the request may start at once. Call
   * the returned function when the request has answered (or failed).
   */
  acquire(): Promise<() => void>;
  /**
   * Notes that this instance has a request for the tenant (waiting for a conversation's window or
   * for a place), which keeps its demand and fair share alive; resolves once its view of the
   * other senders is at most one renewal old, so that share() is current. Call the returned
   * function when the request is done.
   */
  enter(): Promise<() => void>;
  /** This instance's fair share of the tenant (its slices / all slices, among the instances sending now). */
  share(): number;
}

export interface SharedBudget {
  tenant(tenantId: string): TenantBudget;
  /** Gives every slice back (its places free up one interval after its last answer) and ends this instance's demand. */
  stop(): Promise<void>;
}

export interface SharedBudgetOptions {
  store: Pick<BotStore, 'listLeases' | 'putLease'>;
  /** This instance in the leases (the process slot, as for refresh leases). */
  owner: string;
  /** The tenant window that is shared. Default Teams' 50 per second. */
  window: RateWindow;
  /** Slices the window is cut into; the window's limit must divide by it. Default 10. */
  slices?: number;
  /** How long a slice is held without renewal. Default 10 s. */
  leaseMs?: number;
  /** How often a busy instance looks at the others, gives up and takes slices. Default 0.5 s. */
  renewMs?: number;
  /** Added to every interval, as the limiter's marginMs. Default 0. */
  marginMs?: number;
  /** Wall-clock ms (lease times are compared across instances). */
  clock: Clock;
  /** Timers, injectable for fake time. */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  /** Told when the store could not be reached; the budget keeps to what it holds meanwhile. */
  onError?: (err: Error) => void;
}

export class BudgetStoppedError extends Error {
  override readonly name = 'BudgetStoppedError';
  constructor() {
    super('The shared Teams budget was stopped before this message was sent.');
  }
}

const SLICE = 'slice-';
const DEMAND = 'demand:';
const sliceName = (i: number) => `${SLICE}${String(i).padStart(2, '0')}`;
const iso = (ms: number) => new Date(ms).toISOString();

interface HeldSlice {
  name: string;
  version: string;
  until: number;
  usableFrom: number;
  /** Answer times of requests made under this slice, oldest first, pruned to one interval. */
  answers: number[];
  inFlight: number;
}

/** The instances that want slices now, and this one's fair number of them. */
export function fairShare(slices: number, owners: readonly string[], me: string): number {
  const sorted = [...new Set([...owners, me])].sort();
  const n = sorted.length;
  const rank = sorted.indexOf(me);
  return Math.floor(slices / n) + (rank < slices % n ? 1 : 0);
}

export function createSharedBudget(opts: SharedBudgetOptions): SharedBudget {
  const slices = opts.slices ?? 10;
  const perSlice = opts.window.limit / slices;
  if (!Number.isInteger(slices) || slices < 1 || !Number.isInteger(perSlice) || perSlice < 1) {
    throw new Error(`A window of ${opts.window.limit} cannot be cut into ${slices} equal slices; choose a number of slices that divides it.`);
  }
  const intervalMs = opts.window.intervalMs + (opts.marginMs ?? 0);
  const leaseMs = opts.leaseMs ?? 10_000;
  const renewMs = opts.renewMs ?? 500;
  if (!(renewMs * 2 < leaseMs / 2)) throw new Error('Shared budget slices must be renewed at least twice in the usable half of their lease.');
  const setTimer = opts.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const now = () => opts.clock.now();
  const tenants = new Map<string, ReturnType<typeof tenantBudget>>();
  let stopped = false;

  function tenantBudget(tenantId: string) {
    const group = `budget:${tenantId || 'no tenant'}`;
    const held = new Map<string, HeldSlice>();
    const waiters: Array<{ resolve: (done: () => void) => void; reject: (err: Error) => void }> = [];
    let lastUse = -Infinity;
    /** Owners with demand at the last refresh, and when that was. */
    let demanders: string[] = [];
    let refreshedAt = -Infinity;
    const readyWaiters: Array<() => void> = [];
    /** Requests entered and not yet done. */
    let pending = 0;
    let loop: unknown;
    let wake: unknown;
    let refreshing: Promise<void> | undefined;

    const usable = (s: HeldSlice, t: number) => t >= s.usableFrom && t < s.until - leaseMs / 2;
    const busy = () => pending > 0 || waiters.length > 0 || [...held.values()].some((s) => s.inFlight > 0) || now() - lastUse < renewMs;

    function prune(s: HeldSlice, t: number): void {
      while (s.answers.length > 0 && s.answers[0]! + intervalMs <= t) s.answers.shift();
    }

    /** When the slice has a free place: now, later, or never (it stops being usable first). */
    function freeAt(s: HeldSlice, t: number): number {
      prune(s, t);
      const used = s.answers.length + s.inFlight;
      if (used < perSlice) return Math.max(t, s.usableFrom);
      // The in-flight ones free nothing until they answer; the oldest answers free a place each.
      const needed = used - perSlice + 1;
      return needed <= s.answers.length ? Math.max(s.answers[needed - 1]! + intervalMs, s.usableFrom) : Infinity;
    }

    /** Hands free places to waiters, oldest first; sets a timer for the next place that frees. */
    function pump(): void {
      if (wake !== undefined) {
        clearTimer(wake);
        wake = undefined;
      }
      const t = now();
      let next = Infinity;
      while (waiters.length > 0) {
        let chosen: HeldSlice | undefined;
        for (const s of held.values()) {
          if (!usable(s, t)) continue;
          const at = freeAt(s, t);
          if (at <= t) {
            chosen = s;
            break;
          }
          if (at < s.until - leaseMs / 2) next = Math.min(next, at);
        }
        if (!chosen) break;
        const slice = chosen;
        slice.inFlight++;
        lastUse = t;
        let done = false;
        waiters.shift()!.resolve(() => {
          if (done) return;
          done = true;
          slice.inFlight--;
          slice.answers.push(now());
          pump();
        });
      }
      if (waiters.length > 0 && next < Infinity) wake = setTimer(pump, Math.max(1, Math.ceil(next - t)));
      ensureLoop();
    }

    /** Runs a refresh now, then every renewMs while busy; one loop per tenant. */
    function ensureLoop(): void {
      if (loop !== undefined || refreshing !== undefined || stopped) return;
      const run = () => {
        loop = undefined;
        refreshing = refresh()
          .catch((err: unknown) => opts.onError?.(err as Error))
          .finally(() => {
            for (const r of readyWaiters.splice(0)) r();
            if (!stopped && busy()) loop = setTimer(run, renewMs);
            refreshing = undefined;
            if (loop === undefined && !stopped) {
              refreshing = giveBack().finally(() => {
                refreshing = undefined;
                if (waiters.length > 0) ensureLoop();
              });
            }
            pump();
          });
      };
      loop = setTimer(run, 0);
    }

    /** One round: note demand, keep our fair share, give up the rest, take what is free. */
    async function refresh(): Promise<void> {
      const t = now();
      const leases = await opts.store.listLeases(group);
      const byName = new Map(leases.map((l) => [l.name, l]));
      const wanting = busy();
      // Only this instance writes its demand lease (a lost race just waits for the next round). It
      // ends it as soon as it has nothing to send, so the others take its share at once.
      const mine = byName.get(`${DEMAND}${opts.owner}`);
      if (wanting) {
        await opts.store.putLease(group, { name: `${DEMAND}${opts.owner}`, owner: opts.owner, until: iso(t + 3 * renewMs), usableFrom: iso(t) }, mine?.version);
      } else if (mine && Date.parse(mine.until) > t) {
        await opts.store.putLease(group, { ...mine, until: iso(t) }, mine.version);
      }
      const demanding = leases.filter((l) => l.name.startsWith(DEMAND) && Date.parse(l.until) > t && l.owner !== opts.owner).map((l) => l.owner);
      demanders = wanting ? [...demanding, opts.owner] : demanding;
      refreshedAt = t;
      const target = wanting ? fairShare(slices, demanding, opts.owner) : 0;

      // What the store says we hold; a slice someone else wrote over is no longer ours.
      for (const [name, s] of held) {
        const l = byName.get(name);
        if (!l || l.owner !== opts.owner || l.version !== s.version) held.delete(name);
      }
      // Beyond our share: give back those with nothing in flight.
      const extra = [...held.values()].filter((s) => s.inFlight === 0).slice(0, Math.max(0, held.size - target));
      await Promise.all(
        extra.map(async (s) => {
          prune(s, t);
          const freeFrom = Math.max(t, s.usableFrom, (s.answers.at(-1) ?? -Infinity) + intervalMs);
          held.delete(s.name);
          await opts.store.putLease(group, { name: s.name, owner: '', until: iso(t), usableFrom: iso(freeFrom) }, s.version);
        }),
      );
      // Renew the rest before less than two rounds of their usable half is left; one that another
      // instance wrote over meanwhile is no longer ours.
      const until = t + leaseMs;
      await Promise.all(
        [...held.values()].filter((s) => s.until - leaseMs / 2 - t < 2 * renewMs + renewMs).map(async (s) => {
          const version = await opts.store.putLease(group, { name: s.name, owner: opts.owner, until: iso(until), usableFrom: iso(s.usableFrom) }, s.version);
          if (version === undefined) held.delete(s.name);
          else Object.assign(s, { version, until });
        }),
      );
      // Take free or lapsed slices up to our share (a lost race leaves it to the next round).
      const free: Array<{ name: string; lease?: SharedLease }> = [];
      for (let i = 0; i < slices; i++) {
        const name = sliceName(i);
        const l = byName.get(name);
        if (held.has(name) || (l && l.owner !== '' && l.owner !== opts.owner && Date.parse(l.until) > t)) continue;
        free.push(l ? { name, lease: l } : { name });
      }
      await Promise.all(
        free.slice(0, Math.max(0, target - held.size)).map(async ({ name, lease: l }) => {
          // A lapsed holder may have used it until its expiry; a released one says when it frees up.
          const lapsed = l !== undefined && l.owner !== '' && l.owner !== opts.owner;
          const usableFrom = l ? Math.max(Date.parse(l.usableFrom), lapsed ? Date.parse(l.until) + intervalMs : -Infinity) : t;
          const version = await opts.store.putLease(group, { name, owner: opts.owner, until: iso(until), usableFrom: iso(usableFrom) }, l?.version);
          if (version !== undefined) held.set(name, { name, version, until, usableFrom, answers: [], inFlight: 0 });
        }),
      );
    }

    /** Idle: every slice back, demand ended. */
    async function giveBack(): Promise<void> {
      const t = now();
      for (const s of [...held.values()]) {
        if (s.inFlight > 0) continue;
        prune(s, t);
        held.delete(s.name);
        await opts.store
          .putLease(group, { name: s.name, owner: '', until: iso(t), usableFrom: iso(Math.max(t, s.usableFrom, (s.answers.at(-1) ?? -Infinity) + intervalMs)) }, s.version)
          .catch((err: unknown) => opts.onError?.(err as Error));
      }
      const demand = (await opts.store.listLeases(group).catch(() => [] as SharedLease[])).find((l) => l.name === `${DEMAND}${opts.owner}`);
      if (demand && Date.parse(demand.until) > t) {
        await opts.store.putLease(group, { ...demand, until: iso(t) }, demand.version).catch((err: unknown) => opts.onError?.(err as Error));
      }
    }

    return {
      budget: {
        acquire() {
          if (stopped) return Promise.reject(new BudgetStoppedError());
          return new Promise<() => void>((resolve, reject) => {
            waiters.push({ resolve, reject });
            pump();
          });
        },
        async enter() {
          if (stopped) throw new BudgetStoppedError();
          pending++;
          let left = false;
          const leave = () => {
            if (left) return;
            left = true;
            pending--;
          };
          if (!(now() - refreshedAt < renewMs && demanders.includes(opts.owner))) {
            await new Promise<void>((resolve) => {
              readyWaiters.push(resolve);
              ensureLoop();
            });
          }
          return leave;
        },
        share() {
          return fairShare(slices, demanders, opts.owner) / slices;
        },
      } satisfies TenantBudget,
      async stop() {
        if (loop !== undefined) clearTimer(loop);
        if (wake !== undefined) clearTimer(wake);
        loop = wake = undefined;
        for (const w of waiters.splice(0)) w.reject(new BudgetStoppedError());
        for (const r of readyWaiters.splice(0)) r();
        await refreshing;
        await giveBack();
      },
    };
  }

  return {
    tenant(tenantId) {
      let t = tenants.get(tenantId);
      if (!t) {
        t = tenantBudget(tenantId);
        tenants.set(tenantId, t);
      }
      return t.budget;
    },
    async stop() {
      stopped = true;
      await Promise.all([...tenants.values()].map((t) => t.stop().catch((err: unknown) => opts.onError?.(err as Error))));
    },
  };
}
