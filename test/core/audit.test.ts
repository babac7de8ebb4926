// The refusal budget: how many refusals are stored one by one, per source and in all, per minute.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createRefusalBudget, DEFAULT_REFUSAL_BUDGET } from '../../bot/core/audit';
import { createLogger } from '../../bot/log';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function recording() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), lines };
}

describe('refusal budget', () => {
  let now = Date.parse('2025-03-01T12:00:00Z');
  const clock = { now: () => now };

  it('stores 20 refusals a minute per tenant and person, 200 in all; the rest are counted in the log', () => {
    const { logger, lines } = recording();
    const budget = createRefusalBudget({ clock, logger });
    const admitted = (tenant: string, person: string, n: number) => Array.from({ length: n }, () => budget.admit(tenant, person)).filter(Boolean).length;

    assert.equal(admitted(TENANT, 'alex', 25), DEFAULT_REFUSAL_BUDGET.perSource);
    assert.equal(admitted(TENANT, 'megan', 1), 1, 'another person of the same tenant has a budget of their own');
    // 179 sources more fill the total of 200.
    let others = 0;
    for (let i = 0; i < 200; i++) others += admitted(`tenant-${i}`, 'x', 1);
    assert.equal(others, DEFAULT_REFUSAL_BUDGET.total - DEFAULT_REFUSAL_BUDGET.perSource - 1);
    assert.equal(lines.length, 2, 'one warning per source and one for the total, not one per refusal');

    // A minute later everything is admitted again, and the counts of the last minute are logged.
    now += DEFAULT_REFUSAL_BUDGET.windowMs;
    assert.equal(budget.admit(TENANT, 'alex'), true);
    const counted = lines.filter((l) => /were counted, not stored/.test(String(l.msg)));
    assert.deepEqual(
      counted.map((l) => l.dropped),
      [5, 200 - (DEFAULT_REFUSAL_BUDGET.total - DEFAULT_REFUSAL_BUDGET.perSource - 1)],
    );
    assert.equal(counted[0]!.source, `${TENANT}|alex`);
  });

  it('cuts what a source is called before it reaches a key or the log', () => {
    const { logger, lines } = recording();
    const budget = createRefusalBudget({ clock, logger, limits: { perSource: 1 } });
    const long = 't'.repeat(100_000);
    budget.admit(long, 'p'.repeat(100_000));
    budget.admit(long, 'p'.repeat(100_000));
    assert.ok(String(lines[0]!.source).length <= 130, `logged ${String(lines[0]!.source).length} characters`);
  });
});
