// docs/deploy.md is followed by people copying its commands: this checks that every command
// parses, every variable it uses is set earlier in the runbook, every output, parameter, file,
// npm script and link it names exists, and that its tables match the templates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createActionSigner, TAMPERED_MESSAGE } from '../../bot/security/signing';
import { PACKAGE_FILE_NAME } from '../../manifest/package';
import { calls, parseValue, type Template } from './arm';
import { appSettings, deployBot, GRANT_FILE, readJson, ROOT, TEMPLATE_FILE } from './deployment';

const DOC_FILE = 'docs/deploy.md';
const doc = fs.readFileSync(path.join(ROOT, DOC_FILE), 'utf8');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const templates: Record<string, Template> = { [TEMPLATE_FILE]: readJson<Template>(TEMPLATE_FILE), [GRANT_FILE]: readJson<Template>(GRANT_FILE) };
const bot = templates[TEMPLATE_FILE]!;

/** The ```sh blocks, with their offsets in the document. */
const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => ({ code: m[1]!, at: m.index! }));

/** Shell commands with their backslash continuations joined. */
const commands = blocks.flatMap((b) => b.code.replace(/\\\n\s*/g, ' ').split('\n')).filter((l) => l.trim() && !l.trim().startsWith('#'));

/** GitHub's heading anchors. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
}
const anchorsOf = (markdown: string) => new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

/** Rows of the markdown table that follows `marker`: the first cell of each, without backticks. */
function tableAfter(marker: string): Array<{ name: string; cells: string[] }> {
  const start = doc.indexOf(marker);
  assert.ok(start >= 0, `${DOC_FILE} has no "${marker}"`);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: Array<{ name: string; cells: string[] }> = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    rows.push({ name: cells[0]!.replace(/`/g, ''), cells });
  }
  return rows;
}

describe('docs/deploy.md', () => {
  it('every shell block is valid bash', () => {
    assert.ok(blocks.length > 20, 'the runbook has its commands');
    for (const b of blocks) {
      const r = spawnSync('bash', ['-n'], { input: b.code, encoding: 'utf8' });
      assert.equal(r.status, 0, `bash -n refused:\n${b.code}\n${r.stderr}`);
    }
  });

  it('every variable a command uses is set earlier in the runbook', () => {
    const assigned = new Map<string, number>();
    for (const b of blocks) {
      for (const m of b.code.matchAll(/(?:^|\s|;|\()(?:local\s+)?([A-Z][A-Z0-9_]*)=|\bfor\s+([A-Z][A-Z0-9_]*)\s+in\b/gm)) {
        const name = m[1] ?? m[2]!;
        if (!assigned.has(name)) assigned.set(name, b.at + m.index!);
      }
    }
    const problems: string[] = [];
    for (const b of blocks) {
      // Single-quoted text is not expanded by the shell.
      const expanded = b.code.replace(/'[^'\n]*'/g, (q) => ' '.repeat(q.length));
      for (const m of expanded.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
        const name = m[1]!;
        if (name === 'HOME') continue;
        const at = assigned.get(name);
        if (at === undefined) problems.push(`${name} is never set`);
        else if (at > b.at + m.index!) problems.push(`${name} is used before it is set`);
      }
    }
    assert.deepEqual([...new Set(problems)], []);
  });

  it('reads only outputs the template has', () => {
    const outputs = Object.keys(bot.outputs ?? {});
    const read = [...doc.matchAll(/\$\(out (\w+)\)/g)].map((m) => m[1]!);
    assert.ok(read.length >= 5);
    for (const name of read) assert.ok(outputs.includes(name), `output ${name} does not exist in ${TEMPLATE_FILE}`);
  });

  it('passes each template only parameters it declares, and every parameter it requires', () => {
    const deployments = commands.filter((c) => /az deployment (group|sub) create/.test(c));
    assert.equal(deployments.length, 3, 'two group deployments (deploy, upgrade) and one subscription deployment');
    for (const c of deployments) {
      const file = /--template-file (\S+)/.exec(c)?.[1];
      assert.ok(file && templates[file], `${c} deploys an unknown template`);
      const declared = templates[file]!.parameters ?? {};
      // Template parameters are camelCase `name=value` words; az's own options are `--name value`.
      const given = new Set([...c.matchAll(/\s([a-z][A-Za-z0-9]*)=/g)].map((m) => m[1]!));
      if (c.includes('--parameters @infra/azuredeploy.parameters.json')) {
        const example = readJson<{ parameters: Record<string, unknown> }>('infra/azuredeploy.parameters.example.json');
        Object.keys(example.parameters).forEach((k) => given.add(k));
      }
      for (const name of given) assert.ok(name in declared, `${file} has no parameter ${name}`);
      for (const [name, p] of Object.entries(declared)) {
        if (!('defaultValue' in p)) assert.ok(given.has(name), `${c}\nmisses the required parameter ${name}`);
      }
    }
  });

  it('the parameter table lists every parameter of the template, and each app setting column names the setting the parameter feeds', () => {
    const rows = tableAfter("The template's parameters");
    assert.deepEqual(rows.map((r) => r.name).sort(), Object.keys(bot.parameters!).sort());
    const settings = bot.resources.find((r) => r.type === 'Microsoft.Web/sites')!;
    const appSettingsSource = (settings.properties as { siteConfig: { appSettings: Array<{ name: string; value: string }> } }).siteConfig.appSettings;
    for (const row of rows) {
      const named = /`([A-Za-z_]+)`/.exec(row.cells[2]!)?.[1];
      const fed = appSettingsSource.filter((s) => {
        const e = parseValue(s.value);
        return e !== undefined && calls(e).some((c) => c.name === 'parameters' && c.args[0]?.kind === 'string' && c.args[0].value === row.name);
      });
      if (row.name === 'actionSecret') {
        assert.equal(named, 'PIM_ACTION_SECRET');
        continue; // reaches the setting through Key Vault
      }
      assert.deepEqual(fed.map((s) => s.name), named ? [named] : [], `parameter ${row.name}`);
      const def = bot.parameters![row.name]!.defaultValue;
      if (typeof def === 'string' && def !== '' && !def.startsWith('[')) assert.ok(row.cells[1]!.includes(`\`${def}\``), `${row.name} defaults to ${def}`);
      if (typeof def === 'number') assert.ok(row.cells[1]!.includes(`\`${def}\``), `${row.name} defaults to ${def}`);
    }
  });

  it('the app settings table lists exactly the settings the template sets', () => {
    const rows = tableAfter('### The app settings the template sets');
    assert.deepEqual(
      rows.map((r) => r.name),
      appSettings(deployBot()).map((s) => s.name),
    );
  });

  it('the Deploy to Azure button URL-encodes the raw template URL it explains', () => {
    const raw = /^RAW_TEMPLATE_URL=(\S+)/m.exec(doc)?.[1];
    assert.ok(raw?.endsWith(`/${TEMPLATE_FILE}`), 'the raw URL points at the template');
    const button = /\]\((https:\/\/portal\.azure\.com\/#create\/Microsoft\.Template\/uri\/([^)\s]+))\)/.exec(doc);
    assert.ok(button, 'the runbook has a Deploy to Azure button');
    assert.equal(button[2], encodeURIComponent(raw!));
    assert.equal(decodeURIComponent(button[2]!), raw);
  });

  it('names only files, npm scripts and roles that exist', () => {
    for (const m of doc.matchAll(/\b((?:infra|docs)\/[\w.-]+\.(?:json|md))\b/g)) {
      if (m[1] === 'infra/azuredeploy.parameters.json') continue; // the operator's copy, made by the runbook
      assert.ok(fs.existsSync(path.join(ROOT, m[1]!)), `${m[1]} does not exist`);
    }
    const scripts = readJson<{ scripts: Record<string, string> }>('package.json').scripts;
    for (const m of doc.matchAll(/npm run ([\w:-]+)/g)) assert.ok(scripts[m[1]!], `npm run ${m[1]} is not a script`);
    assert.ok(doc.includes(`manifest/build/${PACKAGE_FILE_NAME}`), 'the Teams package path is the one npm run package writes');
    const roles = templates[GRANT_FILE]!.parameters!.role!.allowedValues as string[];
    for (const role of roles) assert.ok(doc.includes(`"${role}"`), `the runbook offers ${role}`);
    const gitignore = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n');
    assert.ok(gitignore.includes('infra/azuredeploy.parameters.json'), 'the operator\'s parameters copy stays out of git, as the runbook says');
    assert.ok(gitignore.includes('/pim-alerts.zip'), 'the code package stays out of git');
  });

  it('every link to a heading resolves, in the runbook and in the README', () => {
    const own = anchorsOf(doc);
    for (const m of doc.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(own.has(m[1]!), `#${m[1]} is not a heading of ${DOC_FILE}`);
    const readmeAnchors = anchorsOf(readme);
    for (const m of doc.matchAll(/\]\(\.\.\/README\.md#([^)]+)\)/g)) {
      assert.ok(readmeAnchors.has(m[1]!), `README.md has no section #${m[1]}`);
    }
  });

  it('says truly what a rotation does to buttons already posted, and how long a deleted vault is kept', () => {
    assert.ok(doc.includes(TAMPERED_MESSAGE), 'the runbook quotes the answer a click on an old button gets');
    const before = createActionSigner({ secret: 'x'.repeat(48) });
    const after = createActionSigner({ secret: 'y'.repeat(48) });
    const verdict = after.verify(before.sign({ verb: 'dismiss', scope: 'subscriptions/x', alert: 'a' }));
    assert.deepEqual(verdict, { ok: false, code: 'BadSignature', message: TAMPERED_MESSAGE });
    const vault = bot.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults')!;
    const days = (vault.properties as { softDeleteRetentionInDays: number }).softDeleteRetentionInDays;
    assert.ok(doc.includes(`kept for ${days} days`));
  });
});

describe('README: Deploying to Azure', () => {
  it('points at the runbook and the templates', () => {
    const start = readme.indexOf('## Deploying to Azure');
    assert.ok(start >= 0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    for (const target of ['docs/deploy.md', 'infra/azuredeploy.json', 'infra/grant-scope.json', 'test/infra/']) {
      assert.ok(section.includes(target), `the section names ${target}`);
      assert.ok(fs.existsSync(path.join(ROOT, target)), `${target} exists`);
    }
  });
});
