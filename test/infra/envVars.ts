// Which environment variables does the bot read? Derived from the source with the TypeScript
// parser rather than kept as a list, so a variable another change adds is seen here at once.
// A read is any of:
//   env.NAME, process.env.NAME                    (property access on an object called `env`)
//   env['NAME'], process.env['NAME']              (element access with a string literal)
//   anyHelper(env, 'NAME', ...)                   (the config loader's str/int/bool/oneOf/guidList)
//   const { NAME } = env                          (destructuring)
// where `env` is an identifier named env or the expression process.env.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

function isEnvObject(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === 'env';
  return ts.isPropertyAccessExpression(node) && node.name.text === 'env' && ts.isIdentifier(node.expression) && node.expression.text === 'process';
}

function stringLiteral(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

export interface EnvRead {
  name: string;
  file: string;
  line: number;
}

/** Every environment variable read in one TypeScript source text. */
export function envReadsIn(source: string, file = 'source.ts'): EnvRead[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: EnvRead[] = [];
  const add = (name: string, node: ts.Node) => out.push({ name, file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAccessExpression(node) && isEnvObject(node.expression)) {
      add(node.name.text, node);
    } else if (ts.isElementAccessExpression(node) && isEnvObject(node.expression)) {
      const name = stringLiteral(node.argumentExpression);
      if (name !== undefined) add(name, node);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 2 && isEnvObject(node.arguments[0]!)) {
      const name = stringLiteral(node.arguments[1]);
      if (name !== undefined) add(name, node);
    } else if (ts.isVariableDeclaration(node) && node.initializer && isEnvObject(node.initializer) && ts.isObjectBindingPattern(node.name)) {
      // const { NAME, OTHER: local } = env
      for (const el of node.name.elements) {
        const key = el.propertyName ?? el.name;
        if (ts.isIdentifier(key) || ts.isStringLiteral(key)) add(key.text, el);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every environment variable read by the .ts files under `dir` (recursively). */
export function envReadsUnder(dir: string): EnvRead[] {
  const out: EnvRead[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...envReadsUnder(full));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(...envReadsIn(fs.readFileSync(full, 'utf8'), full));
  }
  return out;
}

/** The names of the variables the bot (everything under bot/) reads. */
export function botEnvVariables(repoRoot: string): Set<string> {
  return new Set(envReadsUnder(path.join(repoRoot, 'bot')).map((r) => r.name));
}
