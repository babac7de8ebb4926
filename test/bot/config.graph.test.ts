// The directory as a scope in the configuration: PIM_SCOPES accepts `directory` (optionally named)
// beside ARM scopes, and GRAPH_ENDPOINT is checked like ARM_ENDPOINT, with one line naming the
// variable when it is wrong.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../bot/config';
import { normalizeScope } from '../../bot/azure/validate';

const SUB = 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f';
const BASE = { PIM_ALLOWED_TENANTS: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30', LOG_LEVEL: 'silent' };

function configError(variable: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.variable, variable);
    if (message) assert.match(e.message, message);
    return true;
  };
}

describe('configuration: the directory scope and GRAPH_ENDPOINT', () => {
  it('accepts directory beside ARM scopes, named or not, in any case', () => {
    const c = loadConfig({ ...BASE, PIM_SCOPES: `Contoso Production=${SUB}, Entra ID=directory` }, { normalizeScope });
    assert.deepEqual(c.scopes, [{ scope: SUB, displayName: 'Contoso Production' }, { scope: 'directory', displayName: 'Entra ID' }]);
    assert.equal(c.graph.endpoint, 'https://graph.microsoft.com');
    assert.deepEqual(loadConfig({ ...BASE, PIM_SCOPES: '/Directory' }, { normalizeScope }).scopes, [{ scope: 'directory' }]);
    assert.throws(() => loadConfig({ ...BASE, PIM_SCOPES: 'directory, DIRECTORY' }, { normalizeScope }), configError('PIM_SCOPES', /"directory" is listed twice/));
    assert.throws(() => loadConfig({ ...BASE, PIM_SCOPES: 'directory/x' }, { normalizeScope }), configError('PIM_SCOPES', /or directory \(Entra ID directory roles\)/));
  });

  it('follows GRAPH_ENDPOINT to a sovereign cloud and refuses one that is not an https origin', () => {
    const c = loadConfig({ ...BASE, PIM_SCOPES: 'directory', GRAPH_ENDPOINT: 'https://microsoftgraph.chinacloudapi.cn/' }, { normalizeScope });
    assert.equal(c.graph.endpoint, 'https://microsoftgraph.chinacloudapi.cn');
    assert.throws(() => loadConfig({ ...BASE, PIM_SCOPES: 'directory', GRAPH_ENDPOINT: 'http://graph.example.com' }, { normalizeScope }), configError('GRAPH_ENDPOINT', /^GRAPH_ENDPOINT: The Graph endpoint .* uses plain http/));
    assert.throws(() => loadConfig({ ...BASE, PIM_SCOPES: SUB, GRAPH_ENDPOINT: 'https://graph.microsoft.com/beta' }, { normalizeScope }), configError('GRAPH_ENDPOINT', /has a path/));
  });

  it('checks GRAPH_ENDPOINT against the credential only when the directory is watched', () => {
    const simulator = { ...BASE, ARM_ENDPOINT: 'http://127.0.0.1:4010', PIM_CREDENTIAL: 'none' };
    assert.equal(loadConfig({ ...simulator, PIM_SCOPES: SUB }, { normalizeScope }).scopes.length, 1);
    assert.throws(() => loadConfig({ ...simulator, PIM_SCOPES: `${SUB}, directory` }, { normalizeScope }), configError('GRAPH_ENDPOINT', /PIM_CREDENTIAL=none is only for the local simulator/));
    const both = loadConfig({ ...simulator, PIM_SCOPES: `${SUB}, directory`, GRAPH_ENDPOINT: 'http://127.0.0.1:4010' }, { normalizeScope });
    assert.equal(both.graph.endpoint, 'http://127.0.0.1:4010');
  });

  it('the local run points Graph at the simulator too', () => {
    const c = loadConfig({ LOG_LEVEL: 'silent' }, { normalizeScope, localEndpoint: 'http://127.0.0.1:4321', localScopes: [{ scope: 'directory', displayName: 'Entra ID' }] });
    assert.equal(c.mode, 'local');
    assert.equal(c.graph.endpoint, 'http://127.0.0.1:4321');
  });
});
