// What every benchmark shares: its command-line options and the one line bench/all.ts reads.

/** A numeric command-line option `--name N`, or the fallback. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a non-negative number.`);
  return v;
}

export const RESULT_PREFIX = 'RESULT ';

/** `help` replies per second, as a share of a bare botbuilder echo bot's: the goal. */
export const HELP_GOAL = 0.9;
/** The digest run by two instances sharing Teams' budget: wall time / floor, the issue's goal. */
export const DIGEST_INSTANCES_GOAL = 1.15;
/** `alerts` over 50 scopes at 100 ms ARM latency, median: the goal. */
export const ALERTS_GOAL_MS = 250;

/** With --json, one line `RESULT {"bench": …, …}` that bench/all.ts collects into its table. */
export function printResult(bench: string, figures: object): void {
  if (process.argv.includes('--json')) console.log(`${RESULT_PREFIX}${JSON.stringify({ bench, ...figures })}`);
}
