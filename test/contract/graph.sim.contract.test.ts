// Every Graph example, replayed against a fresh simulator over plain HTTP: same status, same body
// shape (members and JSON types, recursively, `@odata.context` included), and the same values,
// except where the examples contradict each other or the value is generated per request (listed
// below with the reason). The examples come from four tenants; the simulator is one, so the other
// tenants' ids are mapped onto it, in the request and in the expected answer.
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../sim/server';
import { wire, type WireResponse } from '../sim/http';
import { graphExampleFilesOnDisk, loadGraphContractCases, TENANTS, type GraphContractCase } from './graphExamples';

const T0 = Date.parse('2024-05-02T08:00:00.000Z');
const REFRESH_MS = 3000;
const EXAMPLE_ORIGIN = 'https://graph.microsoft.com';
const SIM_TENANT = TENANTS.definitions;
const OTHER_TENANTS = [TENANTS.howTo, TENANTS.updates, TENANTS.disabled];
/** An annotation the service adds to some answers only (a tip about $select). */
const IGNORED_MEMBERS = new Set(['@microsoft.graph.tips']);

const UNION = "the examples show 2, 3, 5+ and 7 incidents for this alert (in four tenants); the seed holds their union";
/** Values compared by JSON type only, per example file; `*` in a path matches any run of characters. */
const TYPE_ONLY: Record<string, { paths: string[]; why: string }> = {
  'list-alerts-expand.response.json': { paths: ['value[*].incidentCount'], why: UNION },
  'get-alert-expand.response.json': {
    paths: ['incidentCount', 'alertIncidents[*].assigneeUserPrincipalName'],
    why: `${UNION}; this older example names the users at anujcoffice.onmicrosoft.com, the newer list example at contoso.com (the seed follows it)`,
  },
  'list-alerts-disabled-expand-all.response.json': { paths: ['value[*].lastScannedDateTime'], why: "another tenant's scan time; the seed keeps the how-to's" },
  'howto-list-alerts.response.json': {
    paths: [
      'value[*_TooManyGlobalAdminsAssignedToTenantAlert].incidentCount',
      'value[*_TooManyGlobalAdminsAssignedToTenantAlert].lastModifiedDateTime',
      'value[*_TooManyGlobalAdminsAssignedToTenantAlert].lastScannedDateTime',
      'value[*_RolesAssignedOutsidePimAlert].isActive',
      'value[*_RolesAssignedOutsidePimAlert].incidentCount',
      'value[*_RolesAssignedOutsidePimAlert].lastModifiedDateTime',
    ],
    why: `${UNION}; the same how-to later remediates an incident of RolesAssignedOutsidePimAlert, which the seed therefore holds`,
  },
  'howto-get-alert.response.json': { paths: ['incidentCount', 'lastModifiedDateTime', 'lastScannedDateTime'], why: `${UNION}, with the other examples' times` },
  'howto-get-alert-expand-all.response.json': {
    paths: [
      'incidentCount',
      'lastModifiedDateTime',
      'lastScannedDateTime',
      'alertConfiguration.globalAdminCountThreshold',
      'alertConfiguration.percentageOfGlobalAdminsOutOfRolesThreshold',
      'alertIncidents[*].assigneeUserPrincipalName',
    ],
    why: `${UNION}; its thresholds (3 / 10) are another tenant's (the others show 2 / 4), its UPNs differ in case from the how-to's list`,
  },
  'get-incident.response.json': { paths: ['assigneeUserPrincipalName'], why: 'the list example names the same incident at contoso.onmicrosoft.com; the seed follows it' },
  'get-operation-running.response.json': { paths: ['createdDateTime', 'lastActionDateTime'], why: 'generated per refresh' },
  'get-operation-succeeded.response.json': { paths: ['createdDateTime', 'lastActionDateTime'], why: 'generated per refresh' },
};

/**
 * Refresh Locations whose operation id the simulator generates rather than copies: the refresh page
 * shows GUID-like ids (one with a 'g'), the how-to an alert's `refresh:` id even for a refresh of
 * all alerts (a copy-paste). The simulator names one alert's operation `refresh:{alertId}` and a
 * refresh of all alerts with a GUID.
 */
const GENERATED_OPERATION_ID = new Set(['refresh-all-alerts.response-headers.json', 'refresh-alert.response-headers.json', 'howto-refresh-all-alerts.response-headers.json']);

const toSimTenant = (s: string): string => OTHER_TENANTS.reduce((acc, t) => acc.split(t).join(SIM_TENANT), s);

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function idOf(item: unknown): string | undefined {
  const o = item as { id?: unknown } | null;
  return o && typeof o === 'object' && typeof o.id === 'string' ? o.id : undefined;
}

function matcher(patterns: string[]): (path: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (path) => res.some((r) => r.test(path));
}

/** Asserts `actual` has `expected`'s shape and values. Arrays of objects with ids match by id (the simulator may hold more). */
function assertLike(expected: unknown, actual: unknown, path: string, typeOnly: (p: string) => boolean, normalise: (s: string) => string): void {
  const where = path === '' ? '(body)' : path;
  assert.equal(jsonType(actual), jsonType(expected), `${where}: JSON type`);
  if (Array.isArray(expected)) {
    const got = actual as unknown[];
    if (expected.length > 0 && expected.every((e) => idOf(e) !== undefined)) {
      for (const e of expected) {
        const id = idOf(e)!;
        const match = got.find((g) => idOf(g)?.toLowerCase() === id.toLowerCase());
        assert.ok(match, `${where}: the simulator has no item '${id}'`);
        assertLike(e, match, `${path}[${id}]`, typeOnly, normalise);
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
    const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => !IGNORED_MEMBERS.has(k)).sort();
    assert.deepEqual(keys(a), keys(e), `${where}: members`);
    for (const k of keys(e)) assertLike(e[k], a[k], path === '' ? k : `${path}.${k}`, typeOnly, normalise);
    return;
  }
  if (typeOnly(path)) return;
  assert.deepEqual(typeof actual === 'string' ? normalise(actual) : actual, expected, `${where}: value`);
}

function query(c: GraphContractCase): string {
  const qs = Object.entries(c.query ?? {})
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return qs ? `?${qs}` : '';
}

describe('simulator contract: every Graph example', () => {
  const cases = loadGraphContractCases();
  let sim: Simulator | undefined;
  let now = T0;

  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('covers every example file on disk', () => {
    assert.deepEqual([...new Set(cases.flatMap((c) => c.files))].sort(), graphExampleFilesOnDisk());
  });

  async function replay(c: GraphContractCase): Promise<WireResponse> {
    now = T0;
    sim = await startSimulator({ clock: { now: () => now }, refreshDurationMs: REFRESH_MS });
    if (c.afterRefreshOf) {
      const started = await wire(sim.url, { method: 'POST', path: `/beta/identityGovernance/roleManagementAlerts/alerts/${c.afterRefreshOf.alert}/refresh` });
      assert.equal(started.status, 202, started.text);
      now += c.afterRefreshOf.waitMs;
    }
    return wire(sim.url, { method: c.method, path: `/beta/${toSimTenant(c.path)}${query(c)}`, body: c.requestBody, headers: c.headers });
  }

  for (const c of cases) {
    const responseFile = c.files[c.files.length - 1]!;
    it(`${c.title} (${c.files.join(', ')}): ${c.method} answers ${c.status} shaped like the example`, async () => {
      const res = await replay(c);
      assert.equal(res.status, c.status, res.text);
      assert.match(String(res.headers['request-id']), /^[0-9a-f-]{36}$/, "Graph's request-id header");
      const origin = sim!.url;
      const normalise = (s: string) => s.split(origin).join(EXAMPLE_ORIGIN);

      if (c.responseBody === undefined) {
        assert.equal(res.text, '', 'no body');
      } else {
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assertLike(mapStrings(c.responseBody, toSimTenant), res.body, '', matcher(TYPE_ONLY[responseFile]?.paths ?? []), normalise);
      }

      if (c.status === 202) {
        const location = String(res.headers['location']);
        assert.ok(location.startsWith(`${origin}/beta/identityGovernance/roleManagementAlerts/operations/`), `Location ${location} names an operation on the simulator's origin`);
        if (!GENERATED_OPERATION_ID.has(responseFile)) {
          assert.equal(normalise(location), toSimTenant(c.responseHeaders!.Location!));
        }
        // The Location leads to the operation.
        const followed = await wire(origin, { path: location });
        assert.equal(followed.status, 200, followed.text);
        assert.equal(followed.body.id, decodeURIComponent(location.split('/').pop()!));
        assert.match(followed.body.status, /^(notStarted|running|succeeded|failed)$/);
      }
    });
  }

  it('after the update example the configuration reads back as sent, isEnabled as a Boolean', async () => {
    sim = await startSimulator();
    const update = cases.find((c) => c.files.includes('update-configuration.request.json'))!;
    assert.equal((await wire(sim.url, { method: 'PATCH', path: `/beta/${update.path}`, body: update.requestBody })).status, 204);
    const res = await wire(sim.url, { path: `/beta/${update.path}` });
    assert.equal(res.body.isEnabled, true);
    assert.equal(res.body.globalAdminCountThreshold, 7);
    assert.equal(res.body.percentageOfGlobalAdminsOutOfRolesThreshold, 70);
  });
});
