// Where the bot listens (README, Configuration: PORT / HOST and ALLOW_UNAUTHENTICATED): without
// MicrosoftAppId it authenticates no caller, so it listens on loopback unless told otherwise, and
// refuses, naming HOST, to listen beyond loopback without ALLOW_UNAUTHENTICATED=true.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../bot/config';
import { normalizeScope } from '../../bot/azure/validate';

const BASE = {
  PIM_SCOPES: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f',
  PIM_ALLOWED_TENANTS: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30',
  LOG_LEVEL: 'silent',
};
const APP = { MicrosoftAppId: '2d4e6f80-1a3b-4c5d-8e9f-0a1b2c3d4e5f', MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30' };
const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env }, { normalizeScope });

describe('configuration: where the bot listens', () => {
  it('listens on loopback without an app id, and on every interface with one', () => {
    assert.equal(load({}).host, '127.0.0.1');
    assert.equal(load(APP).host, '0.0.0.0');
  });

  it('without an app id, takes any loopback HOST', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) assert.equal(load({ HOST: host }).host, host, host);
  });

  it('without an app id, refuses a HOST beyond loopback and names HOST, unless ALLOW_UNAUTHENTICATED=true', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.4', 'bot.contoso.com']) {
      assert.throws(
        () => load({ HOST: host }),
        (e: unknown) => e instanceof ConfigError && e.variable === 'HOST' && /does not authenticate callers/.test(e.message) && e.message.includes('ALLOW_UNAUTHENTICATED=true'),
        host,
      );
      assert.equal(load({ HOST: host, ALLOW_UNAUTHENTICATED: 'true' }).host, host);
    }
    assert.equal(load({ ...APP, HOST: '10.0.0.4' }).host, '10.0.0.4', 'with an app id every caller is authenticated');
  });
});
