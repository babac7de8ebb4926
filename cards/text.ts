// Text on cards. Teams renders Markdown in a TextBlock's text and in a Fact's title and value. Its
// documentation lists bold (**x**), italic (_x_), bulleted and numbered lists and links ([t](url))
// as supported, but what each client does goes further: the desktop and web clients and the Agents
// Playground run a CommonMark renderer (react-markdown) that also parses raw HTML, so `<name>` is
// taken for a tag and dropped, `<at>…</at>` is read as a mention, headings, images, code spans and
// entities are understood before unsupported elements are unwrapped; the mobile clients use the
// Adaptive Cards SDK's own parser, which ignores backslash escapes before links and starts a list
// wherever `-` or a number follows a bracket. A backslash escape is therefore not enough: it shows
// as a stray backslash on mobile and does not stop a link there.
//
// So text that came from outside the bot (people's names and UPNs, ARM and Graph display names,
// descriptions, incident fields, error messages, ids, verbs and inputs, stored audit details…) goes
// through `untrustedText`, which makes every construct impossible instead of escaping it, and shows
// the same characters a person typed: an invisible word joiner (U+2060) after the characters that
// open a construct, and look-alikes for the emphasis characters, which no invisible character can
// disarm under CommonMark's flanking rules. The bot's own texts (help usage lines, hints) keep
// their intended formatting but go through `ownText`, so that placeholders such as `<name>` survive
// every client. Card builders apply one or the other to every string they put in a TextBlock or
// Fact; the templates only bind values.

/**
 * U+2060 WORD JOINER: to CommonMark neither whitespace nor punctuation, not an ASCII letter to an
 * HTML parser, never drawn, and (unlike a zero-width space) no place to break a line.
 */
export const WORD_JOINER = '\u2060';

/** After these, a word joiner: `<` (HTML, `<at>`, autolinks), `[` `]` (links, images, references), `&` (entities), `\` (escapes). */
const BREAK_AFTER = new Set(['<', '[', ']', '&', '\\']);

/** Emphasis, strikethrough and code characters, shown as look-alikes that no renderer treats as markup. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ ASTERISK OPERATOR
  '~': '\u223c', // ∼ TILDE OPERATOR
  '`': '\u02cb', // ˋ MODIFIER LETTER GRAVE ACCENT
};
/** ˍ MODIFIER LETTER LOW MACRON, for a `_` that could open or close emphasis (not one inside a word). */
const LOW_LINE_LOOKALIKE = '\u02cd';

// Control characters (whitespace is folded first), zero-width characters and word joiners (the
// only ones left are ours) and bidirectional overrides, which can make a name read backwards.
const DROPPED = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

// A line that starts like this would be a heading, a quote, a list item or a rule.
const BLOCK_START = /^(?:[#>]|[-+](?:\s|-|$)|\d{1,9}[.)](?:\s|$))/;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/**
 * Text from outside the bot, ready for a TextBlock or a Fact: made one line (runs of whitespace,
 * newlines included, become one space; ends trimmed), control, zero-width and bidi-override
 * characters dropped, cut to `max` characters with "…" (counted before the escapes, which add
 * invisible characters), and every Markdown or HTML construct a Teams client could render made
 * inert while the same characters stay visible:
 * - `<`, `[`, `]`, `&` and `\` are followed by U+2060, so no tag, `<at>` mention, autolink, link,
 *   image, reference definition, entity or escape can form; so is a `)` before `-`, `+` or a digit,
 *   where the mobile parser would start a list;
 * - `*`, `~` and `` ` `` become ∗ ∼ ˋ, and a `_` that is not between two letters or digits becomes
 *   ˍ (so `first_last` in a UPN stays as it is);
 * - `://` and `www.` get U+2060 inside, so no client turns a bare URL into a link;
 * - `{{` gets U+2060 inside (Adaptive Cards' date functions);
 * - a heading, quote, list or rule marker at the start gets U+2060 before it.
 * Idempotent: applying it again changes nothing. Empty for null or undefined.
 */
export function untrustedText(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined) return '';
  const flat = String(value).replace(DROPPED, '').replace(/\s+/g, ' ').trim();
  const text = truncate(flat, max);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '_') {
      out += isWordChar(text[i - 1]) && isWordChar(text[i + 1]) ? '_' : LOW_LINE_LOOKALIKE;
    } else if (LOOKALIKES[ch] !== undefined) {
      out += LOOKALIKES[ch];
    } else if (BREAK_AFTER.has(ch)) {
      out += ch + WORD_JOINER;
    } else if (ch === ')' && /[-+\d]/.test(text[i + 1] ?? '')) {
      // The mobile parser starts a block after `)` (and `[`, `]`): a list if `-` or a number follows.
      out += `)${WORD_JOINER}`;
    } else if (ch === ':' && text.startsWith('//', i + 1)) {
      out += `:${WORD_JOINER}`;
    } else if ((ch === 'w' || ch === 'W') && text.slice(i, i + 4).toLowerCase() === 'www.') {
      out += `${text.slice(i, i + 3)}${WORD_JOINER}`;
      i += 2;
    } else if (ch === '{' && text[i + 1] === '{') {
      out += `{${WORD_JOINER}`;
    } else {
      out += ch;
    }
  }
  return BLOCK_START.test(out) ? WORD_JOINER + out : out;
}

/**
 * The bot's own text for a TextBlock or a Fact: kept as written, so its `code` and **bold** still
 * render, except that every `<` is followed by U+2060. Placeholders such as `<name>`, `<incident>`
 * and `<zone>` then show as typed in every client instead of being dropped as unknown HTML tags.
 * Idempotent. Text from outside the bot goes through untrustedText instead.
 */
export function ownText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    out += text[i];
    if (text[i] === '<' && text[i + 1] !== WORD_JOINER) out += WORD_JOINER;
  }
  return out;
}

/** Cuts text to at most `max` characters (UTF-16 units), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  let cut = text.slice(0, max - 1);
  // Do not leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}
