// Every official example, replayed against a fresh simulator over plain HTTP: same status, same
// body shape (keys and JSON types, recursively), and — since the simulator is seeded from the
// examples — the same values for the example subscription, except where the examples contradict
// each other or the value is generated per request (listed below with the reason).
import assert from 'node:assert/strict';
import { exampleFilesOnDisk, loadContractCases, type ContractCase } from './examples';
import { startSimulator, type Simulator } from '../../sim/server';
import { wire, type WireResponse } from '../sim/http';

const T0 = Date.parse('2024-05-02T08:00:00.000Z');
const REFRESH_MS = 3000;
const EXAMPLE_ORIGIN = 'https://management.azure.com';

/** Values compared by JSON type only, per example file (paths use item names inside arrays). */
const TYPE_ONLY: Record<string, { paths: string[]; why: string }> = {
  'GetAlerts.json': {
    paths: ['value[TooManyOwnersAssignedToResource].properties.incidentCount'],
    why: 'the examples show two different incidents for TooManyOwnersAssignedToResource; the seed holds both',
  },
  'GetAlertById.json': { paths: ['properties.incidentCount'], why: 'as GetAlerts.json' },
  'GetAlertConfigurationById.json': {
    paths: ['properties.thresholdNumberOfOwners', 'properties.thresholdPercentageOfOwnersOutOfAllRoleMembers'],
    why: 'three other examples show 2 / 3 for the same configuration; the seed follows them',
  },
  'RefreshAlert.json': { paths: ['id', 'status', 'statusDetail', 'createdDateTime', 'lastActionDateTime'], why: 'generated per refresh' },
  'RefreshAllAlerts.json': { paths: ['id', 'statusDetail', 'createdDateTime', 'lastActionDateTime'], why: 'generated per refresh' },
  'GetAlertOperationById.json': { paths: ['id', 'statusDetail', 'createdDateTime', 'lastActionDateTime'], why: 'generated per refresh' },
};

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function itemKey(item: unknown): string | undefined {
  const o = item as { name?: unknown; id?: unknown } | null;
  return o && typeof o === 'object' && typeof o.id === 'string' && typeof o.name === 'string' ? o.name : undefined;
}

/**
 * Asserts `actual` has `expected`'s shape and values. Arrays of resources are matched by name (the
 * simulator may hold more items than an example shows); other arrays element by element.
 */
function assertLike(expected: unknown, actual: unknown, path: string, typeOnly: Set<string>, normalise: (s: string) => string): void {
  const where = path === '' ? '(body)' : path;
  assert.equal(jsonType(actual), jsonType(expected), `${where}: JSON type`);
  if (Array.isArray(expected)) {
    const got = actual as unknown[];
    if (expected.every((e) => itemKey(e) !== undefined)) {
      for (const e of expected) {
        const key = itemKey(e)!;
        const match = got.find((g) => itemKey(g)?.toLowerCase() === key.toLowerCase());
        assert.ok(match, `${where}: the simulator has no item named '${key}'`);
        assertLike(e, match, `${path}[${key}]`, typeOnly, normalise);
      }
    } else {
      assert.equal(got.length, expected.length, `${where}: array length`);
      expected.forEach((e, i) => assertLike(e, got[i], `${path}[${i}]`, typeOnly, normalise));
    }
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${where}: members`);
    for (const k of Object.keys(e)) assertLike(e[k], a[k], path === '' ? k : `${path}.${k}`, typeOnly, normalise);
    return;
  }
  if (typeOnly.has(path)) return;
  assert.deepEqual(typeof actual === 'string' ? normalise(actual) : actual, expected, `${where}: value`);
}

function assertOperationBody(body: Record<string, unknown>): void {
  assert.ok(!Number.isNaN(Date.parse(body['createdDateTime'] as string)), 'createdDateTime is a date');
  assert.ok(!Number.isNaN(Date.parse(body['lastActionDateTime'] as string)), 'lastActionDateTime is a date');
  const detail = JSON.parse(body['statusDetail'] as string) as { result: Array<{ name: string; statusDetail: string }> };
  assert.ok(Array.isArray(detail.result) && detail.result.length > 0, 'statusDetail carries a result list');
  for (const r of detail.result) assert.deepEqual(Object.keys(r).sort(), ['name', 'statusDetail']);
}

describe('simulator contract: every official example', () => {
  const cases = loadContractCases();
  let sim: Simulator | undefined;
  let now = T0;

  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('covers every example file on disk', () => {
    assert.deepEqual(cases.map((c) => c.file).sort(), exampleFilesOnDisk());
  });

  async function replay(c: ContractCase): Promise<WireResponse> {
    now = T0;
    sim = await startSimulator({ clock: { now: () => now }, refreshDurationMs: REFRESH_MS });
    let path = c.path;
    if (c.operationId === 'AlertOperation_Get') {
      // The example's operation id is a placeholder: start the refresh its resourceLocation names
      // (DuplicateRoleCreated) and read that operation while it runs, as the example shows.
      const resourceLocation = (c.responseBody as { resourceLocation: string }).resourceLocation;
      const alertId = new URL(resourceLocation).pathname.split('/').pop()!;
      const started = await wire(sim.url, { method: 'POST', path: `/${c.example.parameters.scope}/providers/Microsoft.Authorization/roleManagementAlerts/${alertId}/refresh`, apiVersion: c.example.parameters['api-version'] });
      assert.equal(started.status, 202);
      now += REFRESH_MS / 2;
      path = path.replace('{operationId}', started.body.id as string);
    }
    return wire(sim.url, { method: c.method, path, apiVersion: c.example.parameters['api-version'], body: c.requestBody });
  }

  for (const c of cases) {
    it(`${c.file}: ${c.method} ${c.operationId} answers ${c.status} shaped like the example`, async () => {
      const res = await replay(c);
      assert.equal(res.status, c.status, res.text);
      assert.match(String(res.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
      const origin = sim!.url;
      const normalise = (s: string) => s.split(origin).join(EXAMPLE_ORIGIN);

      if (c.responseBody === undefined) {
        assert.equal(res.text, '', 'no body');
        assert.equal(res.headers['content-type'], undefined, 'no content-type without a body');
      } else {
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assertLike(c.responseBody, res.body, '', new Set(TYPE_ONLY[c.file]?.paths ?? []), normalise);
      }

      if (c.status === 202) {
        const location = String(res.headers['location']);
        const expected = c.responseHeaders!['Location']!;
        assert.ok(location.startsWith(`${origin}/`), `Location ${location} is on the simulator's origin`);
        const examplePath = new URL(expected.replace('{operationId}', res.body.id as string)).pathname;
        assert.equal(new URL(location).pathname, examplePath);
        assert.match(String(res.headers['retry-after']), /^\d+$/);
        assertOperationBody(res.body);
        // The Location leads to the operation, under the example's own api-version too.
        const followed = await wire(origin, { path: location.replace(/api-version=[^&]+/, 'api-version=2022-04-01-preview') });
        assert.equal(followed.status, 200, followed.text);
        assert.equal(followed.body.id, res.body.id);
      }
      if (c.operationId === 'AlertOperation_Get') assertOperationBody(res.body);
    });
  }

  it('after UpdateAlertConfiguration.json the configuration list matches GetAlertConfigurations.json', async () => {
    // UpdateAlertConfiguration.json sets thresholdNumberOfOwners 2; GetAlertConfigurations.json then agrees.
    sim = await startSimulator();
    const update = cases.find((c) => c.file === 'UpdateAlertConfiguration.json')!;
    const list = cases.find((c) => c.file === 'GetAlertConfigurations.json')!;
    assert.equal((await wire(sim.url, { method: 'PATCH', path: update.path, apiVersion: '2022-08-01-preview', body: update.requestBody })).status, 204);
    const res = await wire(sim.url, { path: list.path, apiVersion: '2022-08-01-preview' });
    assertLike(list.responseBody, res.body, '', new Set(), (s) => s);
  });
});
