// The Agents Playground of the local run listens on loopback only: its CLI has no host option, so
// bot/loopback-only.cjs is preloaded into its process and turns every listen() without a host into
// one on 127.0.0.1. Checked here in a plain node process with every form of listen(); the browser
// test checks the real Playground's socket.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PRELOAD = path.join(__dirname, '..', '..', 'bot', 'loopback-only.cjs');

const SCRIPT = `
const net = require('node:net');
const http = require('node:http');
const forms = [
  ['port', [0]],
  ['port and callback', [0, 'CB']],
  ['port and backlog', [0, 5]],
  ['options', [{ port: 0 }]],
  ['nothing', []],
  ['callback only', ['CB']],
  ['explicit host', [0, '0.0.0.0']],
  ['explicit host in options', [{ port: 0, host: '::' }]],
];
const out = {};
(async () => {
  for (const [name, form] of forms) {
    for (const make of [() => net.createServer(), () => http.createServer()]) {
      const server = make();
      await new Promise((resolve) => {
        const cb = () => resolve();
        const args = form.map((a) => (a === 'CB' ? cb : a));
        if (!args.includes(cb)) server.once('listening', cb);
        server.listen(...args);
      });
      out[name] = server.address().address;
      await new Promise((r) => server.close(r));
    }
  }
  console.log(JSON.stringify(out));
})();
`;

describe('local run: the Agents Playground listens on loopback only', () => {
  it('every listen() without a host binds 127.0.0.1; one that names its host is left alone', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', PRELOAD, '-e', SCRIPT]);
    assert.deepEqual(JSON.parse(stdout), {
      port: '127.0.0.1',
      'port and callback': '127.0.0.1',
      'port and backlog': '127.0.0.1',
      options: '127.0.0.1',
      nothing: '127.0.0.1',
      'callback only': '127.0.0.1',
      'explicit host': '0.0.0.0',
      'explicit host in options': '::',
    });
  });

  it('without it, the same listen() takes every interface (so the preload is what keeps it local)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT]);
    assert.notEqual(JSON.parse(stdout).port, '127.0.0.1');
  });
});
