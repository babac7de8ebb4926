import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { COMMANDS, COMMAND_NAMES } from '../../bot/commands/catalog';
import { parseCommand, type ParseInput } from '../../bot/commands/parser';
import { ACCENT_COLOR, renderColorIcon, renderOutlineIcon } from '../../manifest/icons';
import {
  buildAppPackage,
  checkIcons,
  commandLimits,
  loadManifestSchema,
  main,
  manifestCommands,
  normaliseDomain,
  PACKAGE_FILE_NAME,
  PLACEHOLDER_GUID,
  renderManifest,
  resolveSettings,
  validateManifest,
  type TeamsManifest,
} from '../../manifest/package';
import { COLOR_TYPE, encodePng } from '../../manifest/png';
import { createZip } from '../../manifest/zip';
import { readPng, readZip } from './readers';

const MANIFEST_DIR = path.join(__dirname, '..', '..', 'manifest');
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
const BOT_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const TEST_ENV = {
  MicrosoftAppId: BOT_ID,
  BOT_DOMAIN: 'pim-alerts.azurewebsites.net',
  TEAMS_APP_DEVELOPER_NAME: 'Contoso Security',
  TEAMS_APP_PRIVACY_URL: 'https://contoso.com/privacy',
};
const SCOPES = ['personal', 'team', 'groupChat'] as const;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pim-manifest-'));
}

function expectedCommands(): { title: string; description: string }[] {
  return COMMANDS.filter((c) => c.inManifest).map((c) => ({ title: c.name, description: c.description }));
}

describe('Teams app package', function () {
  const dirs: string[] = [];
  let outDir: string;
  /** One build from TEST_ENV shared by the tests that only read it (validation takes ~0.3 s a build). */
  let built: Awaited<ReturnType<typeof buildAppPackage>>;

  before(async () => {
    const dir = tempDir();
    dirs.push(dir);
    built = await buildAppPackage({ env: TEST_ENV, outDir: dir });
  });

  beforeEach(() => {
    outDir = tempDir();
    dirs.push(outDir);
  });
  afterEach(() => sinon.restore());
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('buildAppPackage', () => {
    it('writes a zip with manifest.json, color.png and outline.png at its root', async () => {
      const result = built;
      assert.deepEqual(result.errors, []);
      assert.equal(path.basename(result.zipPath!), PACKAGE_FILE_NAME);

      const entries = readZip(fs.readFileSync(result.zipPath!));
      assert.deepEqual(entries.map((e) => e.name).sort(), ['color.png', 'manifest.json', 'outline.png']);
      const byName = new Map(entries.map((e) => [e.name, e.data]));
      assert.deepEqual(JSON.parse(byName.get('manifest.json')!.toString('utf8')), result.manifest);
      assert.ok(byName.get('color.png')!.equals(fs.readFileSync(path.join(MANIFEST_DIR, 'color.png'))));
      assert.ok(byName.get('outline.png')!.equals(fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png'))));
    });

    it('fills the manifest from the environment and package.json', async () => {
      const { manifest, errors } = built;
      assert.deepEqual(errors, []);
      const m = manifest!;
      assert.equal(m.id, BOT_ID, 'the app id defaults to the bot id');
      assert.equal(m.bots?.[0]?.botId, BOT_ID);
      assert.equal(m.version, PACKAGE_VERSION);
      assert.deepEqual(m.validDomains, ['pim-alerts.azurewebsites.net']);
      assert.deepEqual(m.developer, {
        name: 'Contoso Security',
        websiteUrl: 'https://pim-alerts.azurewebsites.net/',
        privacyUrl: 'https://contoso.com/privacy',
        termsOfUseUrl: 'https://pim-alerts.azurewebsites.net/terms',
      });
      assert.deepEqual(m.name, { short: 'PIM Alerts', full: 'PIM Alerts for Teams' });
      assert.ok(m.description.short.length <= 80);
      assert.ok(m.description.full.length <= 4000);
      assert.equal(m.accentColor, ACCENT_COLOR, 'accentColor matches the colour icon background');
      assert.doesNotMatch(JSON.stringify(m), /\$\{\{/, 'no placeholder is left unfilled');
    });

    it('uses TEAMS_APP_ID for the app id when given, keeping the bot id for the bot', async () => {
      const appId = '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d';
      const { manifest } = await buildAppPackage({ env: { ...TEST_ENV, TEAMS_APP_ID: appId }, outDir });
      assert.equal(manifest?.id, appId);
      assert.equal(manifest?.bots?.[0]?.botId, BOT_ID);
    });

    it('validates offline against the schema bundled with @microsoft/app-manifest', async () => {
      const fetchSpy = sinon.spy(globalThis, 'fetch');
      const { manifest } = built;
      assert.equal(manifest?.manifestVersion, '1.30');
      assert.deepEqual(await validateManifest(manifest), []);
      assert.equal(fetchSpy.callCount, 0, 'no schema was fetched from the network');
    });

    it('fails with one line naming MicrosoftAppId when it is missing, and writes no package', async () => {
      const { MicrosoftAppId: _omit, ...env } = TEST_ENV;
      fs.writeFileSync(path.join(outDir, PACKAGE_FILE_NAME), 'stale package from an earlier build');
      const result = await buildAppPackage({ env, outDir });
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /^MicrosoftAppId is not set; .*--allow-placeholder-id/);
      assert.equal(result.zipPath, undefined);
      assert.equal(fs.existsSync(path.join(outDir, PACKAGE_FILE_NAME)), false, 'a stale package is removed');
    });

    it('rejects a MicrosoftAppId that is not a GUID', async () => {
      const result = await buildAppPackage({ env: { ...TEST_ENV, MicrosoftAppId: 'pim-alerts-bot' }, outDir });
      assert.deepEqual(result.errors, [
        'MicrosoftAppId "pim-alerts-bot" is not a GUID; set it to the bot\'s Microsoft App ID, e.g. 8f0c6c0e-1b2a-4c3d-9e8f-0a1b2c3d4e5f.',
      ]);
      assert.equal(result.zipPath, undefined);
    });

    it('builds a validation-only package with the zero GUID when asked to, and says so', async () => {
      const result = await buildAppPackage({ env: {}, outDir, allowPlaceholderId: true });
      assert.deepEqual(result.errors, []);
      assert.equal(result.manifest?.id, PLACEHOLDER_GUID);
      assert.equal(result.manifest?.bots?.[0]?.botId, PLACEHOLDER_GUID);
      assert.deepEqual(result.manifest?.validDomains, []);
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0]!, /validation only/);
      assert.ok(fs.existsSync(result.zipPath!));
    });

    it('refuses icons Teams would reject', async () => {
      const source = tempDir();
      dirs.push(source);
      fs.copyFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), path.join(source, 'manifest.template.json'));
      fs.copyFileSync(path.join(MANIFEST_DIR, 'color.png'), path.join(source, 'color.png'));
      const grey = renderOutlineIcon();
      for (let i = 0; i < grey.pixels.length; i += 4) grey.pixels[i] = 128; // a red channel of 128 makes every pixel non-white
      fs.writeFileSync(path.join(source, 'outline.png'), encodePng(grey));
      const result = await buildAppPackage({ env: TEST_ENV, outDir, sourceDir: source });
      assert.equal(result.zipPath, undefined);
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /^outline\.png has \d+ visible pixels that are not white/);
    });
  });

  describe('manifest validation', () => {
    let valid: TeamsManifest;
    before(() => {
      valid = built.manifest!;
    });

    it('reports a short name over the 30 characters the schema allows', async () => {
      const manifest = structuredClone(valid);
      manifest.name.short = 'PIM Alerts for Teams Production'; // 31 characters
      const errors = await validateManifest(manifest);
      assert.ok(errors.some((e) => e.startsWith('manifest.json/name/short must NOT have more than 30 characters')), errors.join('\n'));
    });

    it('reports a bot id that is not a GUID', async () => {
      const manifest = structuredClone(valid);
      manifest.bots![0]!.botId = 'not-a-guid';
      const errors = await validateManifest(manifest);
      assert.ok(errors.some((e) => e.startsWith('manifest.json/bots/0/botId must match pattern')), errors.join('\n'));
    });

    it('reports a placeholder the packager does not know', () => {
      const schema = loadManifestSchema();
      const { settings } = resolveSettings(TEST_ENV, { appVersion: '1.2.3' });
      const template = JSON.parse(fs.readFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), 'utf8')) as TeamsManifest;
      template.developer.mpnId = '${{MPN_ID}}';
      const { errors } = renderManifest(template, settings, schema);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /\$\{\{MPN_ID\}\}/);
    });
  });

  describe('command lists', () => {
    it('offers the catalog\'s inManifest commands in every scope the bot is installed in', () => {
      const { manifest } = built;
      const bot = manifest!.bots![0]!;
      assert.deepEqual(bot.scopes, [...SCOPES]);
      assert.equal(bot.supportsFiles, false);
      assert.equal(bot.isNotificationOnly, false);
      for (const scope of SCOPES) {
        const lists = bot.commandLists!.filter((l) => l.scopes.includes(scope));
        assert.equal(lists.length, 1, `one command list for ${scope}`);
        assert.deepEqual(lists[0]!.commands, expectedCommands(), `commands for ${scope}`);
      }
    });

    it('titles every command with a name the bot understands', () => {
      const { manifest } = built;
      const titles = manifest!.bots![0]!.commandLists!.flatMap((l) => l.commands.map((c) => c.title));
      assert.ok(titles.length > 0);
      for (const title of titles) assert.ok((COMMAND_NAMES as readonly string[]).includes(title), `${title} is a catalog command`);
    });

    it('sends text the parser reads as that command when a menu entry is picked', () => {
      // Picking an entry puts its title in the compose box; in a channel Teams prefixes the bot's
      // @mention. Commands whose usage has a required <argument> (outside [optional] brackets) ask for it instead of failing as unknown.
      const channel = JSON.parse(
        fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'teams', 'channel-message-mention-bot.botbuilder-js-fixture.json'), 'utf8'),
      ) as { text: string; entities: ParseInput['entities']; recipient: { id: string } };
      const mention = '<at>Teams Bot</at>';
      assert.ok(channel.text.startsWith(mention));
      const titles = new Set(built.manifest!.bots![0]!.commandLists!.flatMap((l) => l.commands.map((c) => c.title)));
      for (const title of titles) {
        const needsArgument = /<[^>]+>/.test(COMMANDS.find((c) => c.name === title)!.usage.replace(/\[[^\]]*\]/g, ''));
        const inputs: ParseInput[] = [
          { text: title },
          { text: `${mention} ${title}\n`, entities: channel.entities!, botId: channel.recipient.id },
        ];
        for (const input of inputs) {
          const result = parseCommand(input);
          if (needsArgument) {
            assert.ok(!result.ok && result.error.code === 'MissingArgument' && result.error.command === title, `${JSON.stringify(input.text)}: ${JSON.stringify(result)}`);
          } else {
            assert.ok(result.ok, `${JSON.stringify(input.text)}: ${JSON.stringify(result)}`);
            assert.equal(result.command.name, title);
          }
        }
      }
    });

    it('cuts descriptions to the schema limit', () => {
      assert.deepEqual(commandLimits(loadManifestSchema()), { title: 128, description: 4000 });
      const cut = manifestCommands({ title: 32, description: 20 });
      assert.ok(cut.every((c) => Array.from(c.description!).length <= 20));
      const alerts = cut.find((c) => c.title === 'alerts')!;
      assert.equal(alerts.description, 'Summarise the activ…');
    });
  });

  describe('icons', () => {
    it('color.png is a 192x192 8-bit full-colour PNG', () => {
      const png = readPng(fs.readFileSync(path.join(MANIFEST_DIR, 'color.png')));
      assert.equal(png.width, 192);
      assert.equal(png.height, 192);
      assert.equal(png.bitDepth, 8);
      assert.ok(png.colorType === 2 || png.colorType === 6, `colour type ${png.colorType}`);
      const colours = new Set<string>();
      for (let i = 0; i < png.data.length; i += png.channels) colours.add(png.data.subarray(i, i + 3).toString('hex'));
      assert.ok(colours.has('24408e') && colours.has('ffffff') && colours.has('f5a623'), 'background, shield and bell colours');
    });

    it('outline.png is 32x32 with only white pixels on a transparent background', () => {
      const png = readPng(fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png')));
      assert.equal(png.width, 32);
      assert.equal(png.height, 32);
      assert.equal(png.colorType, 6, 'RGBA');
      let opaque = 0;
      let transparent = 0;
      for (let i = 0; i < png.data.length; i += 4) {
        const [r, g, b, a] = png.data.subarray(i, i + 4);
        assert.ok(a === 0 || (r === 255 && g === 255 && b === 255), `pixel ${i / 4} is white or transparent`);
        if (a === 255) opaque++;
        if (a === 0) transparent++;
      }
      assert.ok(opaque > 200, `the shield is drawn (${opaque} opaque pixels)`);
      assert.ok(transparent > 200, `the background is transparent (${transparent} transparent pixels)`);
    });

    it('the committed icons are exactly what manifest/icons.ts draws', () => {
      // Fails when someone edits the drawing without regenerating the PNGs (or the reverse).
      assert.ok(fs.readFileSync(path.join(MANIFEST_DIR, 'color.png')).equals(encodePng(renderColorIcon())));
      assert.ok(fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png')).equals(encodePng(renderOutlineIcon())));
      const decoded = readPng(fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png')));
      assert.ok(decoded.data.equals(renderOutlineIcon().pixels), 'an independent decoder reads back the drawn pixels');
    });

    it('checkIcons reports wrong sizes and a missing alpha channel', () => {
      const color = encodePng({ width: 96, height: 96, colorType: COLOR_TYPE.rgb, pixels: Buffer.alloc(96 * 96 * 3, 200) });
      const outline = encodePng({ width: 32, height: 32, colorType: COLOR_TYPE.rgb, pixels: Buffer.alloc(32 * 32 * 3, 255) });
      assert.deepEqual(checkIcons(color, outline), [
        'color.png is 96x96; Teams needs a 192x192 colour icon.',
        'outline.png has no alpha channel; Teams needs white on a transparent background.',
      ]);
      assert.deepEqual(checkIcons(Buffer.from('GIF89a'), fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png'))), [
        'color.png: The file is not a PNG image (the PNG signature is missing).',
      ]);
    });
  });

  describe('zip writer', () => {
    it('round-trips stored, deflated, empty and non-ASCII entries through an independent reader', () => {
      const text = Buffer.from('alerts '.repeat(500));
      const random = Buffer.from(Array.from({ length: 257 }, (_, i) => (i * 7919) % 251)); // incompressible-ish
      const zip = createZip([
        { name: 'manifest.json', data: text },
        { name: 'bin/noise.dat', data: random },
        { name: 'empty.txt', data: Buffer.alloc(0) },
        { name: 'Übersicht.txt', data: Buffer.from('ü') },
      ]);
      const entries = readZip(zip);
      assert.deepEqual(entries.map((e) => e.name), ['manifest.json', 'bin/noise.dat', 'empty.txt', 'Übersicht.txt']);
      assert.equal(entries[0]!.method, 8, 'compressible data is deflated');
      assert.ok(entries[0]!.data.equals(text));
      assert.ok(entries[1]!.data.equals(random));
      assert.equal(entries[2]!.data.length, 0);
      assert.equal(entries[3]!.data.toString('utf8'), 'ü');
      assert.ok(createZip([{ name: 'a', data: text }]).equals(createZip([{ name: 'a', data: text }])), 'deterministic');
    });

    it('refuses names that would escape the archive root or repeat', () => {
      assert.throws(() => createZip([{ name: '../manifest.json', data: Buffer.alloc(1) }]), /relative path/);
      assert.throws(() => createZip([{ name: 'a', data: Buffer.alloc(1) }, { name: 'a', data: Buffer.alloc(1) }]), /listed twice/);
    });
  });

  describe('settings', () => {
    it('accepts BOT_DOMAIN as a host or a pasted https URL, and nothing with a path', () => {
      assert.equal(normaliseDomain('pim-alerts.azurewebsites.net'), 'pim-alerts.azurewebsites.net');
      assert.equal(normaliseDomain('https://PIM-Alerts.azurewebsites.net/'), 'pim-alerts.azurewebsites.net');
      assert.equal(normaliseDomain('abc-3978.euw.devtunnels.ms'), 'abc-3978.euw.devtunnels.ms');
      assert.equal(normaliseDomain('https://bot.contoso.com/api/messages'), undefined);
      assert.equal(normaliseDomain('http://bot.contoso.com'), undefined);
    });

    it('asks for BOT_DOMAIN or the developer URLs in one line when neither is given', () => {
      const { errors } = resolveSettings({ MicrosoftAppId: BOT_ID }, { appVersion: '1.0.0' });
      assert.deepEqual(errors, [
        'TEAMS_APP_WEBSITE_URL, TEAMS_APP_PRIVACY_URL and TEAMS_APP_TERMS_URL are not set and there is no BOT_DOMAIN to derive them from; set BOT_DOMAIN or the URLs.',
      ]);
    });

    it('rejects developer URLs that are not https and app versions Teams cannot order', () => {
      const { errors } = resolveSettings({ ...TEST_ENV, TEAMS_APP_TERMS_URL: 'http://contoso.com/terms' }, { appVersion: '1.0' });
      assert.deepEqual(errors, [
        'package.json version "1.0" is not MAJOR.MINOR.PATCH; Teams needs a plain semantic version.',
        'TEAMS_APP_TERMS_URL "http://contoso.com/terms" is not an https URL; set it to the page\'s full https:// address.',
      ]);
    });
  });

  describe('npm run package', () => {
    function capture(): { io: { stdout: (l: string) => void; stderr: (l: string) => void }; out: string[]; err: string[] } {
      const out: string[] = [];
      const err: string[] = [];
      return { io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }, out, err };
    }

    it('exits 0 and names the package it wrote', async () => {
      const c = capture();
      const code = await main(['--out-dir', outDir], TEST_ENV, c.io);
      assert.equal(code, 0, c.err.join('\n'));
      assert.deepEqual(c.err, []);
      assert.match(c.out[0]!, new RegExp(`^Wrote ${path.join(outDir, PACKAGE_FILE_NAME).replace(/[.\\]/g, '\\$&')} \\(manifest 1\\.30`));
    });

    it('exits non-zero and prints every problem when the package cannot be built', async () => {
      const c = capture();
      const code = await main([`--out-dir=${outDir}`], { ...TEST_ENV, MicrosoftAppId: 'x', TEAMS_APP_ID: 'y' }, c.io);
      assert.equal(code, 1);
      assert.deepEqual(c.out, []);
      assert.equal(c.err[0], 'The Teams app package was not built (2 problems):');
      assert.match(c.err[1]!, /^ {2}MicrosoftAppId "x" is not a GUID/);
      assert.match(c.err[2]!, /^ {2}TEAMS_APP_ID "y" is not a GUID/);
    });

    it('rejects unknown arguments', async () => {
      const c = capture();
      assert.equal(await main(['--zip'], TEST_ENV, c.io), 2);
      assert.match(c.err[0]!, /^Unknown argument "--zip"/);
    });
  });
});
