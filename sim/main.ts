// Standalone simulator for local runs: `npm run sim`. Configuration comes from the environment
// (see simulatorOptionsFromEnv); the bot is pointed at the printed URL.
import { startSimulator, type Simulator, type SimulatorOptions } from './server';
import { DIRECTORY_ROLE_IDS } from './seed';

function number(env: NodeJS.ProcessEnv, name: string, fallback?: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not '${raw}'.`);
  return value;
}

function share(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = number(env, name);
  if (value !== undefined && value > 1) throw new Error(`${name} is a share of requests and must be between 0 and 1, not '${env[name]}'.`);
  return value;
}

/**
 * SIM_PORT (default 4010), SIM_REQUIRE_TOKEN ('1'/'true' = any bearer token, '0'/'false'/unset =
 * none, anything else = exactly that token), SIM_REFRESH_MS, SIM_LATENCY_MS, SIM_RATE_429,
 * SIM_RATE_500, SIM_PAGE_SIZE.
 */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv): SimulatorOptions {
  const token = env['SIM_REQUIRE_TOKEN']?.trim();
  const requireToken = token === undefined || token === '' || /^(0|false|no)$/i.test(token) ? false : /^(1|true|yes)$/i.test(token) ? true : token;
  return {
    port: number(env, 'SIM_PORT', 4010),
    requireToken,
    refreshDurationMs: number(env, 'SIM_REFRESH_MS'),
    pageSize: number(env, 'SIM_PAGE_SIZE'),
    faults: { latencyMs: number(env, 'SIM_LATENCY_MS'), rate429: share(env, 'SIM_RATE_429'), rate500: share(env, 'SIM_RATE_500') },
  };
}

/** Directory role names the startup listing shows (sim/seed.ts DIRECTORY_ROLE_IDS). */
const DIRECTORY_ROLE_NAMES = new Map<string, string>([
  [DIRECTORY_ROLE_IDS.globalAdministrator, 'Global Administrator'],
  [DIRECTORY_ROLE_IDS.privilegedRoleAdministrator, 'Privileged Role Administrator'],
  [DIRECTORY_ROLE_IDS.globalReader, 'Global Reader'],
  [DIRECTORY_ROLE_IDS.securityReader, 'Security Reader'],
  [DIRECTORY_ROLE_IDS.userAdministrator, 'User Administrator'],
  [DIRECTORY_ROLE_IDS.helpdeskAdministrator, 'Helpdesk Administrator'],
]);

/** "Owner on Contoso Production, ..." for the startup listing, so a local tester knows whom to be. */
function describeAccess(sim: Simulator, principalId: string): string {
  const names = new Map(sim.scopes.map((s) => [`/${s.id}`.toLowerCase(), s.displayName]));
  const roles = sim.rbac.roleNames();
  const grants = sim.rbac
    .listAssignments('/', { atScopeOnly: false, principalId, includeGroups: true })
    .map((a) => a['properties'] as { roleDefinitionId: string; scope: string; principalId: string })
    .map((p) => {
      const role = roles.get(p.roleDefinitionId.split('/').pop()!.toLowerCase()) ?? 'a role';
      const via = p.principalId.toLowerCase() === principalId.toLowerCase() ? '' : ' via group';
      return `${role} on ${names.get(p.scope.toLowerCase()) ?? p.scope}${via}`;
    });
  const ids = sim.rbac.memberships(principalId);
  for (const a of sim.directory?.roleAssignments ?? []) {
    if (!ids.has(a.principalId.toLowerCase())) continue;
    const role = DIRECTORY_ROLE_NAMES.get(a.roleDefinitionId) ?? 'a directory role';
    const where = a.directoryScopeId === '/' ? sim.directory!.displayName : `an administrative unit of ${sim.directory!.displayName}`;
    grants.push(`${role} in ${where}${a.principalId.toLowerCase() === principalId.toLowerCase() ? '' : ' via group'}`);
  }
  return grants.length > 0 ? `: ${grants.join('; ')}` : ': no roles';
}

async function main(): Promise<void> {
  const options = simulatorOptionsFromEnv(process.env);
  const sim = await startSimulator({
    ...options,
    onRequest: (r) => console.log(`${r.method} ${r.url} -> ${r.status}${r.code ? ` ${r.code}` : ''}`),
  });
  const lines = [
    `PIM alerts simulator listening on ${sim.url}`,
    `Bearer token: ${options.requireToken === false ? 'not required' : options.requireToken === true ? 'required (any)' : 'required (the configured SIM_REQUIRE_TOKEN)'}`,
    `Graph (Entra ID directory roles): ${sim.url}/beta`,
    'Scopes:',
    ...sim.scopes.map((s) => `  ${s.id}  ${s.displayName}`),
    'Principals (Entra object ids):',
    ...sim.principals.map((p) => `  ${p.id}  ${p.displayName} (${p.type})${describeAccess(sim, p.id)}`),
    'Deny assignments (a deny outweighs any role):',
    ...sim.rbac.listDenyAssignments('/', null).map((d) => {
      const p = d['properties'] as { denyAssignmentName: string; scope: string; excludePrincipals: Array<{ id: string }> };
      const except = p.excludePrincipals.map((x) => sim.principals.find((q) => q.id.toLowerCase() === x.id.toLowerCase())?.displayName ?? x.id);
      return `  ${p.denyAssignmentName} on ${p.scope}${except.length ? `, except ${except.join(', ')}` : ''}`;
    }),
  ];
  console.log(lines.join('\n'));

  const stop = (signal: string) => {
    console.log(`Received ${signal}; stopping the simulator.`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`The simulator did not stop cleanly: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`The simulator could not start: ${(err as Error).message}`);
    process.exit(1);
  });
}
