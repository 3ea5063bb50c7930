/**
 * Vault's username templates: a small subset of Go's text/template, enough for every template
 * Vault documents — `{{ printf "v-%s-%s" (.DisplayName | truncate 8) (random 20) | truncate 63 }}`.
 * No maintained npm package renders Go templates with Vault's function set, so this is a small
 * parser (pipelines, parenthesised sub-pipelines, string/number literals, fields) and the
 * functions Vault's sdk/helper/template offers.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';

export interface UsernameTemplateData {
  DisplayName: string;
  RoleName: string;
}

type Value = string | number;
type Fn = (args: Value[], env: RenderEnv) => Value;

interface RenderEnv {
  data: Record<string, string>;
  now: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function int(v: Value | undefined, fn: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${fn}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function arity(fn: string, args: Value[], n: number): void {
  if (args.length !== n) throw new Error(`${fn}: expected ${n} argument(s), got ${args.length}`);
}

const str = (v: Value) => String(v);

/** Go's fmt verbs that templates use: %s %d %v %%. */
function printf(args: Value[]): string {
  const [fmt, ...rest] = args;
  let i = 0;
  return str(fmt ?? '').replace(/%([sdv%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (i >= rest.length) return `%!${verb}(MISSING)`;
    return str(rest[i++]);
  });
}

const FUNCS: Record<string, Fn> = {
  random: (a) => {
    arity('random', a, 1);
    const n = int(a[0], 'random');
    let out = '';
    for (let i = 0; i < n; i++) out += ALNUM[randomInt(ALNUM.length)];
    return out;
  },
  truncate: (a) => {
    arity('truncate', a, 2);
    return Array.from(str(a[1])).slice(0, int(a[0], 'truncate')).join('');
  },
  truncate_sha256: (a) => {
    arity('truncate_sha256', a, 2);
    const n = int(a[0], 'truncate_sha256');
    const s = str(a[1]);
    if (s.length <= n) return s;
    if (n <= 8) throw new Error('truncate_sha256: length must be greater than 8');
    return s.slice(0, n - 8) + createHash('sha256').update(s).digest('hex').slice(0, 8);
  },
  uppercase: (a) => (arity('uppercase', a, 1), str(a[0]).toUpperCase()),
  lowercase: (a) => (arity('lowercase', a, 1), str(a[0]).toLowerCase()),
  replace: (a) => (arity('replace', a, 3), str(a[2]).split(str(a[0])).join(str(a[1]))),
  sha256: (a) => (arity('sha256', a, 1), createHash('sha256').update(str(a[0])).digest('hex')),
  base64: (a) => (arity('base64', a, 1), Buffer.from(str(a[0])).toString('base64')),
  unix_time: (a, env) => (arity('unix_time', a, 0), Math.floor(env.now / 1000)),
  unix_time_millis: (a, env) => (arity('unix_time_millis', a, 0), env.now),
  uuid: (a) => (arity('uuid', a, 0), randomUUID()),
  printf: (a) => printf(a),
};

// ---- parsing ----------------------------------------------------------------------------

type Operand =
  | { kind: 'lit'; value: Value }
  | { kind: 'field'; name: string }
  | { kind: 'ident'; name: string }
  | { kind: 'sub'; pipeline: Pipeline };
type Command = Operand[];
type Pipeline = Command[];
type Node = { kind: 'text'; text: string } | { kind: 'action'; pipeline: Pipeline };

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|"(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||\.[A-Za-z_][A-Za-z0-9_]*|-?\d+|[A-Za-z_][A-Za-z0-9_]*|./gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    const tok = m[0];
    if (/^\s+$/.test(tok)) continue;
    if (tok.length === 1 && !/[()|\d]/.test(tok)) throw new Error(`unexpected ${JSON.stringify(tok)} in template action`);
    tokens.push(tok);
  }
  return tokens;
}

function parsePipeline(tokens: string[], pos: { i: number }, closing?: string): Pipeline {
  const pipeline: Pipeline = [];
  let cmd: Command = [];
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i++];
    if (tok === closing) {
      closing = undefined;
      break;
    }
    if (tok === '|') {
      if (cmd.length === 0) throw new Error('empty command before "|"');
      pipeline.push(cmd);
      cmd = [];
    } else if (tok === '(') {
      cmd.push({ kind: 'sub', pipeline: parsePipeline(tokens, pos, ')') });
    } else if (tok === ')') {
      throw new Error('unbalanced ")"');
    } else if (tok.startsWith('"')) {
      cmd.push({ kind: 'lit', value: JSON.parse(tok) as string });
    } else if (tok.startsWith('`')) {
      cmd.push({ kind: 'lit', value: tok.slice(1, -1) });
    } else if (/^-?\d+$/.test(tok)) {
      cmd.push({ kind: 'lit', value: Number(tok) });
    } else if (tok.startsWith('.')) {
      cmd.push({ kind: 'field', name: tok.slice(1) });
    } else {
      cmd.push({ kind: 'ident', name: tok });
    }
  }
  if (closing) throw new Error(`missing "${closing}"`);
  if (cmd.length === 0) throw new Error('empty command in template action');
  pipeline.push(cmd);
  return pipeline;
}

function parse(template: string): Node[] {
  const nodes: Node[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      nodes.push({ kind: 'text', text: rest });
      break;
    }
    let text = rest.slice(0, open);
    let inner = rest.slice(open + 2);
    const close = inner.indexOf('}}');
    if (close < 0) throw new Error('unclosed "{{"');
    let body = inner.slice(0, close);
    let after = inner.slice(close + 2);
    // Go's trim markers: "{{- " eats whitespace before, " -}}" after.
    if (body.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(2);
    }
    if (body.endsWith(' -')) {
      after = after.replace(/^\s+/, '');
      body = body.slice(0, -2);
    }
    if (text) nodes.push({ kind: 'text', text });
    const tokens = tokenize(body);
    const pos = { i: 0 };
    nodes.push({ kind: 'action', pipeline: parsePipeline(tokens, pos) });
    if (pos.i !== tokens.length) throw new Error('unexpected tokens after action');
    rest = after;
  }
  return nodes;
}

// ---- evaluation -------------------------------------------------------------------------

function evalOperand(op: Operand, env: RenderEnv): Value {
  switch (op.kind) {
    case 'lit':
      return op.value;
    case 'field':
      if (!(op.name in env.data)) throw new Error(`unknown field .${op.name}`);
      return env.data[op.name];
    case 'sub':
      return evalPipeline(op.pipeline, env);
    case 'ident':
      return call(op.name, [], env);
  }
}

function call(name: string, args: Value[], env: RenderEnv): Value {
  const fn = FUNCS[name];
  if (!fn) throw new Error(`unknown function "${name}"`);
  return fn(args, env);
}

function evalPipeline(pipeline: Pipeline, env: RenderEnv): Value {
  let prev: Value | undefined;
  for (const cmd of pipeline) {
    const [head, ...rest] = cmd;
    const piped = prev === undefined ? [] : [prev];
    if (head.kind === 'ident') {
      prev = call(head.name, [...rest.map((o) => evalOperand(o, env)), ...piped], env);
    } else {
      if (rest.length > 0 || piped.length > 0) throw new Error('only a function can take arguments');
      prev = evalOperand(head, env);
    }
  }
  return prev as Value;
}

export interface CompiledTemplate {
  render(data: UsernameTemplateData, now: number): string;
}

/** Parses once (throws Error with a readable message on a malformed template). */
export function compileUsernameTemplate(template: string): CompiledTemplate {
  const nodes = parse(template);
  return {
    render(data, now) {
      const env: RenderEnv = { data: { ...data }, now };
      return nodes.map((n) => (n.kind === 'text' ? n.text : str(evalPipeline(n.pipeline, env)))).join('');
    },
  };
}
