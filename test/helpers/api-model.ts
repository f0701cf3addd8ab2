/**
 * Validates a request against AWS's published API model of the service, as the AWS SDK for
 * JavaScript v3 clients ship it (Apache-2.0, generated from AWS's Smithy models and kept in
 * step with the service by AWS; the pinned client versions are the model versions):
 * - member names and required members come from the client's static schemas (the exported
 *   `<Shape>$` arrays: `[3, namespace, name, traits, memberNames, memberSchemas, requiredCount]`,
 *   the required members first — the layout @smithy/core's serializers read);
 * - JSON types from the member schemas (0 string, 1 number, 2 boolean, 4-7 timestamp,
 *   21/42 blob, 64|x list of x, 128|x map of x);
 * - enum values from the client's exported enum objects, linked to members through the
 *   client's type declarations (the schemas carry no enum links).
 * Lengths and patterns are not in the clients; names are checked against SageMaker's patterns
 * in local mode (local/sagemaker/names.ts).
 *
 * In Step Functions Parameters a key ending in `.$` is a JSONPath resolved at run time: the
 * member name is checked, its value is not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const CLIENTS: Record<string, string> = {
  sagemaker: '@aws-sdk/client-sagemaker',
  'sagemaker-runtime': '@aws-sdk/client-sagemaker-runtime',
  s3: '@aws-sdk/client-s3',
  dynamodb: '@aws-sdk/client-dynamodb',
  sfn: '@aws-sdk/client-sfn',
  sns: '@aws-sdk/client-sns',
  eventbridge: '@aws-sdk/client-eventbridge',
  cloudwatch: '@aws-sdk/client-cloudwatch',
  cloudformation: '@aws-sdk/client-cloudformation',
};

type SchemaRef = unknown;
type EnumLink = { kind: 'scalar' | 'list' | 'mapValue' | 'mapKey'; enumName: string };
interface Client {
  readonly exports: Record<string, unknown>;
  readonly enumLinks: Map<string, Map<string, EnumLink>>;
}

const clients = new Map<string, Client>();

function loadClient(service: string): Client {
  const pkg = CLIENTS[service] ?? service;
  const cached = clients.get(pkg);
  if (cached) return cached;
  const main = require.resolve(pkg);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the client's CJS entry, resolved at run time
  const exports = require(main) as Record<string, unknown>;
  const isEnum = (name: string) => {
    const value = exports[name];
    return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).length > 0 && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');
  };
  const enumLinks = new Map<string, Map<string, EnumLink>>();
  const models = join(resolve(dirname(main), '..'), 'dist-types', 'models');
  for (const file of readdirSync(models).filter((f) => f.endsWith('.d.ts'))) {
    let current: Map<string, EnumLink> | undefined;
    for (const line of readFileSync(join(models, file), 'utf8').split('\n')) {
      const start = /^export interface (\w+) \{/.exec(line);
      if (start) {
        current = new Map();
        enumLinks.set(start[1], current);
        continue;
      }
      if (line === '}') current = undefined;
      const member = current && /^ {4}(\w+)\??: (.+);$/.exec(line);
      if (!current || !member) continue;
      const type = member[2].replace(/ \| undefined$/, '');
      const patterns: Array<[RegExp, EnumLink['kind']]> = [
        [/^(\w+)$/, 'scalar'],
        [/^(\w+)\[\]$/, 'list'],
        [/^Record<string, (\w+)>$/, 'mapValue'],
        [/^Partial<Record<(\w+), /, 'mapKey'],
      ];
      for (const [pattern, kind] of patterns) {
        const match = pattern.exec(type);
        if (match && isEnum(match[1])) {
          current.set(member[1], { kind, enumName: match[1] });
          break;
        }
      }
    }
  }
  const client = { exports, enumLinks };
  clients.set(pkg, client);
  return client;
}

type Node =
  | { t: 'struct' | 'union'; name: string; names: string[]; refs: SchemaRef[]; required: number; idempotent: boolean }
  | { t: 'list'; val: SchemaRef; idempotent: boolean }
  | { t: 'map'; val: SchemaRef; idempotent: boolean }
  | { t: 'string' | 'number' | 'boolean' | 'timestamp' | 'blob' | 'document' | 'unit' | 'unknown'; idempotent: boolean };

const deref = (ref: SchemaRef): unknown => (typeof ref === 'function' ? (ref as () => unknown)() : ref);

function nodeOf(ref: SchemaRef): Node {
  let schema = deref(ref);
  let traits: unknown = 0;
  while (Array.isArray(schema) && schema.length === 2) {
    traits = schema[1];
    schema = deref(schema[0]);
  }
  while (Array.isArray(schema) && schema[0] === 0) schema = deref(schema[4]);
  const idempotent = typeof traits === 'number' ? (traits & 4) !== 0 : Boolean((traits as { idempotencyToken?: unknown } | null)?.idempotencyToken);
  if (schema === 'unit') return { t: 'unit', idempotent };
  if (typeof schema === 'number') {
    if (schema & 128) return { t: 'map', val: schema & 63, idempotent };
    if (schema & 64) return { t: 'list', val: schema & 63, idempotent };
    const simple: Record<number, Node['t']> = { 0: 'string', 1: 'number', 2: 'boolean', 15: 'document', 17: 'number', 19: 'number', 21: 'blob', 42: 'blob' };
    return { t: (simple[schema] ?? (schema >= 4 && schema <= 7 ? 'timestamp' : 'unknown')) as 'string', idempotent };
  }
  const array = schema as unknown[];
  switch (array[0]) {
    case 1:
      return { t: 'list', val: array[4], idempotent };
    case 2:
      return { t: 'map', val: array[5], idempotent };
    case 3:
    case -3:
    case 4:
      return { t: array[0] === 4 ? 'union' : 'struct', name: String(array[2]), names: array[4] as string[], refs: array[5] as SchemaRef[], required: Number(array[6] ?? 0), idempotent };
    default:
      return { t: 'unknown', idempotent };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
const jsType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const TYPE_OK: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  timestamp: (v) => v instanceof Date || typeof v === 'number' || typeof v === 'string',
  blob: (v) => typeof v === 'string' || v instanceof Uint8Array || (v !== null && typeof v === 'object'),
};

interface Walk {
  readonly client: Client;
  readonly stepFunctions: boolean;
  readonly problems: string[];
}

function walk(ctx: Walk, ref: SchemaRef, value: unknown, at: string, enumLink?: EnumLink): void {
  const node = nodeOf(ref);
  const where = at || '(root)';
  if (node.t === 'struct' || node.t === 'union') {
    if (!isObject(value)) return void ctx.problems.push(`${where}: expected an object (${node.name}), got ${jsType(value)}`);
    const links = ctx.client.enumLinks.get(node.name) ?? new Map<string, EnumLink>();
    const seen = new Set<string>();
    for (const [rawKey, member] of Object.entries(value)) {
      const dynamic = ctx.stepFunctions && rawKey.endsWith('.$');
      const key = dynamic ? rawKey.slice(0, -2) : rawKey;
      const path = at ? `${at}.${rawKey}` : rawKey;
      if (seen.has(key)) ctx.problems.push(`${path}: ${key} given twice (with and without ".$")`);
      seen.add(key);
      const index = node.names.indexOf(key);
      if (index < 0) ctx.problems.push(`${path}: not a member of ${node.name}`);
      else if (!dynamic && member !== undefined) walk(ctx, node.refs[index], member, path, links.get(key));
    }
    if (node.t === 'union' && seen.size !== 1) ctx.problems.push(`${where}: union ${node.name} takes exactly one member, got ${seen.size}`);
    if (node.t === 'struct') {
      for (let i = 0; i < node.required; i++) {
        if (!seen.has(node.names[i]) && !nodeOf(node.refs[i]).idempotent) ctx.problems.push(`${where}: missing required member ${node.names[i]} of ${node.name}`);
      }
    }
    return;
  }
  if (node.t === 'list') {
    if (!Array.isArray(value)) return void ctx.problems.push(`${where}: expected an array, got ${jsType(value)}`);
    const element = enumLink?.kind === 'list' ? { ...enumLink, kind: 'scalar' as const } : undefined;
    value.forEach((v, i) => walk(ctx, node.val, v, `${at}[${i}]`, element));
    return;
  }
  if (node.t === 'map') {
    if (!isObject(value)) return void ctx.problems.push(`${where}: expected an object (map), got ${jsType(value)}`);
    for (const [rawKey, member] of Object.entries(value)) {
      const dynamic = ctx.stepFunctions && rawKey.endsWith('.$');
      const key = dynamic ? rawKey.slice(0, -2) : rawKey;
      if (enumLink?.kind === 'mapKey') checkEnum(ctx, enumLink.enumName, key, `${where} key "${key}"`);
      if (dynamic || member === undefined) continue;
      walk(ctx, node.val, member, `${at}.${rawKey}`, enumLink?.kind === 'mapValue' ? { ...enumLink, kind: 'scalar' } : undefined);
    }
    return;
  }
  const typeOk = TYPE_OK[node.t] ?? (() => true);
  if (!typeOk(value)) return void ctx.problems.push(`${where}: expected a ${node.t}, got ${jsType(value)} ${JSON.stringify(value)}`);
  if (enumLink?.kind === 'scalar') checkEnum(ctx, enumLink.enumName, value, where);
}

function checkEnum(ctx: Walk, enumName: string, value: unknown, where: string): void {
  const allowed = Object.values(ctx.client.exports[enumName] as Record<string, unknown>);
  if (!allowed.includes(value)) {
    const shown = allowed.length > 8 ? `${allowed.slice(0, 8).join(', ')}, ... (${allowed.length})` : allowed.join(', ');
    ctx.problems.push(`${where}: ${JSON.stringify(value)} is not a ${enumName} value (${shown})`);
  }
}

/**
 * Problems of a request to `operation` (e.g. "CreateTrainingJob" or "createTrainingJob") of a
 * service ("sagemaker", "s3", ...); an empty list when the model accepts it.
 */
export function apiProblems(service: string, operation: string, input: unknown, options: { stepFunctions?: boolean } = {}): string[] {
  const client = loadClient(service);
  const name = `${operation[0].toUpperCase()}${operation.slice(1)}`;
  const op = client.exports[`${name}$`] as unknown[] | undefined;
  if (!Array.isArray(op) || op[0] !== 9) return [`${service} has no operation ${name} in its API model`];
  const ctx: Walk = { client, stepFunctions: options.stepFunctions ?? false, problems: [] };
  walk(ctx, op[4], input ?? {}, '');
  return ctx.problems;
}

/**
 * Whether the service's API model is here. The Lambda invocations CDK's LambdaInvoke renders
 * are not checked: their payload is ours, validated by each handler's zod schema.
 */
export function hasApiModel(service: string | undefined): boolean {
  return service !== undefined && service in CLIENTS;
}

/** The service and operation of a Step Functions service-integration Resource, if it is one. */
export function taskIntegration(resource: string): { service: string; operation: string } | undefined {
  const match = /^arn:aws[\w-]*:states:::(?:aws-sdk:)?([\w-]+):(\w+?)(?:\.sync(?::2)?|\.waitForTaskToken)?$/.exec(resource);
  return match ? { service: match[1], operation: match[2] } : undefined;
}

/** A command sent through an SDK client (or recorded by aws-sdk-client-mock). */
interface SentCommand {
  readonly input: unknown;
  readonly schema?: unknown;
  readonly constructor: { readonly name: string };
}

/** Problems of a command object, validated against the model of the client it belongs to. */
export function commandProblems(service: string, command: SentCommand): string[] {
  const operation = command.constructor.name.replace(/Command$/, '');
  return apiProblems(service, operation, command.input).map((p) => `${command.constructor.name}: ${p}`);
}

/** The client package whose exports hold this command class. */
function serviceOfCommand(command: SentCommand): string | undefined {
  for (const [service, pkg] of Object.entries(CLIENTS)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same module instance the code under test imported
    if ((require(pkg) as Record<string, unknown>)[command.constructor.name] === command.constructor) return service;
  }
  return undefined;
}

/**
 * Problems of every command an aws-sdk-client-mock stub received, each validated against the
 * API model of its service. Adapter and CLI tests assert it is empty after each test, so a
 * command the SDK's TypeScript types accept but the service's model does not (a wrong enum
 * value, a missing required member) fails there and not in the cloud.
 */
export function sentCommandProblems(stub: { calls(): ReadonlyArray<{ readonly args: readonly unknown[] }> }): string[] {
  return stub.calls().flatMap((call) => {
    const command = call.args[0] as SentCommand;
    const service = serviceOfCommand(command);
    if (service === undefined) return [`${command.constructor.name}: no API model of its service here`];
    return commandProblems(service, command).filter((problem) => !LIB_STORAGE_PASSTHROUGH.test(problem));
  });
}

/**
 * @aws-sdk/lib-storage's Upload spreads the caller's PutObject parameters into each multipart
 * command, so Body and ContentType ride along where the model has no such member; the SDK's
 * serializer sends only modeled members, so they never reach S3.
 */
const LIB_STORAGE_PASSTHROUGH = /^(CreateMultipartUploadCommand: Body|UploadPartCommand: ContentType|CompleteMultipartUploadCommand: (Body|ContentType)): not a member of /;
