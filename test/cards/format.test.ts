import assert from 'node:assert/strict';
import { formatDateTime, formatRelative, formatWhen, humaniseKey, oneSentence, severityRank, truncate } from '../../cards/format';
import { largestFitting, pageStarts } from '../../cards/size';

describe('cards: formatting and size helpers', () => {
  const now = new Date('2022-04-08T09:30:00Z');

  it('formats times in the given time zone, UTC by default and for unknown zones', () => {
    const iso = '2022-04-06T18:25:00.38+00:00';
    assert.equal(formatDateTime(iso), '6 Apr 2022, 18:25 UTC');
    assert.equal(formatDateTime(iso, { timeZone: 'Europe/Berlin' }), '6 Apr 2022, 20:25 Europe/Berlin');
    assert.equal(formatDateTime(iso, { timeZone: 'America/New_York' }), '6 Apr 2022, 14:25 America/New_York');
    assert.equal(formatDateTime('2022-01-06T18:25:00Z', { timeZone: 'Europe/Berlin' }), '6 Jan 2022, 19:25 Europe/Berlin');
    assert.equal(formatDateTime(iso, { timeZone: 'Mars/Olympus' }), '6 Apr 2022, 18:25 UTC');
    assert.equal(formatDateTime('2022-04-06T23:30:00Z', { timeZone: 'Asia/Tokyo' }), '7 Apr 2022, 08:30 Asia/Tokyo');
    assert.equal(formatDateTime(undefined), 'unknown');
    assert.equal(formatDateTime('not a date'), 'unknown');
  });

  it('says how long ago, in the units a person would use', () => {
    assert.equal(formatRelative('2022-04-08T09:29:40Z', now), 'just now');
    assert.equal(formatRelative('2022-04-08T09:25:00Z', now), '5 min ago');
    assert.equal(formatRelative('2022-04-06T18:25:00Z', now), '39 h ago');
    assert.equal(formatRelative('2022-04-01T08:00:00Z', now), '7 days ago');
    assert.equal(formatRelative('2022-04-08T13:30:00Z', now), 'in 4 h');
    assert.equal(formatWhen('2022-04-08T09:25:00Z', { now }), '8 Apr 2022, 09:25 UTC (5 min ago)');
  });

  it('orders severities High, Medium, Low, then anything else, ignoring case', () => {
    assert.deepEqual(['low', 'Critical', 'HIGH', 'Medium', undefined].map(severityRank), [2, 3, 0, 1, 3]);
  });

  it('truncates with an ellipsis, never splitting a surrogate pair', () => {
    assert.equal(truncate('abcdef', 6), 'abcdef');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('ab😀cd', 4), 'ab…');
    assert.equal(oneSentence('First thing failed. Then more detail.'), 'First thing failed.');
    assert.equal(oneSentence('No full stop here'), 'No full stop here');
  });

  it('ends the first sentence at a real sentence end, not at an abbreviation or inside code', () => {
    assert.equal(oneSentence('Add the scope, e.g. `refresh all 1`; type `scopes` to see them.'), 'Add the scope, e.g. `refresh all 1`; type `scopes` to see them.');
    assert.equal(oneSentence('Use an IANA name, i.e. Europe/Berlin. Offsets are refused.'), 'Use an IANA name, i.e. Europe/Berlin.');
    assert.equal(oneSentence('Type `a. B` here. Then more.'), 'Type `a. B` here.');
    assert.equal(oneSentence('Version 1.5 is out. Next.'), 'Version 1.5 is out.');
    assert.equal(oneSentence('Ask J. Smith to grant it. Then retry.'), 'Ask J. Smith to grant it.');
    assert.equal(oneSentence('Did you mean "alerts"? Type help.'), 'Did you mean "alerts"?');
    assert.equal(oneSentence('It stopped after 30 min. Type refresh to retry.'), 'It stopped after 30 min.');
    assert.equal(oneSentence('The role is not allowed here. a lower-case tail is part of it.'), 'The role is not allowed here. a lower-case tail is part of it.');
  });

  it('names unknown properties readably', () => {
    assert.equal(humaniseKey('thresholdNumberOfOwners'), 'Threshold number of owners');
    assert.equal(humaniseKey('assigneeUPN'), 'Assignee UPN');
    assert.equal(humaniseKey('last_sign_in'), 'Last sign in');
  });

  it('largestFitting finds the exact boundary, with or without a guess', () => {
    for (const limit of [0, 1, 2, 7, 50, 99, 100]) {
      for (const guess of [undefined, 1, 10, 60, 100]) {
        const calls: number[] = [];
        const got = largestFitting(1, 100, (n) => (calls.push(n), n <= limit), guess);
        assert.equal(got, limit === 0 ? 0 : limit, `limit ${limit} guess ${guess}`);
        assert.ok(calls.every((n) => n <= Math.max(2 * Math.max(limit, 1) + 1, guess ?? 0)), `no probe far beyond the boundary: ${calls}`);
      }
    }
  });

  it('pageStarts splits rows into maximal pages and always makes progress', () => {
    // Each row costs its index + 1; a page holds rows whose cost adds up to at most 10.
    const cost = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i + 1).reduce((a, b) => a + b, 0);
    assert.deepEqual(pageStarts(8, (s, c) => cost(s, c) <= 10), [0, 4, 5, 6, 7]);
    assert.deepEqual(pageStarts(6, (s, c) => cost(s, c) <= 12), [0, 4]);
    assert.deepEqual(pageStarts(3, () => false), [0, 1, 2]);
    assert.deepEqual(pageStarts(0, () => true), [0]);
  });
});
