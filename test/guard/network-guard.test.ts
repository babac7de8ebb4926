// The loopback-only guard every test process and every bot process a test starts runs under
// (test/network-guard.cjs). 0.0.0.0 stands for "not loopback": the guard must refuse it by
// address, so these checks send nothing anywhere even if the guard were broken.
import { strict as assert } from 'node:assert';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';

const NOT_LOOPBACK = '0.0.0.0';
const REFUSED = /Test network guard: refused/;

function connectError(socket: net.Socket): Promise<Error> {
  return new Promise((resolve) => socket.once('error', resolve));
}

describe('the loopback-only network guard', () => {
  it('refuses connections by address, however they are opened', async () => {
    assert.match((await connectError(net.connect(9, NOT_LOOPBACK))).message, REFUSED, 'net.connect(port, host)');
    assert.match((await connectError(net.connect({ port: 9, host: NOT_LOOPBACK }))).message, REFUSED, 'net.connect(options)');
    const viaHttp = await new Promise<Error>((resolve) => http.get(`http://${NOT_LOOPBACK}:9/`).once('error', resolve));
    assert.match(viaHttp.message, REFUSED, 'http.get');
    const viaFetch = await fetch(`http://${NOT_LOOPBACK}:1234/`).then(
      () => new Error('answered'),
      (err: Error & { cause?: Error }) => err.cause ?? err,
    );
    assert.match(viaFetch.message, REFUSED, 'fetch');
  });

  it('refuses name lookups except localhost', async () => {
    await assert.rejects(dns.promises.lookup('management.azure.com'), REFUSED);
    await assert.rejects(new dns.promises.Resolver().resolve4('smba.trafficmanager.net'), REFUSED);
    const viaCallback = await new Promise<Error | null>((resolve) => dns.lookup('login.microsoftonline.com', (err) => resolve(err)));
    assert.match(String(viaCallback?.message), REFUSED);
    assert.equal((await dns.promises.lookup('localhost', { family: 4 })).address, '127.0.0.1');
  });

  it('lets loopback through', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
      assert.equal(await (await fetch(`http://localhost:${port}/`)).text(), 'ok');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
