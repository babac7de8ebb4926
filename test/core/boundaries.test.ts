// botbuilder stays at the edge: only bot/edge/ and the botbuilder sender (bot/delivery/botframework.ts)
// import the Bot Framework SDK; the core, handlers, digests, delivery and the store speak the bot's
// own types (bot/core/conversation.ts), so a successor SDK touches those files only. And the
// composition root builds every service with what it needs up front, setting nothing afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const BOT = path.join(ROOT, 'bot');
const ALLOWED = [/^bot\/edge\//, /^bot\/delivery\/botframework\.ts$/];
/** Every way a module is pulled in: import/export … from, bare import, require(), import(). */
const IMPORT = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g;
const BOT_FRAMEWORK = /^(botbuilder|botframework-[a-z-]+)(\/|$)/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Bot Framework modules a source file imports, comments left out. */
export function botFrameworkImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1]!).filter((m) => BOT_FRAMEWORK.test(m));
}

describe('boundaries', () => {
  it('only bot/edge/ and the botbuilder sender import botbuilder or botframework-*', () => {
    const offenders = sources(BOT)
      .map((file) => ({ file: path.relative(ROOT, file).split(path.sep).join('/'), imports: botFrameworkImports(fs.readFileSync(file, 'utf8')) }))
      .filter((f) => f.imports.length > 0 && !ALLOWED.some((a) => a.test(f.file)));
    assert.deepEqual(offenders, []);
  });

  it('the check sees every spelling of an import, and not a comment', () => {
    assert.deepEqual(botFrameworkImports("import type { Activity } from 'botbuilder';"), ['botbuilder']);
    assert.deepEqual(botFrameworkImports("export { x } from \"botframework-connector\";"), ['botframework-connector']);
    assert.deepEqual(botFrameworkImports("const b = require('botbuilder/lib/x');"), ['botbuilder/lib/x']);
    assert.deepEqual(botFrameworkImports("type A = import('botbuilder').Activity;"), ['botbuilder']);
    assert.deepEqual(botFrameworkImports("// what botbuilder does with a failed send\n/* from 'botbuilder' */ const x = 1;"), []);
    assert.deepEqual(botFrameworkImports("import { a } from 'bottleneck';"), []);
  });

  it('the composition root sets nothing on deps after building it', () => {
    const app = fs.readFileSync(path.join(BOT, 'app.ts'), 'utf8');
    assert.deepEqual(app.match(/\bdeps\.[A-Za-z]+\s*=(?!=)/g) ?? [], []);
  });
});
