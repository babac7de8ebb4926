// Validates a rendered card the way a client would judge it: against the official Adaptive Card 1.5
// schema (test/fixtures/adaptivecards, with the in-memory fixes its SOURCES.md lists), plus the rules
// of this bot: version 1.5, every template binding expanded, every button an Action.Execute with a
// verb. Exported so any test that produces a card can check it.
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';

const SCHEMA_PATH = path.join(__dirname, '..', 'fixtures', 'adaptivecards', 'adaptive-card-1.5.json');

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  // The schema uses draft-06's "id"; ajv 8 only knows "$id".
  const s: Record<string, unknown> = { ...schema, $id: schema.id };
  delete s.id;
  const ajv = new Ajv({ strict: false, allErrors: false });
  ajv.addMetaSchema(draft06);
  addFormats(ajv);
  compiled = ajv.compile(s);
  return compiled;
}

/** Teams' `msteams` property is not in the schema (AdaptiveCard has additionalProperties:false). */
function withoutTeamsExtensions(card: unknown): unknown {
  if (!card || typeof card !== 'object' || Array.isArray(card)) return card;
  const { msteams: _msteams, ...rest } = card as Record<string, unknown>;
  return rest;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  if (!errors?.length) return [];
  // anyOf over every element type makes ajv noisy: the deepest paths point at the real problem.
  const deepest = Math.max(...errors.map((e) => e.instancePath.split('/').length));
  return errors
    .filter((e) => e.instancePath.split('/').length === deepest)
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Schema errors of the card (msteams stripped); empty when valid. */
export function schemaErrors(card: unknown): string[] {
  const validate = validator();
  return validate(withoutTeamsExtensions(card)) ? [] : describe(validate.errors);
}

/** Every object in the card whose type is an action (card actions, ActionSets, selectActions). */
export function collectActions(node: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(node)) {
    for (const n of node) collectActions(n, out);
  } else if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if (typeof obj.type === 'string' && obj.type.startsWith('Action.')) out.push(obj);
    for (const [key, value] of Object.entries(obj)) {
      // Action data is the bot's payload, not card structure.
      if (key === 'data' && typeof obj.type === 'string' && obj.type.startsWith('Action.')) continue;
      collectActions(value, out);
    }
  }
  return out;
}

/** Problems with the card: schema errors and this bot's own rules. Empty when the card is good. */
export function cardProblems(card: unknown): string[] {
  const problems = schemaErrors(card).map((e) => `schema: ${e}`);
  const c = card as Record<string, unknown> | null;
  if (!c || c.type !== 'AdaptiveCard') problems.push('type is not AdaptiveCard');
  if (c?.version !== '1.5') problems.push(`version is ${JSON.stringify(c?.version)}, expected "1.5"`);
  const json = JSON.stringify(card);
  const unexpanded = json.indexOf('${');
  if (unexpanded >= 0) problems.push(`unexpanded binding near: ${json.slice(Math.max(0, unexpanded - 60), unexpanded + 60)}`);
  for (const action of collectActions(card)) {
    if (action.type !== 'Action.Execute') problems.push(`action ${JSON.stringify(action.title)} is ${String(action.type)}, not Action.Execute`);
    if (typeof action.verb !== 'string' || action.verb === '') problems.push(`action ${JSON.stringify(action.title)} has no verb`);
    if (!action.data || typeof action.data !== 'object') problems.push(`action ${JSON.stringify(action.title)} has no data object`);
  }
  return problems;
}

/** Throws with every problem listed when the card is not valid. */
export function assertValidCard(card: unknown, label = 'card'): void {
  const problems = cardProblems(card);
  if (problems.length > 0) throw new Error(`${label} is not a valid card:\n  ${problems.join('\n  ')}`);
}
