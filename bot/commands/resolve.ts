// Turns what a person typed ("owners", "2", "Contoso Prod") into one alert or one scope from the
// data the bot has loaded. Pure functions: the caller passes the lists in.
//
// Matching goes from strict to loose and stops at the first level that matches anything, so an
// exact name always beats a fragment that also matches a longer name:
//   1. exact (alert id / scope id / display name, ignoring case, spaces and punctuation)
//   2. the typed text is a fragment of the id or display name (ignoring case, spaces, punctuation)
//   3. every typed word starts a word of the name, in any order ("owners perm", "dup role")
// One match resolves; several at the same level is Ambiguous and names them all.

export type ResolveFailure = {
  ok: false;
  code: 'NotFound' | 'Ambiguous';
  /** One plain sentence saying what went wrong and what to type instead. */
  message: string;
  /** Alert ids or scope ids: the ambiguous matches, or near misses for NotFound (may be empty). */
  candidates: string[];
};

export type AlertResolution = { ok: true; alertId: string } | ResolveFailure;
export type ScopeResolution = { ok: true; scope: string; /** 1-based position in the list given. */ position: number } | ResolveFailure;

export interface AlertChoice {
  /** The alert name (last segment of the alert id), e.g. DuplicateRoleCreated. */
  id: string;
  displayName?: string;
}

export interface ScopeChoice {
  /** ARM scope, e.g. /subscriptions/<guid> or /providers/Microsoft.Management/managementGroups/<name>. */
  scope: string;
  displayName?: string;
}

/** Shorter fragments than this match too much to be useful ("a" is in every alert name). */
export const MIN_FRAGMENT_LENGTH = 3;

/** Lower case, letters and digits only: "Too many owners" and "TooManyOwners" compare equal. */
export function compact(s: string): string {
  return s.normalize('NFKD').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Words of a display name or of a PascalCase id: "AzureRolesAssignedOutsidePimAlert" → azure roles … alert. */
export function words(s: string): string[] {
  return s
    .normalize('NFKD')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), so the common typo
 * "alrets" is one edit from "alerts".
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How many typos a word of this length may have and still count as a near miss. */
function typoBudget(word: string): number {
  return word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
}

function shown(s: string): string {
  const t = s.trim();
  return `"${t.length > 60 ? `${t.slice(0, 57)}...` : t}"`;
}

function listing(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

interface Candidate {
  key: string;
  /** Whole names compared exactly and as fragments. */
  names: string[];
}

type Match = { kind: 'one'; key: string } | { kind: 'many'; keys: string[] } | { kind: 'none'; nearMisses: string[] };

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

function decide(keys: readonly string[]): Match | undefined {
  const u = unique(keys);
  if (u.length === 1) return { kind: 'one', key: u[0]! };
  if (u.length > 1) return { kind: 'many', keys: u };
  return undefined;
}

function match(typed: string, candidates: readonly Candidate[]): Match {
  const query = compact(typed);
  if (query === '') return { kind: 'none', nearMisses: [] };

  const exact = decide(candidates.filter((c) => c.names.some((n) => compact(n) === query)).map((c) => c.key));
  if (exact) return exact;

  if (query.length >= MIN_FRAGMENT_LENGTH) {
    const fragment = decide(candidates.filter((c) => c.names.some((n) => compact(n).includes(query))).map((c) => c.key));
    if (fragment) return fragment;

    const typedWords = words(typed);
    const prefixes = decide(
      candidates
        .filter((c) => {
          const own = c.names.flatMap(words);
          return typedWords.every((w) => own.some((o) => o.startsWith(w)));
        })
        .map((c) => c.key),
    );
    if (prefixes) return prefixes;
  }

  // Nothing matched: offer names where every typed word is a small typo away from one of their words.
  if (query.length < MIN_FRAGMENT_LENGTH) return { kind: 'none', nearMisses: [] };
  const typedWords = words(typed);
  const nearMisses = candidates
    .filter((c) => {
      const own = c.names.flatMap(words);
      return typedWords.length > 0 && typedWords.every((w) => own.some((o) => editDistance(w, o) <= typoBudget(w) || (w.length >= 4 && editDistance(w, o.slice(0, w.length)) <= typoBudget(w))));
    })
    .map((c) => c.key);
  return { kind: 'none', nearMisses: unique(nearMisses) };
}

/**
 * Finds one alert by its id (DuplicateRoleCreated), display name ("Duplicate role created") or an
 * unambiguous fragment ("duplicate", "permanent", "outside").
 */
export function resolveAlert(name: string, alerts: readonly AlertChoice[]): AlertResolution {
  const candidates = alerts.map((a) => ({ key: a.id, names: a.displayName ? [a.id, a.displayName] : [a.id] }));
  const m = match(name, candidates);
  if (m.kind === 'one') return { ok: true, alertId: m.key };
  if (m.kind === 'many') {
    return {
      ok: false,
      code: 'Ambiguous',
      message: `${shown(name)} matches ${m.keys.length} alerts, ${listing(m.keys)}: type more of the name, or the full alert name.`,
      candidates: m.keys,
    };
  }
  if (m.nearMisses.length > 0) {
    return {
      ok: false,
      code: 'NotFound',
      message: `No alert is called ${shown(name)}: did you mean ${listing(m.nearMisses)}?`,
      candidates: m.nearMisses,
    };
  }
  const short = compact(name).length > 0 && compact(name).length < MIN_FRAGMENT_LENGTH;
  return {
    ok: false,
    code: 'NotFound',
    message: short
      ? `${shown(name)} is too short to pick an alert: type at least ${MIN_FRAGMENT_LENGTH} letters of its name, or type "alerts" to see the names.`
      : `No alert matches ${shown(name)}: type "alerts" to see the alert names.`,
    candidates: [],
  };
}

/** "/subscriptions/X/" and "subscriptions/x" are the same scope. */
export function normalizeScopeId(scope: string): string {
  // A loop rather than /\/+$/, which backtracks over every run of slashes in what a person typed.
  const lower = scope.trim().toLowerCase();
  let end = lower.length;
  while (end > 0 && lower[end - 1] === '/') end--;
  const trimmed = lower.slice(0, end);
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function scopeLabel(s: ScopeChoice): string {
  return s.displayName ? `${s.displayName} (${s.scope})` : s.scope;
}

/**
 * Finds one scope by its position as `scopes` lists it (1-based), its ARM id (with or without the
 * leading slash, any case; a bare subscription GUID also works), its display name, or an
 * unambiguous fragment of the display name or of the id's last segment.
 */
export function resolveScope(ref: string, scopes: readonly ScopeChoice[]): ScopeResolution {
  const typed = ref.trim();
  const found = (i: number): ScopeResolution => ({ ok: true, scope: scopes[i]!.scope, position: i + 1 });

  if (/^\d+$/.test(typed)) {
    const n = Number(typed);
    if (n >= 1 && n <= scopes.length) return found(n - 1);
    const count = scopes.length === 0 ? 'no scopes are configured' : `there ${scopes.length === 1 ? 'is 1 scope' : `are ${scopes.length} scopes`}`;
    return { ok: false, code: 'NotFound', message: `There is no scope number ${n} (${count}): type "scopes" to see the list.`, candidates: [] };
  }

  if (typed.includes('/') || GUID.test(typed)) {
    const wanted = GUID.test(typed) ? `/subscriptions/${typed.toLowerCase()}` : normalizeScopeId(typed);
    const i = scopes.findIndex((s) => normalizeScopeId(s.scope) === wanted);
    if (i >= 0) return found(i);
    if (typed.includes('/')) {
      return { ok: false, code: 'NotFound', message: `The scope ${shown(typed)} is not configured for this bot: type "scopes" to see the list.`, candidates: [] };
    }
  }

  const candidates = scopes.map((s, i) => {
    const lastSegment = s.scope.replace(/\/+$/, '').split('/').pop() ?? s.scope;
    return { key: String(i), names: s.displayName ? [s.displayName, lastSegment] : [lastSegment] };
  });
  const m = match(typed, candidates);
  if (m.kind === 'one') return found(Number(m.key));
  if (m.kind === 'many') {
    const hits = m.keys.map((k) => scopes[Number(k)]!);
    return {
      ok: false,
      code: 'Ambiguous',
      message: `${shown(typed)} matches ${hits.length} scopes, ${listing(hits.map(scopeLabel))}: type more of the name or its number from "scopes".`,
      candidates: hits.map((s) => s.scope),
    };
  }
  const near = m.nearMisses.map((k) => scopes[Number(k)]!);
  if (near.length > 0) {
    return {
      ok: false,
      code: 'NotFound',
      message: `No scope is called ${shown(typed)}: did you mean ${listing(near.map(scopeLabel))} (type "scopes" to see the list)?`,
      candidates: near.map((s) => s.scope),
    };
  }
  return { ok: false, code: 'NotFound', message: `No configured scope matches ${shown(typed)}: type "scopes" to see the list.`, candidates: [] };
}
