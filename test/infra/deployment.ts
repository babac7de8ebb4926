// A simulated deployment of infra/azuredeploy.json: the example parameters, a signing secret, and
// the runtime values Azure would return for the resources it creates (the identity's ids, the web
// app's host name, the Application Insights connection string). The host name is deliberately
// not `<site>.azurewebsites.net`, so wiring that guesses it instead of reading it fails.
import fs from 'node:fs';
import path from 'node:path';
import { deploy, type Deployment, type DeploymentContext, type Template } from './arm';

export const ROOT = path.join(__dirname, '..', '..');
export const SUBSCRIPTION_ID = '6f1c2b8e-0d4a-4c6e-9b1f-2a3d4e5f6a7b';
export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';
export const PRINCIPAL_ID = 'b0b0b0b0-5678-4cde-9f01-23456789abcd';
export const RESOURCE_GROUP = { name: 'rg-pim-alerts', location: 'westeurope' };
export const ACTION_SECRET = 'q2F7w9Z1x8V3b6N4m0L5k7J2h9G1f3D8s6A4p0O2i5U7y9T1r3E6w8Q0z2X4c6';
export const CONNECTION_STRING =
  'InstrumentationKey=11111111-2222-4333-8444-555555555555;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';

export function readJson<T>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(ROOT, relative), 'utf8')) as T;
}

export const TEMPLATE_FILE = 'infra/azuredeploy.json';
export const EXAMPLE_FILE = 'infra/azuredeploy.parameters.example.json';
export const GRANT_FILE = 'infra/grant-scope.json';

export function hostNameOf(siteName: string): string {
  return `${siteName}-h7c2d9e4f1a0b3c5.westeurope-01.azurewebsites.net`;
}

export function context(overrides: Partial<DeploymentContext> = {}): DeploymentContext {
  return {
    scope: 'resourceGroup',
    subscriptionId: SUBSCRIPTION_ID,
    tenantId: TENANT_ID,
    resourceGroup: RESOURCE_GROUP,
    runtime: ({ type, name }) => {
      switch (type.toLowerCase()) {
        case 'microsoft.managedidentity/userassignedidentities':
          return { clientId: CLIENT_ID, principalId: PRINCIPAL_ID, tenantId: TENANT_ID };
        case 'microsoft.web/sites':
          return { defaultHostName: hostNameOf(name), state: 'Running' };
        case 'microsoft.insights/components':
          return { ConnectionString: CONNECTION_STRING, InstrumentationKey: '11111111-2222-4333-8444-555555555555' };
        default:
          throw new Error(`The test does not model what reference() returns for ${type}; add it to test/infra/deployment.ts.`);
      }
    },
    ...overrides,
  };
}

export function exampleParameters(): Record<string, unknown> {
  const file = readJson<{ parameters: Record<string, { value: unknown }> }>(EXAMPLE_FILE);
  return Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
}

/** Deploys the bot template with the example parameters (plus overrides) and the signing secret. */
export function deployBot(overrides: Record<string, unknown> = {}, ctx: DeploymentContext = context()): Deployment {
  return deploy(readJson<Template>(TEMPLATE_FILE), { ...exampleParameters(), actionSecret: ACTION_SECRET, ...overrides }, ctx);
}

export interface AppSetting {
  name: string;
  value: string;
}

export function appSettings(d: Deployment): AppSetting[] {
  const site = d.find('Microsoft.Web/sites');
  const siteConfig = (site.body.properties as { siteConfig: { appSettings: AppSetting[] } }).siteConfig;
  return siteConfig.appSettings;
}

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\((.*)\)$/;

/**
 * What App Service does with `@Microsoft.KeyVault(VaultName=v;SecretName=s)` values at start-up:
 * replaces them with the secret. Here the secret must be one the same template creates, in a vault
 * on which the site's identity holds Key Vault Secrets User; anything else throws.
 */
export function resolveKeyVaultReferences(d: Deployment, keyVaultSecretsUserRoleId: string): Record<string, string> {
  const site = d.find('Microsoft.Web/sites');
  const siteIdentity = (site.body.properties as { keyVaultReferenceIdentity?: string }).keyVaultReferenceIdentity;
  const env: Record<string, string> = {};
  for (const { name, value } of appSettings(d)) {
    const m = KEY_VAULT_REFERENCE.exec(value);
    if (!m) {
      env[name] = value;
      continue;
    }
    const fields = Object.fromEntries(m[1]!.split(';').map((kv) => kv.split('=', 2) as [string, string]));
    const vaultName = fields.VaultName;
    const secretName = fields.SecretName;
    if (!vaultName || !secretName || Object.keys(fields).some((k) => !['VaultName', 'SecretName'].includes(k))) {
      throw new Error(`${name}: the Key Vault reference ${value} is not of the form VaultName=…;SecretName=…`);
    }
    const vault = d.find('Microsoft.KeyVault/vaults', vaultName);
    const secret = d.find('Microsoft.KeyVault/vaults/secrets', `${vaultName}/${secretName}`);
    if (!siteIdentity) throw new Error(`${name}: the site has no keyVaultReferenceIdentity, so App Service would use a system-assigned identity it does not have.`);
    const principalId = d.runtimeOf(siteIdentity).principalId;
    const canRead = d.findAll('Microsoft.Authorization/roleAssignments').some((ra) => {
      const p = ra.body.properties as { roleDefinitionId: string; principalId: string };
      return ra.id.toLowerCase().startsWith(`${vault.id.toLowerCase()}/providers/`) && p.principalId === principalId && p.roleDefinitionId.endsWith(`/${keyVaultSecretsUserRoleId}`);
    });
    if (!canRead) throw new Error(`${name}: the site's identity holds no Key Vault Secrets User role on ${vaultName}.`);
    env[name] = (secret.body.properties as { value: string }).value;
  }
  return env;
}
