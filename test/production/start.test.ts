// The production build, installed and started the way the container image does it (see the
// Dockerfile: its steps are these commands, since no Docker engine runs here): `npm run build`,
// then a folder holding only package.json, package-lock.json, .prebuild-installrc and dist/,
// `npm ci --omit=dev` there, and `node dist/bot/main.js`. No tsx, no simulator, no Playground and
// no test tooling can be loaded from that folder, so a production import of any of them fails here.
// The bot runs against the simulator (started by this test) and the fake Bot Connector.
//
// Slow: one `npm ci --omit=dev` compiles better-sqlite3 (minutes on two cores). The npm cache is
// warm after the first `npm ci`, so nothing but the cache is read (--prefer-offline).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MISSING_SCOPES } from '../../bot/main';
import { startSimulator, type Simulator } from '../../sim/server';
import { startFakeConnector, type FakeConnector } from '../fakes/connector';
import { cardText, channelMessage } from '../helpers/harness';
import { NETWORK_GUARD, REPO_ROOT, post, startBot, stopAllBots, stopBot, waitFor, simulatorSettings } from '../helpers/process';

const REPORT_MODULES = path.join(REPO_ROOT, 'test', 'helpers', 'report-modules.cjs');
/** The files the image's final stage is made of, besides dist/ (see the Dockerfile). */
const IMAGE_FILES = ['package.json', 'package-lock.json', '.prebuild-installrc'];

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: process.env, timeout: 15 * 60_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
}

/** Runs the production entry point to its end; resolves with its exit code and what it printed. */
function runToExit(folder: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', NETWORK_GUARD, 'dist/bot/main.js'], { cwd: folder, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('production build: npm run build, npm ci --omit=dev, node dist/bot/main.js', function () {
  this.timeout(20 * 60_000);

  let folder: string;
  let dataDir: string;
  let sim: Simulator | undefined;
  let connector: FakeConnector | undefined;

  before(function () {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-prod-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-prod-data-'));
    // `npm run build` (the image's build stage), written straight into the folder.
    run('npm', ['run', 'build', '--', '--outDir', path.join(folder, 'dist')], REPO_ROOT);
    for (const f of IMAGE_FILES) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(folder, f));
    run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], folder);
  });

  after(async () => {
    await stopAllBots();
    await connector?.close();
    await sim?.close();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds only production dependencies and the compiled bot', () => {
    for (const dev of ['tsx', 'typescript', 'mocha', '@microsoft/m365agentsplayground', 'playwright-core', 'azurite']) {
      assert.equal(fs.existsSync(path.join(folder, 'node_modules', dev)), false, `${dev} is not installed`);
    }
    assert.ok(fs.existsSync(path.join(folder, 'dist', 'bot', 'main.js')));
    assert.equal(fs.existsSync(path.join(folder, 'dist', 'sim')), false, 'the simulator is not built');
    assert.equal(fs.existsSync(path.join(folder, 'dist', 'test')), false, 'the tests are not built');
    assert.equal(fs.existsSync(path.join(folder, 'dist', 'bot', 'local.js')), false, 'the local run is not built');
  });

  it('without PIM_SCOPES stops with one line saying what to set', async () => {
    const { code, stdout, stderr } = await runToExit(folder, { DATA_DIR: dataDir });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, `${MISSING_SCOPES}\n`);
    assert.match(stderr, /PIM_SCOPES/);
  });

  it('answers /healthz, /readyz and help against the simulator, loads no telemetry package, and stops on SIGTERM', async () => {
    sim = await startSimulator();
    connector = await startFakeConnector({ perConversation: false, global: false });
    const report = path.join(dataDir, 'modules.json');
    const bot = await startBot(
      { ...simulatorSettings(sim, dataDir), REPORT_MODULES_TO: report },
      folder,
      { args: ['--require', REPORT_MODULES, 'dist/bot/main.js'] },
    );
    assert.equal(bot.logs.find((l) => l.msg === 'bot listening')?.telemetry, 'off');

    const health = await fetch(`${bot.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', mode: 'azure', scopes: 1 });
    const ready = await fetch(`${bot.url}/readyz`);
    assert.equal(ready.status, 200);

    const msg = channelMessage({ connector }, 'help');
    const res = await post(bot, msg);
    assert.equal(res.status, 200);
    const delivered = await waitFor('the help card', 5000, () => connector!.delivered(msg.conversation.id)[0]);
    const card = (delivered.activity.attachments as Array<{ contentType: string; content: Record<string, unknown> }>)[0]!;
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.match(cardText(card.content), /alerts/);

    const exit = await stopBot(bot, 'SIGTERM', 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, bot.output());

    // What the process loaded: everything from the installed folder, nothing from the repository's
    // development tooling, and no telemetry package without APPLICATIONINSIGHTS_CONNECTION_STRING.
    const loaded = (JSON.parse(fs.readFileSync(report, 'utf8')) as string[]).filter((m) => m !== REPORT_MODULES && m !== NETWORK_GUARD);
    const real = fs.realpathSync(folder);
    const outside = loaded.filter((m) => !m.startsWith(real + path.sep) && !m.startsWith(folder + path.sep));
    assert.deepEqual(outside, [], 'every module came from the installed folder');
    assert.ok(loaded.some((m) => m.includes(`${path.sep}better-sqlite3${path.sep}`)), 'the store was loaded (the list is real)');
    const telemetry = loaded.filter((m) => /[\\/]node_modules[\\/](@opentelemetry|@azure[\\/]monitor-opentelemetry)/.test(m));
    assert.deepEqual(telemetry, [], 'no telemetry package is loaded');
  });
});
