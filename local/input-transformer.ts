/**
 * EventBridge input transformers (a target's InputTransformer: InputPathsMap + InputTemplate),
 * rendered locally as EventBridge renders them before calling the target.
 *
 * Sources: EventBridge User Guide "Amazon EventBridge input transformation"
 * (eb-transform-target-input: predefined variables, the examples table, "Common issues") and the
 * API reference of InputTransformer (limits, "the placeholder cannot be used as an object key").
 *
 * Semantics:
 * - Each InputPathsMap entry names a variable and a JSON path into the event. Supported paths,
 *   as the guide lists: `$`, dot notation (`$.detail.object.key`; names may hold dashes,
 *   underscores, slashes and other characters except `.` `[` `]`), array indices (`[0]`) and
 *   wildcards (`.*`, `[*]`, which give a list of every match).
 * - Reserved variables: `aws.events.rule-arn`, `aws.events.rule-name`,
 *   `aws.events.event.ingestion-time` (the context's, else the event's `time`),
 *   `aws.events.event` (the event without its `detail` field) and `aws.events.event.json` (the
 *   whole event). The last two may only be the value of a JSON field ("its contents are not
 *   escaped"), so placing them inside a string is an error.
 * - A template that is JSON once its placeholders are filled in is rendered as JSON:
 *   - outside a string, a placeholder becomes the value as JSON: a string is quoted, an object
 *     or array is inserted as is (`{"instance": <instance>}` -> `{"instance": "i-0123456789"}`);
 *   - inside a string, it becomes the value's text: strings without their quotes and with `"`
 *     and `\` escaped so the result stays valid JSON; numbers, booleans and null as written;
 *     objects and arrays as JSON with their quotes removed ("Detail is {key1:value1}");
 *   - a placeholder used as an object key is an error.
 *   Otherwise (plain text, e.g. `<instance> is in state <status>`) values are inserted as
 *   text: strings as they are, anything else as JSON.
 * - A variable whose path does not resolve "isn't created and won't appear in the output": it
 *   is rendered as nothing inside strings and in text, and as `null` where a JSON value is
 *   needed (nothing there would not be JSON).
 * - `<name>` where name is neither a variable nor reserved is left as text.
 * The result is the parsed JSON when the template is JSON, else the rendered string.
 */
import { InvalidInputError } from '../lambdas/core/errors';

export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

export interface TransformerContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** ISO 8601 time EventBridge received the event; defaults to the event's `time`. */
  readonly ingestionTime?: string;
}

const MAX_TEMPLATE_LENGTH = 8192;
const MAX_VARIABLES = 100;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;
/** Reserved variables that may only be a JSON field's value. */
const JSON_ONLY = ['aws.events.event', 'aws.events.event.json'];

export type Resolved = { readonly found: true; readonly value: unknown } | { readonly found: false };

interface Segment {
  readonly text: string;
  /** Set for a placeholder. */
  readonly name?: string;
  /** Whether a placeholder sits inside a JSON string of the template. */
  readonly inString?: boolean;
  /** Whether a placeholder is (part of) an object key, should the template be JSON. */
  key?: boolean;
}

/** The target input EventBridge would send for this event. Throws InvalidInputError for a malformed transformer. */
export function renderInputTransformer(transformer: InputTransformer, event: object, context: TransformerContext): unknown {
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template.length === 0 || template.length > MAX_TEMPLATE_LENGTH) {
    throw new InvalidInputError(`InputTemplate: expected 1 to ${MAX_TEMPLATE_LENGTH} characters, got ${describe(template)}`);
  }
  const variables = resolveVariables(transformer.InputPathsMap ?? {}, event, context);
  const segments = splitTemplate(template, variables);
  const json = isJsonTemplate(segments);
  const key = json ? segments.find((segment) => segment.key) : undefined;
  if (key) throw new InvalidInputError(`InputTemplate: the placeholder ${key.text} cannot be used in an object key`);

  const rendered = segments
    .map((segment) => {
      if (segment.name === undefined) return segment.text;
      const resolved = variables.get(segment.name) as Resolved;
      if (!json) return resolved.found ? asText(resolved.value) : '';
      if (segment.inString) {
        if (JSON_ONLY.includes(segment.name)) {
          throw new InvalidInputError(`InputTemplate: <${segment.name}> can only be the value of a JSON field, not part of a string`);
        }
        return resolved.found ? escapeForString(asTextInString(resolved.value)) : '';
      }
      return resolved.found ? JSON.stringify(resolved.value) ?? 'null' : 'null';
    })
    .join('');

  if (!json) return rendered;
  try {
    return JSON.parse(rendered) as unknown;
  } catch {
    return rendered;
  }
}

// ----- variables -----

function resolveVariables(paths: Readonly<Record<string, string>>, event: object, context: TransformerContext): Map<string, Resolved> {
  const entries = Object.entries(paths);
  if (entries.length > MAX_VARIABLES) {
    throw new InvalidInputError(`InputPathsMap: at most ${MAX_VARIABLES} variables, got ${entries.length}`);
  }
  const variables = new Map<string, Resolved>();
  for (const [name, path] of entries) {
    if (!VARIABLE_NAME.test(name) || name.toUpperCase().startsWith('AWS.')) {
      throw new InvalidInputError(`InputPathsMap: variable name ${describe(name)} must match [A-Za-z0-9_-]+`);
    }
    variables.set(name, resolvePath(event, path, name));
  }
  const record = event as Record<string, unknown>;
  const ingestion = context.ingestionTime ?? (typeof record.time === 'string' ? record.time : undefined);
  const { detail: _detail, ...withoutDetail } = record;
  variables.set('aws.events.rule-arn', { found: true, value: context.ruleArn });
  variables.set('aws.events.rule-name', { found: true, value: context.ruleName });
  variables.set('aws.events.event.ingestion-time', ingestion === undefined ? { found: false } : { found: true, value: ingestion });
  variables.set('aws.events.event', { found: true, value: withoutDetail });
  variables.set('aws.events.event.json', { found: true, value: event });
  return variables;
}

type PathStep = { readonly key: string } | { readonly index: number } | { readonly wildcard: true };

/** Resolves the JSON path subset EventBridge documents; a wildcard makes the result a list. */
export function resolvePath(event: unknown, path: string, name = 'path'): Resolved {
  const steps = parsePath(path, name);
  let nodes: unknown[] = [event];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if ('wildcard' in step) {
        if (Array.isArray(node)) next.push(...node);
        else if (isObject(node)) next.push(...Object.values(node));
      } else if ('index' in step) {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (isObject(node) && Object.hasOwn(node, step.key)) {
        next.push(node[step.key]);
      }
    }
    nodes = next;
  }
  if (steps.some((step) => 'wildcard' in step)) return { found: true, value: nodes };
  return nodes.length === 1 ? { found: true, value: nodes[0] } : { found: false };
}

function parsePath(path: string, name: string): PathStep[] {
  const invalid = (why: string): never => {
    throw new InvalidInputError(`InputPathsMap.${name}: ${describe(path)} is not a supported JSON path (${why})`);
  };
  if (typeof path !== 'string' || !path.startsWith('$')) invalid('it must start with "$"');
  const steps: PathStep[] = [];
  const step = /\.([^.[\]]+)|\[(\d+)\]|\[\*\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const at = step.lastIndex;
    const match = step.exec(path);
    if (!match) return invalid(`unexpected ${describe(path.slice(at))}; use dot notation, [index] or *`);
    if (match[1] === '*' || match[0] === '[*]') steps.push({ wildcard: true });
    else if (match[1] !== undefined) steps.push({ key: match[1] });
    else steps.push({ index: Number(match[2]) });
  }
  return steps;
}

// ----- template -----

/**
 * The template as literal text and placeholders, each placeholder marked as inside a JSON string
 * or not. Strings are followed by tracking unescaped quotes in the literal text.
 */
function splitTemplate(template: string, variables: ReadonlyMap<string, Resolved>): Segment[] {
  const segments: Segment[] = [];
  let inString = false;
  let placeholdersInString: Segment[] = [];
  let literalStart = 0;
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    PLACEHOLDER.lastIndex = i;
    const match = char === '<' ? PLACEHOLDER.exec(template) : null;
    if (match && variables.has(match[1])) {
      if (i > literalStart) segments.push({ text: template.slice(literalStart, i) });
      i += match[0].length;
      const segment: Segment = { text: match[0], name: match[1], inString, key: !inString && followedByColon(template, i) };
      segments.push(segment);
      if (inString) placeholdersInString.push(segment);
      literalStart = i;
    } else if (inString && char === '\\') {
      i += 2;
    } else {
      if (char === '"') {
        if (inString && followedByColon(template, i + 1)) for (const segment of placeholdersInString) segment.key = true;
        inString = !inString;
        placeholdersInString = [];
      }
      i++;
    }
  }
  if (template.length > literalStart) segments.push({ text: template.slice(literalStart) });
  return segments;
}

/** Whether the template is JSON with its placeholders filled in (null outside strings, nothing inside). */
function isJsonTemplate(segments: readonly Segment[]): boolean {
  // A placeholder in key position outside quotes is probed as a key, so such a template is still
  // recognized as JSON and then rejected for the key.
  const probe = segments.map((s) => (s.name === undefined ? s.text : s.inString ? '' : s.key ? '"key"' : 'null')).join('');
  try {
    JSON.parse(probe);
    return true;
  } catch {
    return false;
  }
}

function followedByColon(text: string, from: number): boolean {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  return text[i] === ':';
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** A value's text inside a JSON string: objects and arrays lose their quotes ("Detail is {key1:value1}"). */
function asTextInString(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value) ?? '';
  return isObject(value) || Array.isArray(value) ? text.replace(/"/g, '') : text;
}

function escapeForString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
