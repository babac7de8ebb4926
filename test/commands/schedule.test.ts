import assert from 'node:assert/strict';
import {
  DEFAULT_SCHEDULE,
  nextRun,
  nextRuns,
  parseSchedule,
  resolveTimeZone,
  validateCron,
  type ScheduleResult,
  type ScheduleSpec,
} from '../../bot/commands/schedule';

function spec(text: string): ScheduleSpec {
  const r = parseSchedule(text);
  if (!r.ok) assert.fail(`"${text}" was refused: ${r.error.message}`);
  return r.spec;
}

function refused(r: ScheduleResult) {
  if (r.ok) assert.fail(`expected a refusal, got ${JSON.stringify(r.spec)}`);
  return r.error;
}

/** Local wall-clock time of an instant in a zone, as "YYYY-MM-DD HH:MM". */
function local(d: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('parseSchedule', () => {
  it('reads the named schedules into cron and a label', () => {
    assert.deepEqual(spec('hourly'), { kind: 'hourly', cron: '0 * * * *', label: 'hourly' });
    assert.deepEqual(spec('Daily 07:45'), { kind: 'daily', cron: '45 7 * * *', label: 'daily at 07:45' });
    assert.deepEqual(spec('weekdays 8:30'), { kind: 'weekdays', cron: '30 8 * * 1-5', label: 'weekdays at 08:30' });
    assert.deepEqual(spec('weekly MON 09:00'), { kind: 'weekly', cron: '0 9 * * 1', label: 'weekly on Monday at 09:00' });
    assert.deepEqual(spec('weekly sunday 23:59'), { kind: 'weekly', cron: '59 23 * * 0', label: 'weekly on Sunday at 23:59' });
  });

  it('accepts every day name, short and long, in any case', () => {
    const days = [
      ['sun', 'Sunday'],
      ['monday', 'Monday'],
      ['Tue', 'Tuesday'],
      ['WEDNESDAY', 'Wednesday'],
      ['thu', 'Thursday'],
      ['Friday', 'Friday'],
      ['sat', 'Saturday'],
    ] as const;
    days.forEach(([typed, label], cronDay) => {
      const s = spec(`weekly ${typed} 10:00`);
      assert.equal(s.cron, `0 10 * * ${cronDay}`);
      assert.equal(s.label, `weekly on ${label} at 10:00`);
    });
    const e = refused(parseSchedule('weekly someday 10:00'));
    assert.equal(e.code, 'BadSchedule');
    assert.match(e.message, /"weekly" needs a day of the week \(got "someday"\)/);
  });

  it('uses 09:00 when no time is given, and daily 09:00 when nothing is given', () => {
    assert.equal(spec('daily').cron, '0 9 * * *');
    assert.equal(spec('weekly fri').label, 'weekly on Friday at 09:00');
    assert.deepEqual(spec(''), DEFAULT_SCHEDULE);
    assert.deepEqual(DEFAULT_SCHEDULE, { kind: 'daily', cron: '0 9 * * *', label: 'daily at 09:00' });
  });

  it('refuses times that are not HH:MM on a 24-hour clock', () => {
    for (const bad of ['24:00', '09:60', '9.30', '12:5', '123:00', '9h30']) {
      const e = refused(parseSchedule(`daily ${bad}`));
      assert.equal(e.code, 'BadSchedule', bad);
      assert.match(e.message, /HH:MM on a 24-hour clock/, bad);
    }
    assert.match(refused(parseSchedule('daily 09:00 extra')).message, /did not understand "extra"/);
  });

  it('reads five-field cron expressions and normalises their spacing', () => {
    assert.deepEqual(spec('0 */2 * * *'), { kind: 'cron', cron: '0 */2 * * *', label: 'custom schedule 0 */2 * * *' });
    assert.equal(spec('cron   30  6 1 * *').cron, '30 6 1 * *');
    assert.equal(spec('0 9 1 1 1').kind, 'cron');
  });

  it('refuses cron that is malformed, has seconds, or never runs', () => {
    const four = validateCron('* * * *');
    assert.ok(!four.ok);
    assert.match(four.error.message, /has 4 fields: write five/);
    const six = validateCron('0 0 9 * * *');
    assert.ok(!six.ok);
    assert.match(six.error.message, /has 6 fields/);
    assert.match(refused(parseSchedule('0 0 9 * * *')).message, /did not understand "\*"/);
    assert.match(refused(parseSchedule('61 * * * *')).message, /not valid/);
    assert.match(refused(parseSchedule('0 9 ? * *')).message, /not valid/);
    assert.match(refused(parseSchedule('0 0 31 2 *')).message, /never runs/);
    assert.match(refused(parseSchedule('cron')).message, /needs five fields/);
  });
});

describe('validateCron: at most every 15 minutes', () => {
  it('refuses */5, a range of minutes, and a pair of minutes close together', () => {
    for (const [cron, gap] of [
      ['*/5 * * * *', '5 minutes'],
      ['0-10 * * * *', '1 minute'],
      ['0,10 9 * * *', '10 minutes'],
      ['* * * * *', '1 minute'],
    ] as const) {
      const r = validateCron(cron);
      assert.ok(!r.ok, cron);
      assert.equal(r.error.code, 'TooFrequent');
      assert.match(r.error.message, new RegExp(`every ${gap}:`), cron);
    }
  });

  it('refuses a gap that only appears across an hour boundary', () => {
    // 09:50 then 10:00: each hour alone looks fine.
    const r = validateCron('50 9 * * *');
    assert.ok(r.ok);
    const wrap = validateCron('0,50 9,10 * * *');
    assert.ok(!wrap.ok);
    assert.match(wrap.error.message, /every 10 minutes/);
  });

  it('accepts every 15 minutes and anything slower', () => {
    for (const cron of ['*/15 * * * *', '0,15,30,45 * * * *', '0 * * * *', '0 9 * * 1-5', '0 0 1 1 *']) {
      assert.equal(validateCron(cron).ok, true, cron);
    }
  });
});

describe('resolveTimeZone', () => {
  it('accepts IANA zones in any case and returns their canonical spelling', () => {
    assert.deepEqual(resolveTimeZone('europe/berlin'), { ok: true, timeZone: 'Europe/Berlin' });
    assert.deepEqual(resolveTimeZone('America/New_York'), { ok: true, timeZone: 'America/New_York' });
    assert.deepEqual(resolveTimeZone('utc'), { ok: true, timeZone: 'UTC' });
  });

  it('refuses unknown zones and fixed offsets with a clear message', () => {
    for (const bad of ['Mars/Olympus_Mons', 'Berlin', '+01:00', '', 'Europe/Berlin; DROP']) {
      const r = resolveTimeZone(bad);
      assert.ok(!r.ok, bad);
      assert.equal(r.error.code, 'BadTimeZone');
      assert.match(r.error.message, /use an IANA name such as Europe\/Berlin/);
    }
  });
});

describe('nextRuns', () => {
  it('runs after the given instant, in UTC when no zone is given', () => {
    const from = new Date('2025-06-02T09:00:00Z');
    assert.deepEqual(iso(nextRuns(spec('daily 09:00'), undefined, from, 2)), ['2025-06-03T09:00:00.000Z', '2025-06-04T09:00:00.000Z']);
    assert.deepEqual(nextRuns(spec('hourly'), 'UTC', from, 0), []);
  });

  it('keeps daily 09:00 at 09:00 local across the spring DST change in Europe/Berlin', () => {
    // 2025-03-30 is the last Sunday of March: clocks go from 02:00 CET to 03:00 CEST.
    const runs = nextRuns(spec('daily 09:00'), 'Europe/Berlin', new Date('2025-03-28T12:00:00Z'), 3);
    assert.deepEqual(iso(runs), ['2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z']);
    assert.deepEqual(
      runs.map((d) => local(d, 'Europe/Berlin')),
      ['2025-03-29 09:00', '2025-03-30 09:00', '2025-03-31 09:00'],
    );
  });

  it('runs a daily 02:30 digest at 03:30 local on the spring-forward day, when 02:30 does not exist', () => {
    const runs = nextRuns(spec('daily 02:30'), 'Europe/Berlin', new Date('2025-03-28T12:00:00Z'), 3);
    // croner moves the missing local time one hour later rather than skipping the day.
    assert.deepEqual(iso(runs), ['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
    assert.deepEqual(
      runs.map((d) => local(d, 'Europe/Berlin')),
      ['2025-03-29 02:30', '2025-03-30 03:30', '2025-03-31 02:30'],
    );
  });

  it('runs a daily 02:30 digest once on the autumn day when 02:30 happens twice', () => {
    const runs = nextRuns(spec('daily 02:30'), 'Europe/Berlin', new Date('2025-10-25T12:00:00Z'), 2);
    // The second 02:30 (CET, UTC+1) is used; the first (CEST, 00:30Z) is not a run.
    assert.deepEqual(iso(runs), ['2025-10-26T01:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  it('follows weekly schedules in the zone and accepts a cron string', () => {
    const runs = nextRuns(spec('weekly monday 08:00'), 'America/New_York', new Date('2025-03-01T00:00:00Z'), 2);
    // Monday 3 March is EST (UTC-5), Monday 10 March is EDT (UTC-4).
    assert.deepEqual(iso(runs), ['2025-03-03T13:00:00.000Z', '2025-03-10T12:00:00.000Z']);
    // 09:00 in Tokyo is 00:00 UTC; a run exactly at `from` is not repeated.
    assert.equal(nextRun('0 9 * * *', 'Asia/Tokyo', new Date('2025-01-01T00:00:00Z'))?.toISOString(), '2025-01-02T00:00:00.000Z');
  });
});
