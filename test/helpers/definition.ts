/**
 * The state machine definition as CloudFormation will deploy it: taken from the synthesized
 * template (never re-declared), with the intrinsics of its DefinitionString rendered to fixed
 * values so that the result is plain Amazon States Language JSON.
 *
 * Rendering (`resolveIntrinsics`):
 * - `Ref` to a pseudo parameter: the fixed environment below (or the stack's own, when the
 *   stack has a concrete one CDK already inlined it); `Ref` to a resource: `<Ref:LogicalId>`;
 * - `Fn::GetAtt [id, "Arn"]`: a well-formed fake ARN for the resource's type, named after its
 *   name property when that is a literal (so an alarm's fake ARN ends in its real name), else
 *   after its logical id; any other attribute: `<GetAtt:LogicalId.Attribute>`;
 * - `Fn::FindInMap`: the mapping's value (for `AWS::Region`, the fixed region's entry);
 * - `Fn::Join`, `Fn::Select`, `Fn::Split` and `Fn::Sub` as CloudFormation evaluates them.
 * Anything else throws, naming the intrinsic and where it was found.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { RetrainConfigInput } from '../../lib/config';
import type { RetrainStack } from '../../lib/retrain-stack';
import { buildStack, type BuildOptions } from './stack';

/** The pseudo parameters an environment-agnostic template is rendered with. */
export interface FakeEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly urlSuffix: string;
  readonly stackName: string;
}

export const FAKE_ENV: FakeEnvironment = fakeEnvironment('us-east-1');

/** The pseudo parameters of a region (its partition and URL suffix) and account. */
export function fakeEnvironment(region: string, account = '123456789012', stackName = 'retrain'): FakeEnvironment {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { partition, region, account, urlSuffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com', stackName };
}

/** A synthesized CloudFormation template, as much of it as rendering needs. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

// ----- Amazon States Language (what the tests read of it) -----

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
}

export interface AslRetrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

export interface AslCatcher {
  readonly ErrorEquals: string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
}

export interface AslChoiceRule {
  readonly Next?: string;
  readonly Variable?: string;
  readonly And?: AslChoiceRule[];
  readonly Or?: AslChoiceRule[];
  readonly Not?: AslChoiceRule;
  readonly [operator: string]: unknown;
}

export interface AslState {
  readonly Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
  readonly Next?: string;
  readonly End?: boolean;
  readonly Comment?: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultSelector?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly Result?: unknown;
  readonly Retry?: AslRetrier[];
  readonly Catch?: AslCatcher[];
  readonly Choices?: AslChoiceRule[];
  readonly Default?: string;
  readonly Branches?: AslDefinition[];
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
  readonly [field: string]: unknown;
}

/** One state and where it sits: top level (branch undefined) or in a Parallel branch. */
export interface LocatedState {
  readonly name: string;
  readonly state: AslState;
  /** The Parallel state whose branch holds this state; undefined at the top level. */
  readonly parallel?: string;
}

// ----- synthesizing -----

export interface SynthesizedDefinition {
  readonly stack: RetrainStack;
  readonly template: Template;
  /** The rendered definition of the stack's only state machine. */
  readonly definition: AslDefinition;
  /** Logical id of the state machine resource. */
  readonly logicalId: string;
  /** The pseudo parameters it was rendered with: the stack's own environment, else FAKE_ENV. */
  readonly env: FakeEnvironment;
}

/** Builds a fresh stack from a configuration and returns its rendered state machine definition. */
export function synthesizeDefinition(config: RetrainConfigInput = {}, options: BuildOptions = {}): SynthesizedDefinition {
  const { stack } = buildStack(config, options);
  const template = Template.fromStack(stack);
  const env = options.env ? fakeEnvironment(options.env.region, options.env.account, stack.stackName) : { ...FAKE_ENV, stackName: stack.stackName };
  return { stack, template, env, ...definitionOf(template, env) };
}

/** The rendered definition of the template's only AWS::StepFunctions::StateMachine. */
export function definitionOf(template: Template | CfnTemplate, env: FakeEnvironment = FAKE_ENV): { definition: AslDefinition; logicalId: string } {
  const cfn = asCfnTemplate(template);
  const machines = Object.entries(cfn.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new Error(`definitionOf: expected exactly one AWS::StepFunctions::StateMachine in the template, found ${machines.length}`);
  }
  const [logicalId, machine] = machines[0];
  const raw = machine.Properties?.DefinitionString;
  if (raw === undefined) throw new Error(`definitionOf: ${logicalId} has no DefinitionString (DefinitionS3Location is not supported)`);
  const text = resolveIntrinsics(raw, cfn, env, `${logicalId}.DefinitionString`);
  if (typeof text !== 'string') throw new Error(`definitionOf: ${logicalId}.DefinitionString rendered to ${typeof text}, expected a string`);
  try {
    return { definition: JSON.parse(text) as AslDefinition, logicalId };
  } catch (error) {
    throw new Error(`definitionOf: ${logicalId}.DefinitionString is not JSON once rendered: ${(error as Error).message}`);
  }
}

export function asCfnTemplate(template: Template | CfnTemplate): CfnTemplate {
  return template instanceof Template ? (template.toJSON() as CfnTemplate) : template;
}

// ----- walking -----

/** Every state of the definition, including those in Parallel branches (and Map processors). */
export function allStates(definition: AslDefinition, parallel?: string): LocatedState[] {
  const located: LocatedState[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    located.push({ name, state, ...(parallel !== undefined ? { parallel } : {}) });
    for (const branch of state.Branches ?? []) located.push(...allStates(branch, name));
    const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (processor) located.push(...allStates(processor, name));
  }
  return located;
}

/** The names a state can go to next: Next, Default, each choice's Next, each catcher's Next. */
export function successors(state: AslState): string[] {
  const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)];
  return [...new Set(next.filter((n): n is string => n !== undefined))];
}

/** The state of that name at the top level or in a branch; throws naming what exists. */
export function stateNamed(definition: AslDefinition, name: string): AslState {
  const found = allStates(definition).find((s) => s.name === name);
  if (!found) throw new Error(`no state "${name}"; states: ${allStates(definition).map((s) => s.name).join(', ')}`);
  return found.state;
}

// ----- intrinsics -----

const PSEUDO: Record<string, (env: FakeEnvironment) => string> = {
  'AWS::Partition': (env) => env.partition,
  'AWS::Region': (env) => env.region,
  'AWS::AccountId': (env) => env.account,
  'AWS::URLSuffix': (env) => env.urlSuffix,
  'AWS::StackName': (env) => env.stackName,
  'AWS::StackId': (env) => `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stack/${env.stackName}/00000000-0000-0000-0000-000000000000`,
};

/** Fake ARNs by resource type: the resource's name (a literal name property, else its logical id). */
const ARNS: Record<string, { nameProperty?: string; arn: (env: FakeEnvironment, name: string) => string }> = {
  'AWS::Lambda::Function': { nameProperty: 'FunctionName', arn: (e, n) => `arn:${e.partition}:lambda:${e.region}:${e.account}:function:${n}` },
  'AWS::IAM::Role': { nameProperty: 'RoleName', arn: (e, n) => `arn:${e.partition}:iam::${e.account}:role/${n}` },
  'AWS::KMS::Key': { arn: (e, n) => `arn:${e.partition}:kms:${e.region}:${e.account}:key/${n}` },
  'AWS::CloudWatch::Alarm': { nameProperty: 'AlarmName', arn: (e, n) => `arn:${e.partition}:cloudwatch:${e.region}:${e.account}:alarm:${n}` },
  'AWS::SQS::Queue': { nameProperty: 'QueueName', arn: (e, n) => `arn:${e.partition}:sqs:${e.region}:${e.account}:${n}` },
  'AWS::SNS::Topic': { nameProperty: 'TopicName', arn: (e, n) => `arn:${e.partition}:sns:${e.region}:${e.account}:${n}` },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    arn: (e, n) => `arn:${e.partition}:states:${e.region}:${e.account}:stateMachine:${n}`,
  },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', arn: (e, n) => `arn:${e.partition}:logs:${e.region}:${e.account}:log-group:${n}:*` },
  'AWS::S3::Bucket': { nameProperty: 'BucketName', arn: (e, n) => `arn:${e.partition}:s3:::${n}` },
  'AWS::Events::Rule': { nameProperty: 'Name', arn: (e, n) => `arn:${e.partition}:events:${e.region}:${e.account}:rule/${n}` },
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', arn: (e, n) => `arn:${e.partition}:dynamodb:${e.region}:${e.account}:table/${n}` },
  'AWS::SageMaker::ModelPackageGroup': {
    nameProperty: 'ModelPackageGroupName',
    arn: (e, n) => `arn:${e.partition}:sagemaker:${e.region}:${e.account}:model-package-group/${n}`,
  },
};

/**
 * Renders every intrinsic in a template value (see the file comment). `where` names the value
 * in errors, e.g. "PipelineStateMachine.DefinitionString".
 */
export function resolveIntrinsics(value: unknown, template: Template | CfnTemplate, env: FakeEnvironment = FAKE_ENV, where = 'value'): unknown {
  const cfn = asCfnTemplate(template);
  const resolve = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => resolve(item, `${at}[${i}]`));
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      const [name, args] = entries[0];
      return intrinsic(name, args, `${at}.${name}`);
    }
    return Object.fromEntries(entries.map(([k, item]) => [k, resolve(item, `${at}.${k}`)]));
  };
  const str = (v: unknown, at: string): string => {
    const resolved = resolve(v, at);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new Error(`resolveIntrinsics: ${at} rendered to ${JSON.stringify(resolved)}, expected a string`);
    }
    return String(resolved);
  };
  const ref = (name: string, at: string): string => {
    const pseudo = PSEUDO[name];
    if (pseudo) return pseudo(env);
    if (!cfn.Resources[name]) throw new Error(`resolveIntrinsics: ${at} refers to "${name}", which is no resource of the template`);
    return `<Ref:${name}>`;
  };
  const intrinsic = (name: string, args: unknown, at: string): unknown => {
    switch (name) {
      case 'Ref':
        return ref(String(args), at);
      case 'Fn::GetAtt': {
        const [id, attribute] = (Array.isArray(args) ? args : String(args).split('.')) as [string, string];
        const resource = cfn.Resources[id];
        if (!resource) throw new Error(`resolveIntrinsics: ${at} refers to "${id}", which is no resource of the template`);
        if (attribute !== 'Arn') return `<GetAtt:${id}.${attribute}>`;
        const kind = ARNS[resource.Type];
        const named = kind?.nameProperty ? resource.Properties?.[kind.nameProperty] : undefined;
        const resourceName = typeof named === 'string' ? named : id;
        if (kind) return kind.arn(env, resourceName);
        const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
        return `arn:${env.partition}:${service}:${env.region}:${env.account}:${resourceName}`;
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        const list = resolve(parts, `${at}[1]`);
        if (!Array.isArray(list)) throw new Error(`resolveIntrinsics: ${at} joins ${JSON.stringify(list)}, expected a list`);
        return list.map((p, i) => str(p, `${at}[1][${i}]`)).join(separator);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = (args as unknown[]).map((a, i) => str(a, `${at}[${i}]`));
        const value = cfn.Mappings?.[map]?.[first]?.[second];
        if (value === undefined) throw new Error(`resolveIntrinsics: ${at}: mapping ${map} has no ${first}.${second}`);
        return value;
      }
      case 'Fn::Select': {
        const [index, list] = args as [unknown, unknown];
        const items = resolve(list, `${at}[1]`);
        if (!Array.isArray(items)) throw new Error(`resolveIntrinsics: ${at} selects from ${JSON.stringify(items)}, expected a list`);
        return items[Number(str(index, `${at}[0]`))];
      }
      case 'Fn::Split': {
        const [separator, source] = args as [string, unknown];
        return str(source, `${at}[1]`).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = (typeof args === 'string' ? [args] : args) as [string, Record<string, unknown>?];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, variable: string) => {
          if (variable in variables) return str(variables[variable], `${at}[1].${variable}`);
          if (variable.includes('.')) return str({ 'Fn::GetAtt': variable.split('.') }, at);
          return ref(variable, at);
        });
      }
      default:
        throw new Error(`resolveIntrinsics: ${at}: unsupported intrinsic ${name}`);
    }
  };
  return resolve(value, where);
}

/**
 * A construct's attribute (a token such as `bucket.bucketName` or `key.keyArn`) as it appears in
 * a rendered value of the same template: resolved by its stack, then rendered.
 */
export function renderToken(synthesized: { stack: { resolve(value: unknown): unknown }; template: Template | CfnTemplate; env?: FakeEnvironment }, token: unknown): unknown {
  return resolveIntrinsics(synthesized.stack.resolve(token), synthesized.template, synthesized.env ?? FAKE_ENV, 'token');
}
