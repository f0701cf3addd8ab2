/**
 * EventBridge event patterns, matched locally with EventBridge's documented semantics, so that
 * local mode routes events with the exact rules CDK synthesizes and tests can check them.
 *
 * Sources: the EventBridge User Guide pages "Creating Amazon EventBridge event patterns",
 * "Comparison operators for use in event patterns", "Content filtering in Amazon EventBridge
 * event patterns", "Arrays in Amazon EventBridge event patterns" and "Matching events on null
 * values and empty strings"; for what those pages leave open (array consistency, wildcard
 * escapes, validation rules) the README and JsonRuleCompiler of aws/event-ruler, the matching
 * library behind EventBridge.
 *
 * Semantics:
 * - A pattern is a JSON object. Fields at one level are ANDed; a leaf is an array of values and
 *   matches when any of them matches (OR). Nested objects follow the event's nesting.
 * - The event is flattened into leaf values (strings, numbers, booleans, null). An array in the
 *   event contributes each of its elements, so a leaf matches when any element matches. Values
 *   matched in one branch of a pattern must come from the same element of any array they share
 *   ("array consistency": event-ruler's rulesForJSONEvent, what EventBridge does).
 * - A field named in the pattern but absent from the event (no leaf value at that path — an
 *   object, an empty array or a missing key) never matches, except with `{"exists": false}`.
 *   `null` and "" are values: `[null]` matches null only, `[""]` the empty string only.
 * - Values: exact strings, numbers (compared as numbers: 300 matches 3.018e2 only if equal),
 *   booleans and null; `prefix`, `suffix` (each also with `{"equals-ignore-case": ...}`),
 *   `equals-ignore-case`, `wildcard` (`*` matches any run of characters; `\*` is a literal star,
 *   `\\` a backslash; `**` and other escapes are invalid), `anything-but` (a string, a number, a
 *   list of only strings or only numbers, or `{prefix|suffix|equals-ignore-case|wildcard: one
 *   or a list}`; it needs the field to be present and matches any value that is not excluded,
 *   including values of another type), `numeric` (`=`, `<`, `<=`, `>`, `>=`, or a range
 *   `[">"|">=", low, "<"|"<=", high]`; numbers only), `cidr` (IPv4 and IPv6 blocks; strings that
 *   are addresses), `exists` (true: any value is present; false: none is) and `$or` (an array
 *   of at least two objects, each an alternative set of fields at that level).
 * - Numbers are compared as JavaScript doubles; EventBridge's own limits (±5e9, six decimals)
 *   are not enforced.
 */
import { InvalidInputError } from '../lambdas/core/errors';

type Leaf = string | number | boolean | null;

type Matcher =
  | { readonly kind: 'exact'; readonly value: Leaf; readonly ip?: IpAddress }
  | { readonly kind: 'prefix' | 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'wildcard'; readonly regex: RegExp }
  | { readonly kind: 'anything-but'; readonly excludes: (value: Leaf) => boolean }
  | { readonly kind: 'numeric'; readonly test: (value: number) => boolean }
  | { readonly kind: 'cidr'; readonly version: 4 | 6; readonly low: bigint; readonly high: bigint }
  | { readonly kind: 'exists'; readonly value: boolean };

/** The values allowed for one field of the event. */
interface FieldRule {
  /** The field's path, joined by KEY_SEPARATOR. */
  readonly key: string;
  /** Matchers a present value can satisfy (everything but exists:false). */
  readonly matchers: readonly Matcher[];
  /** Whether `{"exists": false}` is among the values: the field may be absent. */
  readonly allowsAbsence: boolean;
}

/** One way for the pattern to match: every rule must hold ($or expands into several). */
type Branch = readonly FieldRule[];

/** One leaf of the flattened event, with the array elements it sits in (array id → index). */
interface EventField {
  readonly key: string;
  readonly value: Leaf;
  readonly membership: ReadonlyMap<number, number>;
}

const KEY_SEPARATOR = '\u001f';
const OPERATORS = ['anything-but', 'cidr', 'equals-ignore-case', 'exists', 'numeric', 'prefix', 'suffix', 'wildcard'];
/** $or alternatives multiply; a pattern expanding beyond this is rejected rather than matched slowly. */
const MAX_BRANCHES = 4096;

/** A validated pattern, ready to match many events. */
export class CompiledEventPattern {
  /** @internal use compileEventPattern */
  constructor(private readonly branches: readonly Branch[]) {}

  matches(event: unknown): boolean {
    const fields = flattenEvent(parseJsonInput(event, 'event'));
    return this.branches.some((branch) => matchBranch(branch, fields));
  }
}

/** Validates a pattern (an object or its JSON text); throws InvalidInputError saying what is wrong and where. */
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  const parsed = parseJsonInput(pattern, 'event pattern');
  return new CompiledEventPattern(compileObject(parsed, [], ''));
}

/** Throws InvalidInputError with a message naming the field when the pattern is malformed. */
export function validateEventPattern(pattern: unknown): void {
  compileEventPattern(pattern);
}

const compiledPatterns = new WeakMap<object, CompiledEventPattern>();

/** Whether the event matches the pattern. Throws InvalidInputError for a malformed pattern or an event that is not an object. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (typeof pattern === 'object' && pattern !== null) {
    let compiled = compiledPatterns.get(pattern);
    if (!compiled) {
      compiled = compileEventPattern(pattern);
      compiledPatterns.set(pattern, compiled);
    }
    return compiled.matches(event);
  }
  return compileEventPattern(pattern).matches(event);
}

// ----- compiling -----

function compileObject(node: unknown, path: readonly string[], where: string): Branch[] {
  if (!isPlainObject(node)) fail(where, `expected an object, got ${describe(node)}`);
  const keys = Object.keys(node);
  if (keys.length === 0) fail(where, 'empty objects are not allowed');
  let branches: Branch[] = [[]];
  for (const key of keys) {
    const value = node[key];
    const at = where === '' ? key : `${where}.${key}`;
    if (key === '$or') {
      branches = combine(branches, compileOr(value, path, at), at);
    } else if (Array.isArray(value)) {
      const rule = compileRule([...path, key], value, at);
      branches = branches.map((branch) => [...branch, rule]);
    } else if (isPlainObject(value)) {
      branches = combine(branches, compileObject(value, [...path, key], at), at);
    } else {
      fail(at, `"${key}" must be an object or an array, got ${describe(value)}`);
    }
  }
  return branches;
}

function compileOr(value: unknown, path: readonly string[], where: string): Branch[] {
  if (!Array.isArray(value) || value.length < 2) fail(where, '"$or" must be an array of at least 2 objects');
  return value.flatMap((alternative, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(alternative)) fail(at, `each "$or" alternative must be an object, got ${describe(alternative)}`);
    for (const key of Object.keys(alternative)) {
      if (OPERATORS.includes(key)) fail(at, `"${key}" is an operator and cannot be a field name inside "$or"`);
    }
    return compileObject(alternative, path, at);
  });
}

function combine(left: Branch[], right: Branch[], where: string): Branch[] {
  if (left.length * right.length > MAX_BRANCHES) fail(where, `"$or" expands into more than ${MAX_BRANCHES} combinations`);
  return left.flatMap((a) => right.map((b) => [...a, ...b]));
}

function compileRule(path: readonly string[], values: unknown[], where: string): FieldRule {
  if (values.length === 0) fail(where, 'empty arrays are not allowed');
  const matchers: Matcher[] = [];
  let allowsAbsence = false;
  values.forEach((value, i) => {
    const at = `${where}[${i}]`;
    if (isLeaf(value)) {
      matchers.push(exact(value));
    } else if (isPlainObject(value)) {
      const matcher = compileOperator(value, at);
      if (matcher.kind === 'exists' && !matcher.value) allowsAbsence = true;
      else matchers.push(matcher);
    } else {
      fail(at, `a value must be a string, number, boolean, null or an object with one operator, got ${describe(value)}`);
    }
  });
  return { key: path.join(KEY_SEPARATOR), matchers, allowsAbsence };
}

function exact(value: Leaf): Matcher {
  // As event-ruler: a string that is an IP address also matches other spellings of that address.
  const ip = typeof value === 'string' ? parseIp(value) : undefined;
  return ip ? { kind: 'exact', value, ip } : { kind: 'exact', value };
}

function compileOperator(expression: Record<string, unknown>, where: string): Matcher {
  const keys = Object.keys(expression);
  if (keys.length !== 1) fail(where, `a match expression has exactly one operator, got ${describe(expression)}`);
  const [operator] = keys;
  const operand = expression[operator];
  const at = `${where}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      if (typeof operand === 'string') return { kind: operator, value: operand, ignoreCase: false };
      if (isPlainObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string') {
        return { kind: operator, value: operand['equals-ignore-case'], ignoreCase: true };
      }
      return fail(at, `expected a string or {"equals-ignore-case": string}, got ${describe(operand)}`);
    }
    case 'equals-ignore-case':
      if (typeof operand !== 'string') fail(at, `expected a string, got ${describe(operand)}`);
      return { kind: 'equals-ignore-case', value: operand };
    case 'wildcard':
      if (typeof operand !== 'string') fail(at, `expected a string, got ${describe(operand)}`);
      return { kind: 'wildcard', regex: wildcardRegex(operand, at) };
    case 'anything-but':
      return { kind: 'anything-but', excludes: compileAnythingBut(operand, at) };
    case 'numeric':
      return { kind: 'numeric', test: compileNumeric(operand, at) };
    case 'exists':
      if (typeof operand !== 'boolean') fail(at, `expected true or false, got ${describe(operand)}`);
      return { kind: 'exists', value: operand };
    case 'cidr':
      return compileCidr(operand, at);
    default:
      return fail(where, `unrecognized match type "${operator}"`);
  }
}

function compileAnythingBut(operand: unknown, where: string): (value: Leaf) => boolean {
  if (typeof operand === 'string') return (value) => value === operand;
  if (typeof operand === 'number') return (value) => value === operand;
  if (Array.isArray(operand)) {
    if (operand.length > 0 && operand.every((v) => typeof v === 'string')) {
      const excluded = new Set<string>(operand);
      return (value) => typeof value === 'string' && excluded.has(value);
    }
    if (operand.length > 0 && operand.every((v) => typeof v === 'number')) {
      const excluded = new Set<number>(operand);
      return (value) => typeof value === 'number' && excluded.has(value);
    }
    return fail(where, `expected a non-empty list of only strings or only numbers, got ${describe(operand)}`);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const [kind] = keys;
    const inner = `${where}.${kind}`;
    if (keys.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(kind)) {
      const expected = 'a string, a number, a list, or one of prefix, suffix, equals-ignore-case, wildcard';
      return fail(where, `expected ${expected}; got ${describe(operand)}`);
    }
    const raw = operand[kind];
    const list = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
      return fail(inner, `expected a string or a non-empty list of strings, got ${describe(raw)}`);
    }
    const texts = list as string[];
    if ((kind === 'prefix' || kind === 'suffix') && texts.includes('')) fail(inner, `an empty ${kind} is not allowed`);
    switch (kind) {
      case 'prefix':
        return (value) => typeof value === 'string' && texts.some((p) => value.startsWith(p));
      case 'suffix':
        return (value) => typeof value === 'string' && texts.some((s) => value.endsWith(s));
      case 'equals-ignore-case': {
        const folded = new Set(texts.map(fold));
        return (value) => typeof value === 'string' && folded.has(fold(value));
      }
      default: {
        const regexes = texts.map((text, i) => wildcardRegex(text, texts.length === 1 ? inner : `${inner}[${i}]`));
        return (value) => typeof value === 'string' && regexes.some((regex) => regex.test(value));
      }
    }
  }
  return fail(where, `expected a string, a number, a list, or an object, got ${describe(operand)}`);
}

function compileNumeric(operand: unknown, where: string): (value: number) => boolean {
  if (!Array.isArray(operand) || operand.length === 0) fail(where, `expected an array like [">", 0, "<=", 5], got ${describe(operand)}`);
  const [first, a, second, b, ...rest] = operand as unknown[];
  const number = (value: unknown, operator: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      fail(where, `the value after "${String(operator)}" must be a number, got ${describe(value)}`);
    }
    return value;
  };
  if (rest.length > 0) fail(where, `too many terms in ${describe(operand)}`);
  switch (first) {
    case '=': {
      const n = number(a, first);
      if (second !== undefined) fail(where, `"=" takes one number, got ${describe(operand)}`);
      return (value) => value === n;
    }
    case '<':
    case '<=': {
      const n = number(a, first);
      if (second !== undefined) fail(where, `a range starts with ">" or ">=", got ${describe(operand)}`);
      return first === '<' ? (value) => value < n : (value) => value <= n;
    }
    case '>':
    case '>=': {
      const low = number(a, first);
      const above = first === '>' ? (value: number) => value > low : (value: number) => value >= low;
      if (second === undefined) return above;
      if (second !== '<' && second !== '<=') fail(where, `a range ends with "<" or "<=", got ${describe(second)}`);
      const high = number(b, second);
      if (!(low < high)) fail(where, `the lower bound ${low} must be below the upper bound ${high}`);
      return second === '<' ? (value) => above(value) && value < high : (value) => above(value) && value <= high;
    }
    default:
      return fail(where, `unrecognized numeric operator ${describe(first)} (use =, <, <=, >, >=)`);
  }
}

function compileCidr(operand: unknown, where: string): Matcher {
  if (typeof operand !== 'string') fail(where, `expected a CIDR block like "10.0.0.0/24", got ${describe(operand)}`);
  const slash = operand.indexOf('/');
  const ip = slash === -1 ? undefined : parseIp(operand.slice(0, slash));
  const bitsText = slash === -1 ? '' : operand.slice(slash + 1);
  const width = ip?.version === 4 ? 32 : 128;
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  if (!ip || !(bits >= 0 && bits <= width)) {
    fail(where, `expected a CIDR block like "10.0.0.0/24" or "2001:db8::/32", got ${describe(operand)}`);
  }
  const hostBits = BigInt(width - bits);
  const low = (ip.value >> hostBits) << hostBits;
  return { kind: 'cidr', version: ip.version, low, high: low + (1n << hostBits) - 1n };
}

/** A wildcard value as an anchored regular expression; rejects `**` and escapes other than `\*`, `\\`. */
function wildcardRegex(pattern: string, where: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') {
      if (pattern[i + 1] === '*') fail(where, `consecutive wildcard characters at position ${i} in ${describe(pattern)}`);
      source += '[\\s\\S]*';
    } else if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        fail(where, `invalid escape at position ${i} in ${describe(pattern)} (only \\* and \\\\ are allowed)`);
      }
      source += escapeRegex(next);
      i++;
    } else {
      source += escapeRegex(char);
    }
  }
  return new RegExp(`^${source}$`);
}

// ----- matching -----

function matchBranch(branch: Branch, fields: ReadonlyMap<string, EventField[]>): boolean {
  const absent: FieldRule[] = [];
  const search = (index: number, membership: ReadonlyMap<number, number>): boolean => {
    if (index === branch.length) {
      return absent.every((rule) => !(fields.get(rule.key) ?? []).some((field) => consistent(membership, field.membership)));
    }
    const rule = branch[index];
    for (const field of fields.get(rule.key) ?? []) {
      if (!consistent(membership, field.membership)) continue;
      if (!rule.matchers.some((matcher) => matches(matcher, field.value))) continue;
      if (search(index + 1, merge(membership, field.membership))) return true;
    }
    if (rule.allowsAbsence) {
      absent.push(rule);
      if (search(index + 1, membership)) return true;
      absent.pop();
    }
    return false;
  };
  return search(0, new Map());
}

function matches(matcher: Matcher, value: Leaf): boolean {
  switch (matcher.kind) {
    case 'exact':
      if (value === matcher.value) return true;
      if (matcher.ip && typeof value === 'string') {
        const ip = parseIp(value);
        return ip !== undefined && ip.version === matcher.ip.version && ip.value === matcher.ip.value;
      }
      return false;
    case 'prefix':
      if (typeof value !== 'string') return false;
      return matcher.ignoreCase ? fold(value).startsWith(fold(matcher.value)) : value.startsWith(matcher.value);
    case 'suffix':
      if (typeof value !== 'string') return false;
      return matcher.ignoreCase ? fold(value).endsWith(fold(matcher.value)) : value.endsWith(matcher.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && fold(value) === fold(matcher.value);
    case 'wildcard':
      return typeof value === 'string' && matcher.regex.test(value);
    case 'anything-but':
      return !matcher.excludes(value);
    case 'numeric':
      return typeof value === 'number' && matcher.test(value);
    case 'cidr': {
      const ip = typeof value === 'string' ? parseIp(value) : undefined;
      return ip !== undefined && ip.version === matcher.version && ip.value >= matcher.low && ip.value <= matcher.high;
    }
    case 'exists':
      return matcher.value; // a value is present; exists:false never gets here
  }
}

function consistent(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  for (const [array, index] of b) {
    const other = a.get(array);
    if (other !== undefined && other !== index) return false;
  }
  return true;
}

function merge(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): ReadonlyMap<number, number> {
  if (b.size === 0) return a;
  const merged = new Map(a);
  for (const [array, index] of b) merged.set(array, index);
  return merged;
}

/** The event's leaf values by path; every array (each occurrence) gets its own id. */
function flattenEvent(event: unknown): Map<string, EventField[]> {
  if (!isPlainObject(event)) throw new InvalidInputError(`event: expected a JSON object, got ${describe(event)}`);
  const fields = new Map<string, EventField[]>();
  let nextArrayId = 0;
  const visit = (value: unknown, path: string[], membership: ReadonlyMap<number, number>): void => {
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((element, index) => visit(element, path, new Map(membership).set(id, index)));
    } else if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key], membership);
    } else if (isLeaf(value) && path.length > 0) {
      const key = path.join(KEY_SEPARATOR);
      const list = fields.get(key);
      const field = { key, value, membership };
      if (list) list.push(field);
      else fields.set(key, [field]);
    }
  };
  visit(event, [], new Map());
  return fields;
}

// ----- IP addresses -----

interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

function parseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return { version: 4, value };
}

function parseIpv6(text: string): IpAddress | undefined {
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  // An embedded IPv4 address (::ffff:10.0.0.1) stands for the last two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  const embedded = last?.includes('.') ? parseIpv4(last) : undefined;
  if (last?.includes('.')) {
    if (!embedded) return undefined;
    const list = halves.length === 2 ? tail : head;
    list.splice(-1, 1, ((embedded.value >> 16n) & 0xffffn).toString(16), (embedded.value & 0xffffn).toString(16));
  }
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return { version: 6, value };
}

// ----- helpers -----

function parseJsonInput(input: unknown, what: string): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch (error) {
    throw new InvalidInputError(`${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Case folding for equals-ignore-case and its prefix/suffix forms. */
function fold(text: string): string {
  return text.toLowerCase();
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(where: string, problem: string): never {
  throw new InvalidInputError(`event pattern${where === '' ? '' : ` at ${where}`}: ${problem}`, { context: { field: where } });
}
