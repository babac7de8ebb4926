// infra/azuredeploy.json, checked offline: it parses, every reference resolves, it deploys (in the
// model of test/infra/arm.ts) with the example parameters, its app settings are exactly what the
// bot reads and its config loader accepts, and the pieces are wired to each other.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../bot/config';
import { normalizeScope } from '../../bot/azure/validate';
import type { TeamsEdgeAdapter } from '../../bot/edge/adapter';
import { createHttpServer } from '../../bot/edge/server';
import { createLogger } from '../../bot/log';
import { resolveSettings } from '../../manifest/package';
import { deploy, parseValue, resolveVariables, SCHEMAS, strings, unresolvedReferences, type Deployment, type Template } from './arm';
import { API_VERSIONS, BUILT_IN_ROLES, EXTERNAL_TYPES } from './azureFacts';
import {
  ACTION_SECRET,
  appSettings,
  CLIENT_ID,
  CONNECTION_STRING,
  context,
  deployBot,
  EXAMPLE_FILE,
  exampleParameters,
  hostNameOf,
  PRINCIPAL_ID,
  readJson,
  resolveKeyVaultReferences,
  ROOT,
  SUBSCRIPTION_ID,
  TEMPLATE_FILE,
  TENANT_ID,
} from './deployment';
import { botEnvVariables } from './envVars';

/**
 * Settings a deployment must set even where the config loader has a default, and why. (What the
 * loader itself requires is proven by running it on the template's settings below.)
 */
const REQUIRED_IN_AZURE: Record<string, string> = {
  PIM_SCOPES: 'without it the bot starts the local simulator instead of watching Azure',
  MicrosoftAppId: 'without it the bot authenticates no caller',
  MicrosoftAppType: 'the default (MultiTenant) would ask for a password; the identity is UserAssignedMSI',
  MicrosoftAppTenantId: 'required for UserAssignedMSI, and the default for PIM_ALLOWED_TENANTS',
  PIM_CREDENTIAL: 'names the managed identity as the ARM credential explicitly',
  AZURE_CLIENT_ID: 'without it ManagedIdentityCredential asks for a system-assigned identity the site does not have',
  PIM_ACTION_SECRET: 'every instance must sign and check card buttons with the same key',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'telemetry goes nowhere without it',
  PIM_STORE: 'instances share state only through Table Storage',
  PIM_TABLE_URL: 'the Table Storage account the identity may write',
};

const template = readJson<Template>(TEMPLATE_FILE);
const settingsOf = (d: Deployment) => Object.fromEntries(appSettings(d).map((s) => [s.name, s.value]));
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function configFrom(env: Record<string, string>) {
  return loadConfig(env, { normalizeScope, cwd: ROOT });
}

describe('infra/azuredeploy.json', () => {
  const d = deployBot();
  const settings = settingsOf(d);
  const identity = d.find('Microsoft.ManagedIdentity/userAssignedIdentities');
  const site = d.find('Microsoft.Web/sites');
  const siteProps = site.body.properties as Record<string, unknown> & { siteConfig: Record<string, unknown> };

  it('is a resource-group deployment template', () => {
    assert.equal(template.$schema, SCHEMAS.resourceGroup);
    assert.equal(template.contentVersion, '1.0.0.0');
    assert.ok(Array.isArray(template.resources) && template.resources.length > 0);
  });

  it('every parameters(), variables(), resourceId() and reference() resolves, and nothing declared is unused', () => {
    assert.deepEqual(unresolvedReferences(template, EXTERNAL_TYPES), []);
  });

  it('deploys every resource the bot needs, once', () => {
    const types = d.resources.map((r) => r.type).sort();
    assert.deepEqual(types, [
      'Microsoft.Authorization/roleAssignments',
      'Microsoft.Authorization/roleAssignments',
      'Microsoft.BotService/botServices',
      'Microsoft.BotService/botServices/channels',
      'Microsoft.Insights/components',
      'Microsoft.KeyVault/vaults',
      'Microsoft.KeyVault/vaults/secrets',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Web/serverfarms',
      'Microsoft.Web/sites',
      'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
      'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
    ]);
  });

  it('every resource depends on each resource it names, and on its parent', () => {
    const ids = new Map(d.resources.map((r) => [r.id.toLowerCase(), r]));
    const closure = (r: (typeof d.resources)[number], seen = new Set<string>()): Set<string> => {
      for (const dep of r.dependsOn) {
        assert.ok(ids.has(dep), `${r.type} ${r.name} depends on ${dep}, which the template does not deploy`);
        if (!seen.has(dep)) {
          seen.add(dep);
          closure(ids.get(dep)!, seen);
        }
      }
      return seen;
    };
    for (const r of d.resources) {
      const needs = new Set([...r.refs].filter((id) => ids.has(id) && id !== r.id.toLowerCase()));
      const segments = r.name.split('/');
      if (segments.length > 1) {
        const parent = r.id.slice(0, r.id.lastIndexOf('/', r.id.lastIndexOf('/') - 1)).toLowerCase();
        needs.add(parent);
      }
      const deps = closure(r);
      for (const need of needs) assert.ok(deps.has(need), `${r.type} ${r.name} uses ${need} but does not depend on it`);
    }
  });

  it('uses the API version from the checked-in list (azureFacts.ts) for every resource and every reference()', () => {
    for (const r of d.resources) {
      const expected = API_VERSIONS[r.type];
      assert.ok(expected, `${r.type} has no API version in test/infra/azureFacts.ts; look one up and add it with its source`);
      assert.equal(r.apiVersion, expected.value, `${r.type}`);
    }
    for (const call of d.referenceCalls) {
      const target = d.resources.find((r) => r.id === call.id)!;
      assert.equal(call.apiVersion, target.apiVersion, `reference(${target.type}) must pass the version the resource is deployed with`);
    }
    for (const [type, v] of Object.entries(API_VERSIONS)) {
      assert.doesNotMatch(v.value, /preview/i, `${type} must use a stable version`);
      assert.ok(v.source.length > 20, `${type} needs a source`);
    }
  });

  it('the web app: Linux, Node.js 24 LTS, HTTPS only, TLS 1.2, no FTP or basic publishing, always on, health check on /healthz', () => {
    assert.equal(site.body.kind, 'app,linux');
    assert.equal(siteProps.httpsOnly, true);
    const cfg = siteProps.siteConfig;
    assert.equal(cfg.linuxFxVersion, 'NODE|24-lts');
    assert.equal(cfg.minTlsVersion, '1.2');
    assert.equal(cfg.scmMinTlsVersion, '1.2');
    assert.equal(cfg.ftpsState, 'Disabled');
    assert.equal(cfg.alwaysOn, true);
    assert.equal(cfg.healthCheckPath, '/healthz');
    const policies = d.findAll('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    assert.deepEqual(policies.map((p) => p.name).sort(), [`${site.name}/ftp`, `${site.name}/scm`]);
    for (const p of policies) assert.deepEqual(p.body.properties, { allow: false });
    const plan = d.find('Microsoft.Web/serverfarms');
    assert.equal(siteProps.serverFarmId, plan.id);
    assert.equal((plan.body.properties as { reserved: boolean }).reserved, true, 'a Linux plan');
    // Always On is not available on the Free and Shared tiers.
    const skus = template.parameters!.appServicePlanSku!.allowedValues as string[];
    assert.ok(skus.length > 0 && skus.every((s) => !/^(F|D)\d/.test(s)), `no Free/Shared tier among ${skus.join(', ')}`);
  });

  it('the bot answers 200 on the health check path the web app probes', async () => {
    // The HTTP edge alone: a health probe reaches neither the adapter nor the bot logic.
    const server = createHttpServer({
      adapter: {} as TeamsEdgeAdapter,
      logic: async () => assert.fail('a health probe must not run a turn'),
      logger: createLogger({ level: 'silent' }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address();
      const res = await fetch(`http://127.0.0.1:${port}${siteProps.siteConfig.healthCheckPath as string}`);
      assert.equal(res.status, 200);
    } finally {
      server.close();
    }
  });

  it('starts the production build: node on the compiled bot/main.ts (and npm run start:prod, when it exists, runs the same)', () => {
    const tsconfig = readJson<{ compilerOptions: { outDir: string; rootDir: string } }>('tsconfig.json');
    assert.equal(tsconfig.compilerOptions.rootDir, '.');
    const entry = `${tsconfig.compilerOptions.outDir}/bot/main.js`;
    assert.equal(siteProps.siteConfig.appCommandLine, `node ${entry}`);
    const scripts = readJson<{ scripts: Record<string, string> }>('package.json').scripts;
    if (scripts['start:prod'] !== undefined) assert.equal(scripts['start:prod'], `node ${entry}`);
  });

  it('the storage account: shared keys off, TLS 1.2, HTTPS only, no public blob access', () => {
    const st = d.find('Microsoft.Storage/storageAccounts').body.properties as Record<string, unknown>;
    assert.equal(st.allowSharedKeyAccess, false);
    assert.equal(st.minimumTlsVersion, 'TLS1_2');
    assert.equal(st.supportsHttpsTrafficOnly, true);
    assert.equal(st.allowBlobPublicAccess, false);
    assert.equal(st.defaultToOAuthAuthentication, true);
  });

  it('the Key Vault authorises with Azure RBAC and holds the signing secret from the secure parameter', () => {
    const kv = d.find('Microsoft.KeyVault/vaults');
    const props = kv.body.properties as Record<string, unknown>;
    assert.equal(props.enableRbacAuthorization, true);
    assert.equal(props.tenantId, TENANT_ID);
    const secret = d.find('Microsoft.KeyVault/vaults/secrets');
    assert.equal(secret.name, `${kv.name}/PIM-ACTION-SECRET`);
    assert.equal((secret.body.properties as { value: string }).value, ACTION_SECRET);
  });

  it('no secret parameter has a default, and a secret appears nowhere but in its Key Vault secret', () => {
    const secure = Object.entries(template.parameters!).filter(([, p]) => /^secure/i.test(p.type));
    assert.deepEqual(secure.map(([n]) => n), ['actionSecret']);
    for (const [name, p] of secure) assert.ok(!('defaultValue' in p), `${name} must have no default value`);
    const leaks = d.resources
      .filter((r) => r.type !== 'Microsoft.KeyVault/vaults/secrets')
      .flatMap((r) => strings(r.body).filter((s) => s.value.includes(ACTION_SECRET)).map((s) => `${r.type} ${s.path}`));
    assert.deepEqual(leaks, []);
    assert.ok(!JSON.stringify(d.outputs).includes(ACTION_SECRET), 'no output carries the secret');
    assert.match(settings.PIM_ACTION_SECRET!, /^@Microsoft\.KeyVault\(/);
  });

  it('role assignments are named with guid(), carry principalType ServicePrincipal and give the identity exactly its two data roles', () => {
    const assignments = d.findAll('Microsoft.Authorization/roleAssignments');
    for (const ra of assignments) {
      const nameExpr = parseValue(resolveVariables(template, ra.source.name));
      assert.ok(nameExpr?.kind === 'call' && nameExpr.name.toLowerCase() === 'guid', `${ra.source.name} must be a guid()`);
      assert.match(ra.name, GUID);
      const p = ra.body.properties as { principalType: string; principalId: string; roleDefinitionId: string };
      assert.equal(p.principalType, 'ServicePrincipal');
      assert.equal(p.principalId, PRINCIPAL_ID);
    }
    const grants = assignments.map((ra) => {
      const roleId = (ra.body.properties as { roleDefinitionId: string }).roleDefinitionId;
      const role = Object.entries(BUILT_IN_ROLES).find(([, r]) => roleId === `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${r.value}`)?.[0];
      const scope = ra.id.slice(0, ra.id.indexOf('/providers/Microsoft.Authorization/'));
      return `${role} on ${d.resources.find((r) => r.id === scope)?.type}`;
    });
    assert.deepEqual(grants.sort(), ['Key Vault Secrets User on Microsoft.KeyVault/vaults', 'Storage Table Data Contributor on Microsoft.Storage/storageAccounts']);
    assert.equal(new Set(assignments.map((a) => a.name)).size, assignments.length);
  });

  it('redeploying names the role assignments the same (idempotent); another resource group gets its own', () => {
    const again = deployBot();
    const names = (x: Deployment) => x.findAll('Microsoft.Authorization/roleAssignments').map((r) => r.id).sort();
    assert.deepEqual(names(again), names(d));
    const elsewhere = deployBot({}, context({ resourceGroup: { name: 'rg-other', location: 'westeurope' } }));
    const otherNames = elsewhere.findAll('Microsoft.Authorization/roleAssignments').map((r) => r.name);
    for (const n of otherNames) assert.ok(!d.findAll('Microsoft.Authorization/roleAssignments').some((r) => r.name === n));
  });

  it('wires the bot: endpoint = the web app host + /api/messages; app id = the identity client id = AZURE_CLIENT_ID = MicrosoftAppId', () => {
    const bot = d.find('Microsoft.BotService/botServices');
    const props = bot.body.properties as Record<string, string>;
    assert.equal(props.endpoint, `https://${hostNameOf(site.name)}/api/messages`);
    assert.equal(props.msaAppType, 'UserAssignedMSI');
    assert.equal(props.msaAppId, CLIENT_ID);
    assert.equal(props.msaAppMSIResourceId, identity.id);
    assert.equal(props.msaAppTenantId, TENANT_ID);
    assert.equal(bot.body.location, 'global');
    assert.equal(settings.AZURE_CLIENT_ID, CLIENT_ID);
    assert.equal(settings.MicrosoftAppId, CLIENT_ID);
    assert.equal(settings.MicrosoftAppType, props.msaAppType);
    assert.equal(settings.MicrosoftAppTenantId, props.msaAppTenantId);
    assert.equal(settings.PIM_CREDENTIAL, 'managedIdentity');
    // The identity whose client id is used is the one attached to the site (and the only one).
    const attached = (site.body.identity as { type: string; userAssignedIdentities: Record<string, unknown> });
    assert.equal(attached.type, 'UserAssigned');
    assert.deepEqual(Object.keys(attached.userAssignedIdentities), [identity.id]);
    assert.equal(siteProps.keyVaultReferenceIdentity, identity.id);
    assert.equal(d.runtimeOf(identity.id).clientId, CLIENT_ID);
    // The app starts as soon as the site exists: its secret and its data roles must exist by then.
    const needed = [d.find('Microsoft.KeyVault/vaults/secrets'), ...d.findAll('Microsoft.Authorization/roleAssignments')].map((r) => r.id.toLowerCase());
    for (const id of needed) assert.ok(site.dependsOn.includes(id), `the web app must depend on ${id}`);

    const teams = d.find('Microsoft.BotService/botServices/channels');
    assert.equal(teams.name, `${bot.name}/MsTeamsChannel`);
    assert.deepEqual(teams.body.properties, { channelName: 'MsTeamsChannel', properties: { isEnabled: true, enableCalling: false } });
  });

  it('wires storage, Key Vault and Application Insights to what the app settings name', () => {
    const storage = d.find('Microsoft.Storage/storageAccounts');
    assert.equal(settings.PIM_TABLE_URL, `https://${storage.name}.table.core.windows.net`);
    assert.equal(settings.PIM_STORE, 'table');
    assert.equal(settings.APPLICATIONINSIGHTS_CONNECTION_STRING, CONNECTION_STRING);
    const appi = d.find('Microsoft.Insights/components');
    const workspace = d.find('Microsoft.OperationalInsights/workspaces');
    assert.equal((appi.body.properties as { WorkspaceResourceId: string }).WorkspaceResourceId, workspace.id);
    // The Key Vault reference resolves to this template's secret, readable by the site's identity.
    assert.equal(resolveKeyVaultReferences(d, BUILT_IN_ROLES['Key Vault Secrets User']!.value).PIM_ACTION_SECRET, ACTION_SECRET);
    assert.equal(settings.ARM_ENDPOINT, 'https://management.azure.com/');
  });

  it('outputs what the runbook needs: the app id, principal id and host name', () => {
    assert.equal(d.outputs.botAppId, CLIENT_ID);
    assert.equal(d.outputs.botPrincipalId, PRINCIPAL_ID);
    assert.equal(d.outputs.webAppHostName, hostNameOf(site.name));
    assert.equal(d.outputs.messagingEndpoint, (d.find('Microsoft.BotService/botServices').body.properties as { endpoint: string }).endpoint);
    assert.equal(d.outputs.webAppName, site.name);
    assert.equal(d.outputs.tenantId, TENANT_ID);
    for (const [name, value] of Object.entries(d.outputs)) assert.ok(typeof value === 'string' && value.length > 0, `output ${name}`);
  });

  it('the Teams app package accepts the deployed bot id and host (npm run package)', () => {
    const { errors } = resolveSettings({ MicrosoftAppId: String(d.outputs.botAppId), BOT_DOMAIN: String(d.outputs.webAppHostName) }, { appVersion: '1.0.0' });
    assert.deepEqual(errors, []);
  });

  it('derives names Azure accepts, even from the longest name prefix', () => {
    for (const prefix of ['pim', 'abcdefghi']) {
      const x = deployBot({ namePrefix: prefix });
      const storage = x.find('Microsoft.Storage/storageAccounts').name;
      assert.match(storage, /^[a-z0-9]{3,24}$/, storage);
      const kv = x.find('Microsoft.KeyVault/vaults').name;
      assert.match(kv, /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, kv);
      assert.doesNotMatch(kv, /--/);
      assert.ok(x.find('Microsoft.Web/sites').name.length <= 60);
      assert.ok(x.find('Microsoft.BotService/botServices').name.length <= 64);
    }
    assert.throws(() => deployBot({ namePrefix: 'abcdefghij' }), /longer than 9/);
  });
});

describe('infra/azuredeploy.json app settings and the code', () => {
  const d = deployBot();
  const settings = settingsOf(d);
  const names = appSettings(d).map((s) => s.name);
  const read = botEnvVariables(ROOT);
  const notRead = names.filter((n) => !read.has(n));

  it('the scan of bot/ finds the variables the config loader is known to read', () => {
    for (const v of ['PIM_SCOPES', 'MicrosoftAppId', 'MicrosoftAppType', 'AZURE_CLIENT_ID', 'PIM_CREDENTIAL', 'ARM_ENDPOINT', 'PIM_ACTION_SECRET', 'PORT']) {
      assert.ok(read.has(v), `${v} should be found in bot/`);
    }
  });

  it('every app setting is a variable the bot reads', () => {
    assert.deepEqual(notRead, [], `the template sets ${notRead.join(', ')}, which no code under bot/ reads`);
    assert.equal(new Set(names).size, names.length, 'no setting twice');
  });

  it('every setting a deployment needs is there, with a value', () => {
    for (const [name, why] of Object.entries(REQUIRED_IN_AZURE)) {
      assert.ok(settings[name], `${name} is missing or empty: ${why}`);
    }
  });

  it('the config loader accepts the settings as App Service resolves them, and reads the deployment from them', () => {
    const env = resolveKeyVaultReferences(d, BUILT_IN_ROLES['Key Vault Secrets User']!.value);
    const config = configFrom(env);
    assert.equal(config.mode, 'azure');
    assert.deepEqual(config.bot, { appId: CLIENT_ID, appType: 'UserAssignedMSI', tenantId: TENANT_ID, password: undefined, allowUnauthenticated: false, openIdMetadata: undefined });
    assert.equal(config.host, '0.0.0.0');
    assert.deepEqual(config.arm, { endpoint: 'https://management.azure.com', credential: 'managedIdentity', clientId: CLIENT_ID });
    assert.deepEqual(
      config.scopes.map((s) => s.displayName),
      ['Contoso Production', 'Contoso Payments'],
    );
    assert.equal(config.authz.mode, 'rbac');
    assert.deepEqual(config.authz.allowedTenants, [TENANT_ID]);
    assert.equal(config.actionSecret, ACTION_SECRET);
    assert.equal(config.timeZone, exampleParameters().timeZone);
    // Table Storage, signed in as the bot's identity: no key in the settings.
    assert.equal(config.store.kind, 'table');
    assert.ok(config.store.kind === 'table' && 'url' in config.store, 'the store uses the identity, not a connection string');
    assert.match(config.store.url, /^https:\/\/[a-z0-9]{3,24}\.table\.core\.windows\.net$/);
    assert.equal(config.store.prefix, 'pimalerts');
  });

  it('allowlist mode passes the operators through, and the loader refuses allowlist without them', () => {
    const operator = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const allow = deployBot({ authzMode: 'allowlist', operators: operator });
    const env = resolveKeyVaultReferences(allow, BUILT_IN_ROLES['Key Vault Secrets User']!.value);
    assert.deepEqual(configFrom(env).authz.operators, [operator]);
    const none = resolveKeyVaultReferences(deployBot({ authzMode: 'allowlist', operators: '' }), BUILT_IN_ROLES['Key Vault Secrets User']!.value);
    assert.throws(() => configFrom(none), (err: unknown) => err instanceof ConfigError && err.variable === 'PIM_OPERATORS');
  });

  it('every setting the code reads is documented in README.md or .env.example', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8') + fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const undocumented = names.filter((n) => !docs.includes(n));
    assert.deepEqual(undocumented, []);
  });
});

describe('infra/azuredeploy.parameters.example.json', () => {
  const file = readJson<{ $schema: string; parameters: Record<string, { value: unknown }> }>(EXAMPLE_FILE);

  it('is a parameters file for the template, with every required parameter but the secret', () => {
    assert.equal(file.$schema, 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#');
    const declared = template.parameters!;
    for (const name of Object.keys(file.parameters)) assert.ok(name in declared, `${name} is not a template parameter`);
    const required = Object.entries(declared).filter(([, p]) => !('defaultValue' in p));
    for (const [name, p] of required) {
      if (/^secure/i.test(p.type)) assert.ok(!(name in file.parameters), `${name} is a secret: pass it on the command line, never in a file`);
      else assert.ok(name in file.parameters, `${name} is required`);
    }
  });

  it('deploys without the secret only if the secret is supplied separately', () => {
    assert.throws(() => deploy(template, exampleParameters(), context()), /'actionSecret' has no value/);
  });
});
