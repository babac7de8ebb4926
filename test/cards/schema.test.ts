import assert from 'node:assert/strict';
import { TEMPLATE_NAMES } from '../../cards/render';
import { MAX_CARD_CHARS, cardChars } from '../../cards/size';
import { allCardCases, type CardCase } from './cases';
import { assertValidCard, cardProblems, collectActions } from './validateCard';

describe('cards: every variant is a valid Adaptive Card 1.5', () => {
  let cases: CardCase[];
  before(() => {
    cases = allCardCases();
  });

  it('covers every template', () => {
    const covered = new Set(cases.map((c) => c.template));
    assert.deepEqual([...TEMPLATE_NAMES].sort(), [...covered].sort());
  });

  it('validates each variant against the schema and the bot rules, under the size budget', () => {
    for (const c of cases) {
      assertValidCard(c.card, c.name);
      assert.equal(c.card.version, '1.5', c.name);
      assert.ok(cardChars(c.card) <= MAX_CARD_CHARS, `${c.name} is ${cardChars(c.card)} chars`);
    }
  });

  it('every action carries the unsigned { a: payload } data with the same verb', () => {
    for (const c of cases) {
      for (const action of collectActions(c.card)) {
        const data = action.data as { a?: { verb?: string } };
        assert.equal(data.a?.verb, action.verb, `${c.name}: ${String(action.title)}`);
      }
    }
  });

  it('colours text only with colours that read in Teams light, dark and high-contrast themes', () => {
    // Teams' light theme draws `warning` as #f8d22a and `good` as #92c353: pale on white.
    const readable = new Set([undefined, 'default', 'accent', 'attention']);
    for (const c of cases) {
      for (const block of textBlocks(c.card)) {
        assert.ok(readable.has(block.color as string | undefined), `${c.name}: "${String(block.text)}" is coloured ${String(block.color)}`);
      }
    }
  });

  it('never shows a severity by colour alone: every coloured severity carries its marker', () => {
    let seen = 0;
    for (const c of cases) {
      for (const block of textBlocks(c.card)) {
        const text = String(block.text);
        if (!/^(?:\S+ )?(High|Medium|Low)( severity|$)/.test(text) || block.color === undefined) continue;
        seen++;
        assert.match(text, /^(■■■ High|■■□ Medium|■□□ Low)/, `${c.name}: "${text}"`);
      }
    }
    assert.ok(seen > 10, `checked ${seen} severities`);
  });

  describe('the validator itself', () => {
    const good = () => JSON.parse(JSON.stringify(cases[0]?.card)) as Record<string, unknown>;

    it('rejects an unknown element type', () => {
      const card = good();
      (card.body as unknown[]).push({ type: 'TextBlok', text: 'x' });
      assert.ok(cardProblems(card).some((p) => p.startsWith('schema:')));
    });

    it('rejects an unexpanded binding, another version and a non-Execute action', () => {
      const card = good();
      card.version = '1.4';
      (card.body as unknown[]).push({ type: 'TextBlock', text: '${missing}' });
      (card.body as unknown[]).push({ type: 'ActionSet', actions: [{ type: 'Action.Submit', title: 'Old', data: {} }] });
      const problems = cardProblems(card).join('\n');
      assert.match(problems, /version is "1\.4"/);
      assert.match(problems, /unexpanded binding/);
      assert.match(problems, /not Action\.Execute/);
    });

    it('accepts the msteams extension by stripping it before validation', () => {
      const card = good();
      assert.ok('msteams' in card);
      assert.deepEqual(cardProblems(card), []);
    });
  });
});

function textBlocks(card: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'TextBlock') out.push(n);
    for (const v of Object.values(n)) walk(v);
  };
  walk(card);
  return out;
}
