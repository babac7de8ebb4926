import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ManagedIdentityCredential, DefaultAzureCredential } from '@azure/identity';
import { bearerTokenAuthenticationPolicyName, createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { PimAlertsClient } from '../../bot/azure/client';
import { createCredential, readArmConfig } from '../../bot/azure/credentials';
import { createAzureClients } from '../../bot/azure/index';
import { createArmPipeline, tokenScopeFor } from '../../bot/azure/pipeline';
import { ARM, FakeCredential, FakeHttpClient, SCOPE, SUB, isCode } from './fakes';

const OK_LIST = { status: 200, body: { value: [] } };

describe('token handling', () => {
  it('sends the bearer token to the configured endpoint, asking for the endpoint origin scope', async () => {
    const cred = new FakeCredential('tok-123');
    const fake = new FakeHttpClient().reply(OK_LIST, OK_LIST);
    const client = new PimAlertsClient({ endpoint: ARM, credential: cred, httpClient: fake });
    await client.listAlerts(SCOPE);
    await client.listAlertDefinitions(SCOPE);
    assert.deepEqual(fake.requests.map((r) => r.headers.authorization), ['Bearer tok-123', 'Bearer tok-123']);
    assert.deepEqual(cred.scopesAsked[0], ['https://management.azure.com/.default']);
  });

  it('follows a sovereign cloud endpoint for both requests and token scope', async () => {
    const cred = new FakeCredential();
    const fake = new FakeHttpClient().reply(OK_LIST);
    const client = new PimAlertsClient({ endpoint: 'https://management.chinacloudapi.cn/', credential: cred, httpClient: fake });
    await client.listAlerts(SCOPE);
    assert.equal(new URL(fake.requests[0]!.url).origin, 'https://management.chinacloudapi.cn');
    assert.deepEqual(cred.scopesAsked[0], ['https://management.chinacloudapi.cn/.default']);
    assert.equal(tokenScopeFor('https://management.usgovcloudapi.net'), 'https://management.usgovcloudapi.net/.default');
  });

  it('never sends a request, nor fetches a token, for a foreign host', async () => {
    const cred = new FakeCredential();
    const fake = new FakeHttpClient((r) => assert.fail(`request reached the wire: ${r.url}`));
    const client = new PimAlertsClient({ endpoint: ARM, credential: cred, httpClient: fake });
    await assert.rejects(
      client.pollOperation({ location: 'https://attacker.example/steal?api-version=1', scope: SCOPE, startedAt: new Date().toISOString() }),
      isCode('ForeignHost'),
    );
    // Straight through the pipeline too, as any future caller would.
    const pipeline = createArmPipeline({ endpoint: ARM, credential: cred });
    await assert.rejects(pipeline.sendRequest(fake, createPipelineRequest({ url: 'https://attacker.example/x' })), isCode('ForeignHost', /attacker\.example/));
    assert.equal(fake.requests.length, 0);
    assert.equal(cred.scopesAsked.length, 0);
  });

  it('stops the token at the last step even if something rewrites the URL after authentication', async () => {
    const fake = new FakeHttpClient((r) => assert.fail(`request reached the wire: ${r.url} with ${r.headers.authorization}`));
    const pipeline = createArmPipeline({ endpoint: ARM, credential: new FakeCredential() });
    const rewrite: PipelinePolicy = {
      name: 'rewriteAfterAuth',
      sendRequest: (req, next) => {
        req.url = 'https://attacker.example/x';
        return next(req);
      },
    };
    pipeline.addPolicy(rewrite, { afterPolicies: [bearerTokenAuthenticationPolicyName], beforePolicies: ['armHostGuardInner'] });
    await assert.rejects(pipeline.sendRequest(fake, createPipelineRequest({ url: `${ARM}/${SCOPE}?api-version=1` })), isCode('ForeignHost'));
    assert.equal(fake.requests.length, 0);
  });

  it('refuses to build a pipeline without a credential for a non-loopback endpoint', () => {
    assert.throws(() => new PimAlertsClient({ endpoint: ARM, httpClient: new FakeHttpClient() }), isCode('CredentialNotAllowed', /need a credential/));
    assert.throws(() => new PimAlertsClient({ endpoint: 'http://127.0.0.1:1', credential: new FakeCredential() }), isCode('CredentialNotAllowed', /never sent over plain http/));
  });

  it('talks to a loopback simulator over plain http with no Authorization header', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'arm', 'examples', 'GetAlerts.json'), 'utf8')) as { responses: { 200: { body: { value: unknown[] } } } };
    const seen: Array<{ url?: string; auth?: string }> = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json', 'x-ms-request-id': 'sim-1' });
      res.end(JSON.stringify(example.responses[200].body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const endpoint = `http://127.0.0.1:${port}`;
      const client = new PimAlertsClient({ endpoint, credential: createCredential({ mode: 'none', endpoint }) });
      const alerts = await client.listAlerts(`/${SCOPE}`);
      assert.deepEqual(alerts, example.responses[200].body.value);
      assert.deepEqual(seen, [{ url: `/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts?api-version=2022-08-01-preview`, auth: undefined }]);
    } finally {
      server.close();
    }
  });
});

describe('createCredential', () => {
  it("allows 'none' only for an http loopback endpoint", () => {
    for (const endpoint of ['http://127.0.0.1:7071', 'http://127.5.6.7', 'http://localhost:3000', 'http://[::1]:8080']) {
      assert.equal(createCredential({ mode: 'none', endpoint }), undefined, endpoint);
    }
    assert.throws(() => createCredential({ mode: 'none', endpoint: ARM }), isCode('CredentialNotAllowed', /^PIM_CREDENTIAL=none is only for the local simulator/));
    assert.throws(() => createCredential({ mode: 'none', endpoint: 'https://127.0.0.1:8443' }), isCode('CredentialNotAllowed'));
  });

  it('refuses plain http anywhere but loopback, whatever the mode', () => {
    for (const mode of ['none', 'managedIdentity', 'default'] as const) {
      assert.throws(() => createCredential({ mode, endpoint: 'http://management.azure.com' }), isCode('InsecureEndpoint'));
      assert.throws(() => createCredential({ mode, endpoint: 'http://192.168.1.10:8080' }), isCode('InsecureEndpoint'));
    }
  });

  it('refuses a real credential over plain http even on loopback', () => {
    assert.throws(() => createCredential({ mode: 'managedIdentity', endpoint: 'http://127.0.0.1:7071' }), isCode('CredentialNotAllowed', /PIM_CREDENTIAL=none/));
  });

  it('builds a managed identity credential (user-assigned with a client id) or DefaultAzureCredential', () => {
    assert.ok(createCredential({ mode: 'managedIdentity', endpoint: ARM }) instanceof ManagedIdentityCredential);
    assert.ok(createCredential({ mode: 'managedIdentity', clientId: 'a1b2c3d4-0000-4000-8000-000000000001', endpoint: ARM }) instanceof ManagedIdentityCredential);
    assert.ok(createCredential({ mode: 'default', endpoint: 'https://management.chinacloudapi.cn' }) instanceof DefaultAzureCredential);
    assert.throws(() => createCredential({ mode: 'managedIdentity', clientId: 'my-identity', endpoint: ARM }), isCode('CredentialNotAllowed', /AZURE_CLIENT_ID/));
    assert.throws(() => createCredential({ mode: 'secret' as never, endpoint: ARM }), isCode('CredentialNotAllowed', /managedIdentity, default or none/));
  });
});

describe('readArmConfig', () => {
  it('defaults to the public cloud with managed identity', () => {
    assert.deepEqual(readArmConfig({}), { endpoint: 'https://management.azure.com', credentialMode: 'managedIdentity' });
  });
  it('reads ARM_ENDPOINT, PIM_CREDENTIAL (any case) and AZURE_CLIENT_ID', () => {
    assert.deepEqual(readArmConfig({ ARM_ENDPOINT: 'http://127.0.0.1:7071/', PIM_CREDENTIAL: 'NONE' }), { endpoint: 'http://127.0.0.1:7071', credentialMode: 'none' });
    assert.deepEqual(readArmConfig({ ARM_ENDPOINT: 'https://management.usgovcloudapi.net', PIM_CREDENTIAL: 'default', AZURE_CLIENT_ID: ` ${SUB} ` }), {
      endpoint: 'https://management.usgovcloudapi.net',
      credentialMode: 'default',
      clientId: SUB,
    });
  });
  it('fails at startup on a combination that cannot work', () => {
    assert.throws(() => readArmConfig({ PIM_CREDENTIAL: 'none' }), isCode('CredentialNotAllowed'));
    assert.throws(() => readArmConfig({ PIM_CREDENTIAL: 'password' }), isCode('CredentialNotAllowed', /"password" is not known/));
    assert.throws(() => readArmConfig({ ARM_ENDPOINT: 'http://10.1.2.3' }), isCode('InsecureEndpoint'));
    assert.throws(() => readArmConfig({ AZURE_CLIENT_ID: 'nope' }), isCode('CredentialNotAllowed'));
  });
});

describe('createAzureClients', () => {
  it('builds both clients from the env config, sharing endpoint and credential', async () => {
    const fake = new FakeHttpClient().reply(OK_LIST, OK_LIST);
    const { alerts, rbac } = createAzureClients(readArmConfig({ ARM_ENDPOINT: 'http://127.0.0.1:7071', PIM_CREDENTIAL: 'none' }), { httpClient: fake, maxPages: 2 });
    await alerts.listAlertConfigurations(SCOPE);
    await rbac.listRoleAssignmentsForPrincipal(SCOPE, SUB);
    assert.deepEqual(fake.requests.map((r) => new URL(r.url).origin), ['http://127.0.0.1:7071', 'http://127.0.0.1:7071']);
    assert.ok(fake.requests.every((r) => r.headers.authorization === undefined));
  });
});
