// Benchmark: what hostile message text costs the command parser. Each text is built to defeat a
// regex that backtracks (thousands of unclosed tags or mentions, runs of `&` that are not entities,
// a quote that never closes, a mention entity per name) and is parsed at 1, 10 and 100 KB. A linear
// parser spends the same time per KB at every size; a quadratic one spends ten times more per KB at
// every tenfold size.
//
// parseCommand refuses raw text over 20,000 characters before reading it, so at 100 KB it is the
// text-scanning step itself (extractCommandText: mention removal, tag stripping, entity decoding,
// whitespace) that is measured; parseCommand is measured at 1 and 10 KB.
//
//   npm run bench:parser        ("bench:parser": "tsx bench/parser.ts")
// Prints microseconds per KB for every text and size, and the ratio of the per-KB time at 100 KB
// (10 KB for parseCommand) to that at 1 KB. Exit 0 when every ratio is under MAX_RATIO, 1 when not.
// With --json, also one RESULT line for bench/all.ts.
import { performance } from 'node:perf_hooks';
import { extractCommandText, parseCommand, type MessageEntity, type ParseInput } from '../bot/commands/parser';
import { printResult } from './common';

const BOT_ID = '28:6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10';
const SIZES_KB = [1, 10, 100] as const;
/** Per-KB time may vary with caches and GC; quadratic growth would show as 10x and 100x. */
const MAX_RATIO = 3;
const BATCH_MS = 10;
const ROUNDS = 15;

/** `unit` repeated to `bytes` characters (all ASCII, so characters are bytes). */
function fill(unit: string, bytes: number): string {
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

interface Hostile {
  name: string;
  input(bytes: number): ParseInput;
}

const HOSTILE: readonly Hostile[] = [
  { name: 'unclosed <at> mentions', input: (n) => ({ text: fill('<at>Teams Bot ', n) }) },
  { name: 'unclosed block tags', input: (n) => ({ text: fill('<p class=x ', n) }) },
  { name: 'tags never ending in >', input: (n) => ({ text: fill('<b <i <span ', n) }) },
  { name: 'many closed <at> mentions', input: (n) => ({ text: fill('<at>Teams Bot</at> ', n), entities: [{ type: 'mention', mentioned: { id: BOT_ID, name: 'Teams Bot' }, text: '<at>Teams Bot</at>' }], botId: BOT_ID }) },
  {
    name: 'a mention entity per name',
    input: (n) => {
      const count = Math.ceil(n / 24);
      const entities: MessageEntity[] = Array.from({ length: count }, (_, i) => ({ type: 'mention', mentioned: { id: BOT_ID, name: `Bot ${i}` }, text: `<at>Bot ${i}</at>` }));
      const text = entities.map((e) => e.text).join(' ').slice(0, n);
      return { text, entities, botId: BOT_ID };
    },
  },
  { name: '& that are not entities', input: (n) => ({ text: fill('&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&#12345678&#x', n) }) },
  { name: 'many entities', input: (n) => ({ text: fill('&amp;&lt;&#x41;&#66;&nbsp;', n) }) },
  { name: 'a quote that never closes', input: (n) => ({ text: `alert "${fill("owner's role ", n - 7)}` }) },
  { name: 'zero-width and spaces', input: (n) => ({ text: fill('a\u200b \u00a0\n\t', n) }) },
];

/** Calls per batch so that one batch of `fn` lasts at least BATCH_MS. */
function callsPerBatch(fn: () => unknown): number {
  for (let calls = 1; ; calls *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t0 >= BATCH_MS) return calls;
  }
}

/**
 * Microseconds per call of each function, measured in interleaved rounds (one batch of each per
 * round) so that a busy machine slows every size alike, keeping each function's fastest batch.
 */
function microsPerCall(fns: ReadonlyArray<() => unknown>): number[] {
  const calls = fns.map(callsPerBatch);
  const best = fns.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, k) => {
      const t0 = performance.now();
      for (let i = 0; i < calls[k]!; i++) fn();
      best[k] = Math.min(best[k]!, ((performance.now() - t0) * 1000) / calls[k]!);
    });
  }
  return best;
}

function main(): number {
  const rows: Array<{ text: string; fn: string; perKb: number[]; ratio: number }> = [];
  for (const h of HOSTILE) {
    const inputs = SIZES_KB.map((kb) => h.input(kb * 1024));
    const perKb = (micros: number[]) => micros.map((us, i) => us / SIZES_KB[i]!);
    const extract = perKb(microsPerCall(inputs.map((input) => () => extractCommandText(input))));
    rows.push({ text: h.name, fn: 'extractCommandText', perKb: extract, ratio: extract[2]! / extract[0]! });
    // parseCommand reads at most 20,000 characters: 1 and 10 KB.
    const parse = perKb(microsPerCall(inputs.slice(0, 2).map((input) => () => parseCommand(input))));
    rows.push({ text: h.name, fn: 'parseCommand', perKb: parse, ratio: parse[1]! / parse[0]! });
  }

  const cell = (v: number | undefined) => (v === undefined ? '(refused)' : v.toFixed(2)).padStart(10);
  console.log('Command parser on hostile text: microseconds per KB (lower is faster; flat across sizes = linear)');
  console.log(`${'text'.padEnd(28)} ${'function'.padEnd(19)} ${SIZES_KB.map((kb) => `${kb} KB`.padStart(10)).join(' ')} ${'ratio'.padStart(8)}`);
  for (const r of rows) {
    console.log(`${r.text.padEnd(28)} ${r.fn.padEnd(19)} ${SIZES_KB.map((_, i) => cell(r.perKb[i])).join(' ')} ${r.ratio.toFixed(2).padStart(8)}`);
  }
  console.log(`ratio: per-KB time at the largest size (100 KB; 10 KB for parseCommand) over the per-KB time at 1 KB.`);
  const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  printResult('parser', { worstRatio: worst.ratio, worstText: worst.text, worstFunction: worst.fn, maxRatio: MAX_RATIO, pass: worst.ratio <= MAX_RATIO });
  if (worst.ratio <= MAX_RATIO) {
    console.log(`PASS: linear; the worst ratio is ${worst.ratio.toFixed(2)} (${worst.text}, ${worst.fn}), under ${MAX_RATIO}.`);
    return 0;
  }
  console.log(`FAIL: ${worst.text} (${worst.fn}) costs ${worst.ratio.toFixed(2)}x more per KB at the largest size than at 1 KB.`);
  return 1;
}

process.exitCode = main();
