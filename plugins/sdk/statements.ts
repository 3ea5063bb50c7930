/**
 * SQL statement templates (`{{name}}`, `{{username}}`, `{{password}}`, `{{expiration}}`):
 * splitting on top-level semicolons and rendering with the engine's own quoting.
 *
 * Vault pastes values in raw and relies on statement authors to write `"{{name}}"` and
 * `'{{password}}'`. Templates written for Vault must keep working, so the renderer looks at
 * where each placeholder sits: inside '…' it escapes for a string literal, inside "…" or `…`
 * for a quoted identifier (or a MySQL double-quoted string), and bare it emits a fully quoted
 * value. A value that cannot be made safe where it stands (a dollar-quoted body when the value
 * is not plain) is refused; inside comments placeholders stay as text. Generated names and
 * passwords use safe alphabets anyway; this is the layer that holds when something upstream
 * changes.
 */
import { configError } from './errors.js';

export interface SqlDialect {
  /** Quoted identifier, e.g. "a""b" (pg) or `a``b` (mysql). */
  quoteIdent(value: string): string;
  /** Quoted string literal. */
  quoteLiteral(value: string): string;
  /** Content for inside '…'. */
  escapeInSingle(value: string): string;
  /** Content for inside "…" (pg identifier; mysql string unless ANSI_QUOTES). */
  escapeInDouble(value: string): string;
  /** MySQL backtick identifiers; PostgreSQL has none. */
  backticks: boolean;
  /** PostgreSQL $tag$ … $tag$ bodies. */
  dollarQuotes: boolean;
}

/** Placeholders that name something (identifier) vs. carry a value (literal). */
const KINDS: Record<string, 'ident' | 'literal'> = {
  name: 'ident',
  username: 'ident',
  password: 'literal',
  expiration: 'literal',
};

type State = 'code' | 'single' | 'double' | 'backtick' | 'dollar' | 'line' | 'block';

/** Values that mean the same raw inside any quoting: safe in a dollar-quoted body. */
const PLAIN = /^[A-Za-z0-9_.:+ -]*$/;

/**
 * Walks a statement template, calling onPlaceholder for every `{{x}}` with the lexical state it
 * sits in and onSplit at every top-level semicolon. Quote-aware so that `DO $$ …; … $$` and
 * literals holding ';' stay whole.
 */
function walk(
  src: string,
  dialect: SqlDialect,
  onText: (text: string) => void,
  onPlaceholder: (name: string, state: State) => void,
  onSplit: () => void,
): void {
  let state: State = 'code';
  let dollarTag = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const rest = src.slice(i);
    // Inside a comment a placeholder stays text: no value (least of all a password) goes there.
    const ph = state === 'line' || state === 'block' ? null : /^\{\{\s*([A-Za-z_]+)\s*\}\}/.exec(rest);
    if (ph) {
      onPlaceholder(ph[1], state);
      i += ph[0].length;
      continue;
    }
    let take = 1;
    switch (state) {
      case 'code':
        if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '`' && dialect.backticks) state = 'backtick';
        else if (rest.startsWith('--') || (c === '#' && dialect.backticks)) state = 'line';
        else if (rest.startsWith('/*')) (state = 'block'), (take = 2);
        else if (c === '$' && dialect.dollarQuotes) {
          const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
          if (m) (state = 'dollar'), (dollarTag = m[0]), (take = m[0].length);
        } else if (c === ';') {
          onSplit();
          i++;
          continue;
        }
        break;
      case 'single':
        if (c === '\\' && dialect.backticks) take = 2; // MySQL backslash escapes
        else if (c === "'") state = rest.startsWith("''") ? ((take = 2), 'single') : 'code';
        break;
      case 'double':
        if (c === '"') state = rest.startsWith('""') ? ((take = 2), 'double') : 'code';
        break;
      case 'backtick':
        if (c === '`') state = rest.startsWith('``') ? ((take = 2), 'backtick') : 'code';
        break;
      case 'dollar':
        if (rest.startsWith(dollarTag)) (state = 'code'), (take = dollarTag.length);
        break;
      case 'line':
        if (c === '\n') state = 'code';
        break;
      case 'block':
        if (rest.startsWith('*/')) (state = 'code'), (take = 2);
        break;
    }
    onText(src.slice(i, i + take));
    i += take;
  }
}

/**
 * Vault accepts statements as one string or a list; each string may hold several statements
 * separated by semicolons. Returns the individual statement templates (trimmed, none empty).
 */
export function splitStatements(input: string | string[] | undefined, dialect: SqlDialect): string[] {
  const list = input === undefined ? [] : Array.isArray(input) ? input : [input];
  const out: string[] = [];
  for (const src of list) {
    let cur = '';
    const flush = () => {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    };
    walk(src, dialect, (t) => (cur += t), (name) => (cur += `{{${name}}}`), flush);
    flush();
  }
  return out;
}

const TRANSACTION_CONTROL = /^\s*(begin(?!\s+not\s+atomic)|commit|rollback|start\s+transaction|end|abort|savepoint|release|set\s+transaction|prepare\s+transaction)\b/i;

/** Renders one statement template; unknown placeholders and unsafe positions are config errors. */
export function renderStatement(template: string, values: Record<string, string>, dialect: SqlDialect): string {
  // The engine wraps the statements in a transaction of its own (PostgreSQL groups several
  // requests into one): a statement that opened or ended one would break that, or leave a
  // transaction open on a pooled connection.
  const control = TRANSACTION_CONTROL.exec(template);
  if (control) throw configError(`transaction control ("${control[1].toUpperCase()}") is not allowed in statements: lessor runs them in a transaction of its own`);
  let out = '';
  walk(
    template,
    dialect,
    (t) => (out += t),
    (name, state) => {
      const kind = KINDS[name];
      const value = values[name];
      if (!kind || value === undefined) throw configError(`unknown placeholder {{${name}}} in statement`);
      switch (state) {
        case 'code':
          out += kind === 'ident' ? dialect.quoteIdent(value) : dialect.quoteLiteral(value);
          break;
        case 'single':
          out += dialect.escapeInSingle(value);
          break;
        case 'double':
          out += dialect.escapeInDouble(value);
          break;
        case 'backtick':
          out += value.replace(/`/g, '``');
          break;
        case 'dollar':
          if (!PLAIN.test(value)) throw configError(`{{${name}}} inside a dollar-quoted body needs a plain value`);
          out += value;
          break;
        default:
          throw configError(`{{${name}}} cannot be used here`);
      }
    },
    () => (out += ';'),
  );
  return out;
}

/** Checks that statements parse as templates (at role write), without any values. */
export function checkStatements(input: string | string[] | undefined, dialect: SqlDialect, field: string): void {
  const sample: Record<string, string> = { name: 'n', username: 'n', password: 'p', expiration: '2000-01-01 00:00:00+0000' };
  for (const stmt of splitStatements(input, dialect)) {
    try {
      renderStatement(stmt, sample, dialect);
    } catch (err) {
      throw configError(`${field}: ${(err as Error).message}`);
    }
  }
}

export { scrubSecrets as scrub } from './scrub-secrets.js';
