// How Teams reads a card's text, for tests: which fields it renders as Markdown, what a person sees
// in them, and which constructs could render as something other than the characters typed.

/** Every string a Teams client renders as Markdown: TextBlock text, Fact titles and values. */
export function markdownFields(card: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) {
      for (const f of n.facts as Array<{ title?: unknown; value?: unknown }>) {
        if (typeof f.title === 'string') out.push(f.title);
        if (typeof f.value === 'string') out.push(f.value);
      }
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'data') walk(value);
  };
  walk(card);
  return out;
}

const LOOKALIKES: Readonly<Record<string, string>> = { '\u2217': '*', '\u223c': '~', '\u02cb': '`', '\u02cd': '_' };

/** What a person reads: word joiners are invisible and the look-alikes read as the characters they stand for. */
export function shownText(text: string): string {
  return text.replace(/\u2060/g, '').replace(/[\u2217\u223c\u02cb\u02cd]/g, (c) => LOOKALIKES[c] ?? c);
}

/**
 * The kinds of Markdown or HTML a Teams client could render in this text, one entry per occurrence
 * (desktop and web: CommonMark with raw HTML; mobile: the Adaptive Cards SDK's parser). Plain
 * text gives an empty list. Deliberately wide: anything that could start a construct counts.
 */
export function markupIn(text: string): string[] {
  const found: string[] = [];
  const count = (kind: string, re: RegExp) => {
    for (const _ of text.matchAll(re)) found.push(kind);
  };
  count('link, image or reference', /\][([:]/g);
  count('HTML tag, <at> mention or autolink', /<[A-Za-z/!?]/g);
  count('entity', /&(?:#\d|#x[0-9a-f]|[a-z])/gi);
  count('backslash escape', /\\[!-/:-@[-`{-~]/g);
  count('emphasis', /[*~]/g);
  count('code', /`/g);
  count('emphasis (_)', /(?:^|[^\p{L}\p{N}])_|_(?:$|[^\p{L}\p{N}])/gu);
  count('bare URL', /:\/\/|www\./gi);
  count('card function', /\{\{/g);
  count('block at a line start', /^[ \t]{0,3}(?:#{1,6}(?:\s|$)|>|[-+*](?:\s|$)|\d{1,9}[.)](?:\s|$)|(?:[-*_][ \t]*){3,}$)/gm);
  count('list after a bracket (mobile)', /[[\])](?:-\s|\d+\.\s)/g);
  return found;
}
