// A small, strict model of what Azure Resource Manager does with a JSON template, for offline tests:
// it parses template expressions (`"[...]"` strings), scans them for references, and evaluates a
// whole deployment with given parameters and a fake of the runtime values that `reference()`
// returns (a managed identity's client id, a web app's host name...). It implements only the
// functions our templates use, and refuses anything else, so a template change that this model
// does not understand fails a test instead of passing unchecked.
//
// Semantics follow the ARM template function reference (learn.microsoft.com/azure/azure-resource-
// manager/templates/template-functions): case-insensitive function names and property access,
// `''` escapes a quote inside a string literal, a value starting with `[[` is a literal `[`, `if`
// evaluates only the branch it returns. Two functions are deliberately not Azure's algorithm:
// `uniqueString` (13 lowercase base-32 characters, like Azure's, from a different hash) and `guid`
// (a deterministic GUID from a different hash). Tests rely only on their shape and determinism.
import { createHash, randomUUID } from 'node:crypto';

export type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'member'; target: Expr; property: string }
  | { kind: 'index'; target: Expr; index: Expr };

export class ArmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArmError';
  }
}

/** True when ARM evaluates the string as an expression (`[...]`, but not the `[[` escape). */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

type Token = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'punct'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ArmError(`Unterminated string literal in [${src}]`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      out.push({ t: 'str', v: value });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new ArmError(`Unexpected '${c}' in [${src}]`);
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if ('(),.[]'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
    } else {
      throw new ArmError(`Unexpected '${c}' in [${src}]`);
    }
  }
  return out;
}

/** Parses the inside of a `[...]` template expression. */
export function parseExpression(src: string): Expr {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const expectPunct = (v: string) => {
    const tok = tokens[pos];
    if (!tok || tok.t !== 'punct' || tok.v !== v) throw new ArmError(`Expected '${v}' in [${src}]`);
    pos++;
  };
  const primary = (): Expr => {
    const tok = tokens[pos++];
    if (!tok) throw new ArmError(`Unexpected end of [${src}]`);
    if (tok.t === 'str') return { kind: 'string', value: tok.v };
    if (tok.t === 'num') return { kind: 'number', value: tok.v };
    if (tok.t === 'id') {
      expectPunct('(');
      const args: Expr[] = [];
      const next = peek();
      if (next && next.t === 'punct' && next.v === ')') {
        pos++;
      } else {
        for (;;) {
          args.push(expression());
          const sep = tokens[pos++];
          if (sep && sep.t === 'punct' && sep.v === ')') break;
          if (!sep || sep.t !== 'punct' || sep.v !== ',') throw new ArmError(`Expected ',' or ')' in [${src}]`);
        }
      }
      return { kind: 'call', name: tok.v, args };
    }
    throw new ArmError(`Unexpected '${tok.v}' in [${src}]`);
  };
  const expression = (): Expr => {
    let e = primary();
    for (;;) {
      const tok = peek();
      if (tok?.t === 'punct' && tok.v === '.') {
        pos++;
        const prop = tokens[pos++];
        if (!prop || prop.t !== 'id') throw new ArmError(`Expected a property name after '.' in [${src}]`);
        e = { kind: 'member', target: e, property: prop.v };
      } else if (tok?.t === 'punct' && tok.v === '[') {
        pos++;
        const index = expression();
        expectPunct(']');
        e = { kind: 'index', target: e, index };
      } else {
        return e;
      }
    }
  };
  const result = expression();
  if (pos !== tokens.length) throw new ArmError(`Unexpected text after the expression in [${src}]`);
  return result;
}

/** Parses a template string value: an expression, or undefined for a literal. */
export function parseValue(value: string): Expr | undefined {
  return isExpression(value) ? parseExpression(value.slice(1, -1)) : undefined;
}

/** Every call in an expression tree, outermost first. */
export function calls(expr: Expr): Array<Extract<Expr, { kind: 'call' }>> {
  const out: Array<Extract<Expr, { kind: 'call' }>> = [];
  const walk = (e: Expr) => {
    if (e.kind === 'call') {
      out.push(e);
      e.args.forEach(walk);
    } else if (e.kind === 'member') {
      walk(e.target);
    } else if (e.kind === 'index') {
      walk(e.target);
      walk(e.index);
    }
  };
  walk(expr);
  return out;
}

/** Every string in a JSON value, object keys included, with its JSON path. */
export function strings(value: unknown, path = '$'): Array<{ path: string; value: string }> {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [{ path: `${path}{key}`, value: k }, ...strings(v, `${path}.${k}`)]);
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Templates and deployments

export interface TemplateParameter {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
}

export interface TemplateResource {
  type: string;
  apiVersion: string;
  name: string;
  scope?: string;
  condition?: unknown;
  dependsOn?: string[];
  [key: string]: unknown;
}

export interface Template {
  $schema: string;
  contentVersion: string;
  parameters?: Record<string, TemplateParameter>;
  variables?: Record<string, unknown>;
  resources: TemplateResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

export type DeploymentScope = 'resourceGroup' | 'subscription';

export const SCHEMAS: Record<DeploymentScope, string> = {
  resourceGroup: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  subscription: 'https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#',
};

export interface DeploymentContext {
  scope: DeploymentScope;
  subscriptionId: string;
  tenantId: string;
  /** Required for resource-group deployments. */
  resourceGroup?: { name: string; location: string };
  /**
   * What `reference(id, apiVersion)` returns for a resource this template deploys: the runtime
   * properties Azure would hand back (a managed identity's clientId, a site's defaultHostName...).
   * Throw for anything the test does not model.
   */
  runtime: (resource: { type: string; name: string; id: string }) => Record<string, unknown>;
}

/** The public cloud's values of `environment()` that our templates read. */
export const PUBLIC_CLOUD = {
  name: 'AzureCloud',
  resourceManager: 'https://management.azure.com/',
  authentication: { loginEndpoint: 'https://login.microsoftonline.com/', audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'] },
  suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
};

export interface DeployedResource {
  type: string;
  apiVersion: string;
  name: string;
  id: string;
  /** The resource with every expression evaluated (type, name and apiVersion included). */
  body: Record<string, unknown>;
  /** The unevaluated resource, as written in the template. */
  source: TemplateResource;
  /** Lower-cased ids of every resource this resource's body names through resourceId()-like functions or reference(). */
  refs: Set<string>;
  /** Lower-cased ids from dependsOn. */
  dependsOn: string[];
}

export interface Deployment {
  parameters: Record<string, unknown>;
  variable: (name: string) => unknown;
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
  /** Every reference() call made: the id it named and the apiVersion it passed. */
  referenceCalls: Array<{ id: string; apiVersion: string | undefined }>;
  find: (type: string, name?: string) => DeployedResource;
  findAll: (type: string) => DeployedResource[];
  /** What reference() returns for a deployed resource, by id. */
  runtimeOf: (id: string) => Record<string, unknown>;
}

const lower = (s: string) => s.toLowerCase();

function getProperty(target: unknown, property: string, where: string): unknown {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    throw new ArmError(`Cannot read '${property}' of ${JSON.stringify(target)} (${where})`);
  }
  const key = Object.keys(target).find((k) => lower(k) === lower(property));
  if (key === undefined) throw new ArmError(`Property '${property}' does not exist on ${JSON.stringify(target).slice(0, 200)} (${where})`);
  return (target as Record<string, unknown>)[key];
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function hash(algorithm: string, parts: unknown[]): Buffer {
  return createHash(algorithm).update(JSON.stringify(parts)).digest();
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function fakeUniqueString(parts: string[]): string {
  const bytes = hash('sha256', parts);
  let out = '';
  for (let i = 0; i < 13; i++) out += BASE32[bytes[i]! % 32];
  return out;
}

export function fakeGuid(parts: string[]): string {
  const h = hash('sha1', parts).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function splitType(type: string): { namespace: string; types: string[] } {
  const [namespace, ...types] = type.split('/');
  if (!namespace || types.length === 0 || types.some((t) => !t)) throw new ArmError(`'${type}' is not a resource type (Namespace/type[/childType])`);
  return { namespace, types };
}

/** `Ns/t1/t2` + `[n1, n2]` → `Ns/t1/n1/t2/n2`. */
function typedPath(type: string, names: string[]): string {
  const { namespace, types } = splitType(type);
  if (types.length !== names.length) {
    throw new ArmError(`Resource type '${type}' needs ${types.length} name segment(s), got ${names.length} (${names.join('/')})`);
  }
  return [namespace, ...types.flatMap((t, i) => [t, names[i]!])].join('/');
}

const FUNCTIONS_NEEDING_DEFAULTS = new Set(['newguid', 'utcnow']);

/** The names of every function this model evaluates (lower case). */
export const KNOWN_FUNCTIONS = new Set([
  'parameters', 'variables', 'concat', 'format', 'resourceid', 'subscriptionresourceid', 'tenantresourceid', 'extensionresourceid',
  'reference', 'uniquestring', 'guid', 'tolower', 'toupper', 'take', 'if', 'equals', 'empty', 'not', 'and', 'or', 'length',
  'createarray', 'createobject', 'union', 'string', 'int', 'bool', 'environment', 'subscription', 'resourcegroup', 'tenant',
  'first', 'last', 'split', 'replace', 'contains', 'coalesce', 'true', 'false', 'newguid', 'utcnow',
]);

export function deploy(template: Template, supplied: Record<string, unknown>, ctx: DeploymentContext): Deployment {
  if (ctx.scope === 'resourceGroup' && !ctx.resourceGroup) throw new ArmError('A resource-group deployment needs a resource group.');
  const declared = template.parameters ?? {};
  const variables = template.variables ?? {};
  const subscriptionPrefix = `/subscriptions/${ctx.subscriptionId}`;
  const scopePrefix = ctx.scope === 'resourceGroup' ? `${subscriptionPrefix}/resourceGroups/${ctx.resourceGroup!.name}` : subscriptionPrefix;

  // Resources are known by id once their names are evaluated; reference() looks them up here.
  const byId = new Map<string, { type: string; name: string; id: string }>();
  const referenceCalls: Deployment['referenceCalls'] = [];
  let recorder: Set<string> | undefined;
  const record = (id: string) => recorder?.add(lower(id));

  const params: Record<string, unknown> = {};
  const variableCache = new Map<string, { value: unknown; refs: Set<string> }>();
  const variableStack: string[] = [];

  const variable = (name: string): unknown => {
    if (!Object.prototype.hasOwnProperty.call(variables, name)) throw new ArmError(`variables('${name}') is not declared`);
    const cached = variableCache.get(name);
    if (cached) {
      cached.refs.forEach((r) => recorder?.add(r));
      return cached.value;
    }
    if (variableStack.includes(name)) throw new ArmError(`variables('${name}') refers to itself (${[...variableStack, name].join(' → ')})`);
    variableStack.push(name);
    const outer = recorder;
    const refs = new Set<string>();
    recorder = refs;
    try {
      const value = evaluate(variables[name], `variables.${name}`, false);
      variableCache.set(name, { value, refs });
      return value;
    } finally {
      recorder = outer;
      refs.forEach((r) => recorder?.add(r));
      variableStack.pop();
    }
  };

  const resourceIdArgs = (args: string[], fn: string): { prefix: string; rest: string[] } => {
    // resourceId([subscriptionId], [resourceGroupName], type, names...): the type is the first
    // argument that contains a slash.
    const typeAt = args.findIndex((a) => a.includes('/'));
    if (typeAt < 0) throw new ArmError(`${fn}(${args.join(', ')}) names no resource type`);
    const before = args.slice(0, typeAt);
    if (fn === 'resourceId') {
      if (before.length === 0) return { prefix: scopePrefix, rest: args.slice(typeAt) };
      if (before.length === 1) return { prefix: `${subscriptionPrefix}/resourceGroups/${before[0]}`, rest: args.slice(typeAt) };
      if (before.length === 2) return { prefix: `/subscriptions/${before[0]}/resourceGroups/${before[1]}`, rest: args.slice(typeAt) };
    }
    if (fn === 'subscriptionResourceId') {
      if (before.length === 0) return { prefix: subscriptionPrefix, rest: args.slice(typeAt) };
      if (before.length === 1) return { prefix: `/subscriptions/${before[0]}`, rest: args.slice(typeAt) };
    }
    if (fn === 'tenantResourceId' && before.length === 0) return { prefix: '', rest: args.slice(typeAt) };
    throw new ArmError(`${fn}(${args.join(', ')}) has too many arguments before the type`);
  };

  const strArgs = (values: unknown[], fn: string): string[] =>
    values.map((v, i) => {
      if (typeof v !== 'string') throw new ArmError(`${fn}: argument ${i + 1} must be a string, got ${typeOf(v)}`);
      return v;
    });

  const call = (name: string, argExprs: Expr[], where: string, allowDefaultsOnly: boolean): unknown => {
    const fn = lower(name);
    if (!KNOWN_FUNCTIONS.has(fn)) throw new ArmError(`Function '${name}' is not modelled by test/infra/arm.ts (${where})`);
    if (FUNCTIONS_NEEDING_DEFAULTS.has(fn) && !allowDefaultsOnly) {
      throw new ArmError(`${name}() may only be used in a parameter's defaultValue (${where})`);
    }
    if (fn === 'if') {
      if (argExprs.length !== 3) throw new ArmError(`if() takes 3 arguments (${where})`);
      const cond = ev(argExprs[0]!, where, allowDefaultsOnly);
      if (typeof cond !== 'boolean') throw new ArmError(`if(): the condition must be a boolean, got ${typeOf(cond)} (${where})`);
      return ev(cond ? argExprs[1]! : argExprs[2]!, where, allowDefaultsOnly);
    }
    const args = argExprs.map((a) => ev(a, where, allowDefaultsOnly));
    const arity = (min: number, max = min) => {
      if (args.length < min || args.length > max) throw new ArmError(`${name}() takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length} (${where})`);
    };
    switch (fn) {
      case 'parameters': {
        arity(1);
        const [p] = strArgs(args, name);
        if (!Object.prototype.hasOwnProperty.call(params, p!)) throw new ArmError(`parameters('${p}') is not declared (${where})`);
        return params[p!];
      }
      case 'variables':
        arity(1);
        return variable(strArgs(args, name)[0]!);
      case 'concat':
        if (args.every(Array.isArray)) return (args as unknown[][]).flat();
        return strArgs(args, name).join('');
      case 'format': {
        const [fmt, ...rest] = args;
        if (typeof fmt !== 'string') throw new ArmError(`format(): the format must be a string (${where})`);
        return fmt.replace(/\{(\d+)(:[^}]*)?\}/g, (_m, i: string, spec: string | undefined) => {
          if (spec) throw new ArmError(`format(): format specifiers are not modelled (${where})`);
          const v = rest[Number(i)];
          if (v === undefined) throw new ArmError(`format(): no argument {${i}} (${where})`);
          return typeof v === 'string' ? v : JSON.stringify(v);
        });
      }
      case 'resourceid':
      case 'subscriptionresourceid':
      case 'tenantresourceid': {
        const fnName = fn === 'resourceid' ? 'resourceId' : fn === 'subscriptionresourceid' ? 'subscriptionResourceId' : 'tenantResourceId';
        const { prefix, rest } = resourceIdArgs(strArgs(args, name), fnName);
        const id = `${prefix}/providers/${typedPath(rest[0]!, rest.slice(1))}`;
        record(id);
        return id;
      }
      case 'extensionresourceid': {
        const [scopeId, type, ...names] = strArgs(args, name);
        if (!scopeId!.startsWith('/')) throw new ArmError(`extensionResourceId(): the scope must be a resource id (${where})`);
        const id = `${scopeId}/providers/${typedPath(type!, names)}`;
        record(id);
        return id;
      }
      case 'reference': {
        arity(1, 3);
        const [id, apiVersion, full] = args;
        if (typeof id !== 'string' || !id.startsWith('/')) {
          throw new ArmError(`reference() must name a resource by its id (resourceId(...)), got ${JSON.stringify(id)} (${where})`);
        }
        if (full !== undefined) throw new ArmError(`reference(..., 'Full') is not modelled (${where})`);
        const target = byId.get(lower(id));
        if (!target) throw new ArmError(`reference('${id}') names a resource this template does not deploy (${where})`);
        referenceCalls.push({ id, apiVersion: apiVersion as string | undefined });
        record(id);
        return ctx.runtime(target);
      }
      case 'uniquestring':
        if (args.length === 0) throw new ArmError(`uniqueString() needs an argument (${where})`);
        return fakeUniqueString(strArgs(args, name));
      case 'guid':
        if (args.length === 0) throw new ArmError(`guid() needs an argument (${where})`);
        return fakeGuid(strArgs(args, name));
      case 'tolower':
        arity(1);
        return strArgs(args, name)[0]!.toLowerCase();
      case 'toupper':
        arity(1);
        return strArgs(args, name)[0]!.toUpperCase();
      case 'take': {
        arity(2);
        const [v, n] = args;
        if (typeof n !== 'number') throw new ArmError(`take(): the count must be a number (${where})`);
        if (typeof v === 'string' || Array.isArray(v)) return v.slice(0, Math.max(0, n));
        throw new ArmError(`take(): expected a string or an array (${where})`);
      }
      case 'equals':
        arity(2);
        return deepEqual(args[0], args[1]);
      case 'empty': {
        arity(1);
        const [v] = args;
        if (v === null || v === undefined) return true;
        if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
        if (typeof v === 'object') return Object.keys(v).length === 0;
        throw new ArmError(`empty(): expected a string, array or object (${where})`);
      }
      case 'not':
        arity(1);
        if (typeof args[0] !== 'boolean') throw new ArmError(`not(): expected a boolean (${where})`);
        return !args[0];
      case 'and':
      case 'or':
        if (args.length < 2 || args.some((a) => typeof a !== 'boolean')) throw new ArmError(`${name}(): expected two or more booleans (${where})`);
        return fn === 'and' ? args.every(Boolean) : args.some(Boolean);
      case 'length': {
        arity(1);
        const [v] = args;
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        if (v !== null && typeof v === 'object') return Object.keys(v).length;
        throw new ArmError(`length(): expected a string, array or object (${where})`);
      }
      case 'createarray':
        return args;
      case 'createobject': {
        if (args.length % 2 !== 0) throw new ArmError(`createObject() takes name/value pairs (${where})`);
        const o: Record<string, unknown> = {};
        for (let i = 0; i < args.length; i += 2) o[strArgs([args[i]], name)[0]!] = args[i + 1];
        return o;
      }
      case 'union':
        if (args.every(Array.isArray)) return [...new Set((args as unknown[][]).flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as unknown);
        if (args.every((a) => a !== null && typeof a === 'object' && !Array.isArray(a))) return Object.assign({}, ...(args as object[]));
        throw new ArmError(`union(): expected only arrays or only objects (${where})`);
      case 'string':
        arity(1);
        return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      case 'int':
        arity(1);
        return Number.parseInt(String(args[0]), 10);
      case 'bool':
        arity(1);
        return args[0] === true || (typeof args[0] === 'string' && lower(args[0]) === 'true') || args[0] === 1;
      case 'true':
        arity(0);
        return true;
      case 'false':
        arity(0);
        return false;
      case 'environment':
        arity(0);
        return PUBLIC_CLOUD;
      case 'subscription':
        arity(0);
        return { id: subscriptionPrefix, subscriptionId: ctx.subscriptionId, tenantId: ctx.tenantId, displayName: 'Test subscription' };
      case 'resourcegroup':
        arity(0);
        if (ctx.scope !== 'resourceGroup') throw new ArmError(`resourceGroup() is not available in a ${ctx.scope} deployment (${where})`);
        return { id: scopePrefix, name: ctx.resourceGroup!.name, location: ctx.resourceGroup!.location, type: 'Microsoft.Resources/resourceGroups' };
      case 'tenant':
        arity(0);
        return { tenantId: ctx.tenantId, countryCode: 'US', displayName: 'Test tenant' };
      case 'first':
      case 'last': {
        arity(1);
        const [v] = args;
        if (typeof v !== 'string' && !Array.isArray(v)) throw new ArmError(`${name}(): expected a string or an array (${where})`);
        return fn === 'first' ? v[0] : v[v.length - 1];
      }
      case 'split': {
        arity(2);
        const [s, sep] = strArgs(args, name);
        return s!.split(sep!);
      }
      case 'replace': {
        arity(3);
        const [s, from, to] = strArgs(args, name);
        return s!.split(from!).join(to!);
      }
      case 'contains': {
        arity(2);
        const [container, item] = args;
        if (typeof container === 'string') return container.toLowerCase().includes(String(item).toLowerCase());
        if (Array.isArray(container)) return container.some((v) => deepEqual(v, item));
        if (container !== null && typeof container === 'object') return Object.keys(container).some((k) => lower(k) === lower(String(item)));
        throw new ArmError(`contains(): expected a string, array or object (${where})`);
      }
      case 'coalesce':
        return args.find((a) => a !== null && a !== undefined) ?? null;
      case 'newguid':
        arity(0);
        return randomUUID();
      case 'utcnow':
        return new Date().toISOString();
      default:
        throw new ArmError(`Function '${name}' is not modelled (${where})`);
    }
  };

  const ev = (e: Expr, where: string, allowDefaultsOnly: boolean): unknown => {
    switch (e.kind) {
      case 'string':
        return e.value;
      case 'number':
        return e.value;
      case 'call':
        return call(e.name, e.args, where, allowDefaultsOnly);
      case 'member':
        return getProperty(ev(e.target, where, allowDefaultsOnly), e.property, where);
      case 'index': {
        const target = ev(e.target, where, allowDefaultsOnly);
        const index = ev(e.index, where, allowDefaultsOnly);
        if (Array.isArray(target) && typeof index === 'number') {
          if (index < 0 || index >= target.length) throw new ArmError(`Index ${index} is out of range (${where})`);
          return target[index];
        }
        if (typeof index === 'string') return getProperty(target, index, where);
        throw new ArmError(`Cannot index ${typeOf(target)} with ${typeOf(index)} (${where})`);
      }
    }
  };

  const evaluate = (value: unknown, where: string, allowDefaultsOnly: boolean): unknown => {
    if (typeof value === 'string') {
      if (value.startsWith('[[')) return value.slice(1);
      const expr = parseValue(value);
      return expr ? ev(expr, where, allowDefaultsOnly) : value;
    }
    if (Array.isArray(value)) return value.map((v, i) => evaluate(v, `${where}[${i}]`, allowDefaultsOnly));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const key = evaluate(k, `${where}{key ${k}}`, allowDefaultsOnly);
        if (typeof key !== 'string') throw new ArmError(`A property name must evaluate to a string (${where})`);
        out[key] = evaluate(v, `${where}.${k}`, allowDefaultsOnly);
      }
      return out;
    }
    return value;
  };

  // 1. Parameters: supplied values, else defaults; checked against their declarations.
  for (const name of Object.keys(supplied)) {
    if (!Object.prototype.hasOwnProperty.call(declared, name)) throw new ArmError(`Parameter '${name}' is supplied but the template does not declare it`);
  }
  for (const [name, decl] of Object.entries(declared)) {
    let value: unknown;
    if (Object.prototype.hasOwnProperty.call(supplied, name)) value = supplied[name];
    else if (Object.prototype.hasOwnProperty.call(decl, 'defaultValue')) value = evaluate(decl.defaultValue, `parameters.${name}.defaultValue`, true);
    else throw new ArmError(`Parameter '${name}' has no value and no default`);
    checkParameter(name, decl, value);
    params[name] = value;
  }

  // 2. Resources: names first (reference() may name any resource), then bodies.
  const included = template.resources.filter((r, i) => r.condition === undefined || evaluate(r.condition, `resources[${i}].condition`, false) === true);
  const heads = included.map((r, i) => {
    const where = `resources[${i}] (${r.type})`;
    const name = evaluate(r.name, `${where}.name`, false);
    if (typeof name !== 'string') throw new ArmError(`${where}: the name must be a string`);
    const names = name.split('/');
    let id: string;
    if (r.scope !== undefined) {
      const scope = evaluate(r.scope, `${where}.scope`, false);
      if (typeof scope !== 'string') throw new ArmError(`${where}: the scope must be a string`);
      const scopeId = scope.startsWith('/') ? scope : `${scopePrefix}/providers/${scope}`;
      id = `${scopeId}/providers/${typedPath(r.type, names)}`;
    } else {
      id = `${scopePrefix}/providers/${typedPath(r.type, names)}`;
    }
    if (byId.has(lower(id))) throw new ArmError(`${where}: a second resource with the id ${id}`);
    const head = { type: r.type, name, id };
    byId.set(lower(id), head);
    return head;
  });
  const resources: DeployedResource[] = included.map((r, i) => {
    const refs = new Set<string>();
    recorder = refs;
    try {
      const body = evaluate(r, `resources[${i}] (${r.type})`, false) as Record<string, unknown>;
      const dependsOn = ((body.dependsOn as string[] | undefined) ?? []).map(lower);
      return { type: r.type, apiVersion: String(body.apiVersion), name: heads[i]!.name, id: heads[i]!.id, body, source: r, refs, dependsOn };
    } finally {
      recorder = undefined;
    }
  });

  // 3. Outputs.
  const outputs: Record<string, unknown> = {};
  for (const [name, out] of Object.entries(template.outputs ?? {})) outputs[name] = evaluate(out.value, `outputs.${name}`, false);

  const findAll = (type: string) => resources.filter((r) => lower(r.type) === lower(type));
  const find = (type: string, name?: string) => {
    const hits = findAll(type).filter((r) => name === undefined || r.name === name);
    if (hits.length !== 1) throw new ArmError(`Expected one ${type}${name ? ` named ${name}` : ''}, found ${hits.length}`);
    return hits[0]!;
  };
  const runtimeOf = (id: string) => {
    const target = byId.get(lower(id));
    if (!target) throw new ArmError(`${id} is not deployed by this template`);
    return ctx.runtime(target);
  };
  return { parameters: params, variable, resources, outputs, referenceCalls, find, findAll, runtimeOf };
}

function checkParameter(name: string, decl: TemplateParameter, value: unknown): void {
  const type = lower(decl.type);
  const expected = type === 'int' ? 'number' : type === 'securestring' ? 'string' : type === 'secureobject' ? 'object' : type;
  if (typeOf(value) !== expected) throw new ArmError(`Parameter '${name}' must be ${decl.type}, got ${typeOf(value)}`);
  if (decl.allowedValues && !decl.allowedValues.some((a) => deepEqual(a, value))) {
    throw new ArmError(`Parameter '${name}' must be one of ${JSON.stringify(decl.allowedValues)}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    if (decl.minLength !== undefined && value.length < decl.minLength) throw new ArmError(`Parameter '${name}' is shorter than ${decl.minLength}`);
    if (decl.maxLength !== undefined && value.length > decl.maxLength) throw new ArmError(`Parameter '${name}' is longer than ${decl.maxLength}`);
  }
  if (typeof value === 'number') {
    if (decl.minValue !== undefined && value < decl.minValue) throw new ArmError(`Parameter '${name}' is below ${decl.minValue}`);
    if (decl.maxValue !== undefined && value > decl.maxValue) throw new ArmError(`Parameter '${name}' is above ${decl.maxValue}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Static checks (no evaluation): every reference in every expression resolves.

export interface ReferenceProblem {
  path: string;
  problem: string;
}

/**
 * Scans every expression of a template (values and property names, in parameters' defaults,
 * variables, resources and outputs) and reports calls that do not resolve: parameters() and
 * variables() must name something declared, with a literal; resourceId()-like functions and
 * reference() must name a resource type the template deploys, or one of `externalTypes`;
 * every function must be one this model knows. Also reports parameters and variables nobody uses.
 */
export function unresolvedReferences(template: Template, externalTypes: readonly string[] = []): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const parameters = new Set(Object.keys(template.parameters ?? {}));
  const variables = new Set(Object.keys(template.variables ?? {}));
  const types = new Set([...template.resources.map((r) => lower(r.type)), ...externalTypes.map(lower)]);
  const usedParameters = new Set<string>();
  const usedVariables = new Set<string>();
  const literal = (e: Expr | undefined) => (e?.kind === 'string' ? e.value : undefined);

  const scanned = { parameters: template.parameters, variables: template.variables, resources: template.resources, outputs: template.outputs };
  for (const { path, value } of strings(scanned)) {
    let expr: Expr | undefined;
    try {
      expr = parseValue(value);
    } catch (err) {
      problems.push({ path, problem: (err as Error).message });
      continue;
    }
    if (!expr) continue;
    for (const c of calls(expr)) {
      const fn = lower(c.name);
      if (!KNOWN_FUNCTIONS.has(fn)) problems.push({ path, problem: `unknown function ${c.name}()` });
      if (fn === 'parameters' || fn === 'variables') {
        const name = literal(c.args[0]);
        const pool = fn === 'parameters' ? parameters : variables;
        if (name === undefined) problems.push({ path, problem: `${c.name}() with a computed name` });
        else if (!pool.has(name)) problems.push({ path, problem: `${c.name}('${name}') is not declared` });
        else (fn === 'parameters' ? usedParameters : usedVariables).add(name);
      }
      if (fn === 'resourceid' || fn === 'subscriptionresourceid' || fn === 'tenantresourceid' || fn === 'extensionresourceid') {
        // The type is the first literal argument containing a slash.
        const type = c.args.map(literal).find((a) => a?.includes('/'));
        if (type === undefined) problems.push({ path, problem: `${c.name}() without a literal resource type` });
        else if (!types.has(lower(type))) problems.push({ path, problem: `${c.name}('${type}', …) names a type this template does not deploy` });
      }
      if (fn === 'reference') {
        const target = c.args[0];
        const ok = target?.kind === 'call' && (lower(target.name) === 'resourceid' || lower(target.name) === 'variables');
        if (!ok) problems.push({ path, problem: 'reference() must name its resource through resourceId() or a variable holding one' });
      }
    }
  }
  for (const p of parameters) if (!usedParameters.has(p)) problems.push({ path: `$.parameters.${p}`, problem: `parameter '${p}' is never used` });
  for (const v of variables) if (!usedVariables.has(v)) problems.push({ path: `$.variables.${v}`, problem: `variable '${v}' is never used` });
  return problems;
}

/** Follows `[variables('x')]` to the expression that variable holds (repeatedly). */
export function resolveVariables(template: Template, value: string): string {
  let current = value;
  for (let i = 0; i < 20; i++) {
    const expr = parseValue(current);
    if (!expr || expr.kind !== 'call' || lower(expr.name) !== 'variables' || expr.args[0]?.kind !== 'string') return current;
    const next = template.variables?.[expr.args[0].value];
    if (typeof next !== 'string') return current;
    current = next;
  }
  throw new ArmError(`Too many nested variables behind ${value}`);
}
