// `npm run bench`: every benchmark, each in a process of its own (so one's heap and JIT state do
// not colour the next, and the RSS figure is the digest run's alone), then one table. Every figure
// is a ratio against a baseline measured in the same run where one exists:
//   help       `help` replies per second / a bare botbuilder echo bot's        (goal at least 0.9)
//   alerts     `alerts` over 50 scopes at 100 ms ARM latency: median, p95 / one ARM call (goal: median at most 250 ms)
//   digest     1,000 conversations: wall time / the floor Teams' limits allow (one instance, and
//              two instances on Table Storage sharing Teams' budget)
//   parser     hostile text: per-KB time at the largest size / at 1 KB       (goal at most 3)
//   memory     RSS of the digest run's process once the run is over
// Exit 0 when every goal is met, 1 when one is not, 2 when a benchmark could not run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ALERTS_GOAL_MS, DIGEST_INSTANCES_GOAL, HELP_GOAL, RESULT_PREFIX } from './common';

interface Run {
  file: string;
  args?: string[];
}

const RUNS: Record<string, Run> = {
  help: { file: 'help.ts' },
  alerts: { file: 'alerts.ts' },
  digest: { file: 'digest.ts' },
  digest2: { file: 'digest.ts', args: ['--instances', '2'] },
  parser: { file: 'parser.ts' },
};

type Figures = Record<string, unknown> & { bench: string };

/** Runs one benchmark with --json; resolves with its RESULT figures (its own output goes to stderr as it comes). */
function run(name: string, r: Run): Promise<{ figures?: Figures; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, r.file), '--json', ...(r.args ?? [])], {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      process.stderr.write(b.toString().split('\n').filter((l) => l && !l.startsWith(RESULT_PREFIX)).map((l) => `  [${name}] ${l}\n`).join(''));
    });
    child.stderr.on('data', (b: Buffer) => {
      const text = b.toString().split('\n').filter((l) => l && !/DeprecationWarning|trace-deprecation/.test(l));
      if (text.length) process.stderr.write(text.map((l) => `  [${name}] ${l}\n`).join(''));
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      resolve({ figures: line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as Figures) : undefined, code });
    });
  });
}

const n = (v: unknown, digits = 0) => (typeof v === 'number' ? v.toFixed(digits) : '?');

async function main(): Promise<number> {
  const results: Record<string, Figures | undefined> = {};
  let crashed = false;
  for (const [name, r] of Object.entries(RUNS)) {
    process.stderr.write(`running ${name}…\n`);
    const { figures, code } = await run(name, r);
    results[name] = figures;
    if (!figures || code === 2) crashed = true;
  }
  const { help, alerts, digest, digest2, parser } = results;
  const rows: Array<[string, string, string, string, string, boolean | undefined]> = [];
  if (help) {
    const ok = (help.ratio as number) >= HELP_GOAL;
    rows.push(['help replies', `${n(help.helpPerSecond)} msg/s`, `echo bot ${n(help.echoPerSecond)} msg/s`, `${n(help.ratio, 2)}× (CPU ${n(help.cpuRatio, 2)}×)`, `≥ ${HELP_GOAL}×`, ok]);
  }
  if (alerts) {
    const ok = (alerts.medianMs as number) <= ALERTS_GOAL_MS;
    rows.push([
      `alerts, ${alerts.scopes} scopes, ${alerts.armLatencyMs} ms ARM`,
      `median ${n(alerts.medianMs)} ms, p95 ${n(alerts.p95Ms)} ms`,
      `one ARM call ${n(alerts.oneCallMs)} ms`,
      `${n(alerts.ratio, 2)}×`,
      `median ≤ ${ALERTS_GOAL_MS} ms`,
      ok,
    ]);
  }
  if (digest) {
    rows.push([
      `digest, ${digest.conversations} conversations`,
      `${n((digest.wallMs as number) / 1000, 1)} s, ${digest.delivered} delivered, ${digest.lost} lost, ${digest.duplicates} twice`,
      `floor ${n((digest.floorMs as number) / 1000, 1)} s`,
      `${n(digest.ratio, 2)}×`,
      'all once',
      digest.pass === true,
    ]);
  }
  if (digest2) {
    rows.push([
      `digest, ${digest2.conversations} conversations, 2 instances`,
      `${n((digest2.wallMs as number) / 1000, 1)} s, ${digest2.delivered} delivered, ${digest2.lost} lost, ${digest2.duplicates} twice, ${n(digest2.throttled)} × 429`,
      `floor ${n((digest2.floorMs as number) / 1000, 1)} s`,
      `${n(digest2.ratio, 2)}×`,
      `all once, ≤ ${DIGEST_INSTANCES_GOAL}×`,
      digest2.pass === true && (digest2.ratio as number) <= DIGEST_INSTANCES_GOAL,
    ]);
  }
  if (parser) {
    rows.push(['parser, hostile text', `worst: ${String(parser.worstText)}`, 'per KB at 1 KB', `${n(parser.worstRatio, 2)}×`, `≤ ${n(parser.maxRatio)}×`, parser.pass === true]);
  }
  if (digest) rows.push(['memory after the digest run', `RSS ${n((digest.rssBytes as number) / 1024 / 1024)} MB`, '', '', '', undefined]);

  const header: [string, string, string, string, string, string] = ['benchmark', 'figure', 'baseline (same run)', 'ratio', 'goal', ''];
  const table = [header, ...rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5] === undefined ? '' : r[5] ? 'met' : 'NOT MET'])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  console.log('');
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  for (const [name, f] of Object.entries(results)) if (!f) console.log(`${name}: did not report (see its output above)`);
  if (crashed) return 2;
  return rows.every((r) => r[5] !== false) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`The benchmarks failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(2);
  },
);
