/**
 * What every cloud command shares: the options (stack, region, profile, resource overrides,
 * --json), the SDK clients (default provider chain, or injected by tests), the deployed
 * stack's resources read from its CloudFormation outputs, and the translation of the errors a
 * person can fix (no credentials, no region, no such stack) into one line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { awsErrorName, isAwsError, withAwsErrors } from '../../lambdas/adapters/aws-errors';
import { systemClock } from '../../lambdas/adapters/clock';
import { createDynamoDbStateStore } from '../../lambdas/adapters/dynamodb-state-store';
import type { Clock, ModelRegistry, StateStore } from '../../lambdas/adapters/ports';
import { createSageMakerRegistry } from '../../lambdas/adapters/sagemaker-registry';
import { ConfigError, loadConfig } from '../../lib/config';
import { UserError, action, configErrorLine } from '../errors';

/** The SDK clients the cloud commands use, all for one region and profile. */
export interface CloudClients {
  readonly cloudFormation: CloudFormationClient;
  readonly sfn: SFNClient;
  readonly dynamoDb: DynamoDBClient;
  readonly sageMaker: SageMakerClient;
  readonly cloudWatch: CloudWatchClient;
}

/** --region and --profile, as given (undefined: the SDK's default provider chain decides). */
export interface ClientOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** What tests (and embedders) can replace. */
export interface CloudDeps {
  /**
   * Creates the SDK clients for --region and --profile.
   * @default - clients that take region and credentials from the SDK default provider chain
   */
  readonly clients?: (options: ClientOptions) => CloudClients;
  /**
   * Waits between polls of a running execution.
   * @default - real time (setTimeout)
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Now, for durations of runs still going and for execution names.
   * @default - the system clock
   */
  readonly clock?: Clock;
  /**
   * Directory whose retrain.config.json names the default stack.
   * @default - the current working directory
   */
  readonly cwd?: string;
}

/** Options every cloud command accepts (commander's camelCase names of the flags). */
export interface CloudOptions {
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json?: boolean;
  readonly stateMachineArn?: string;
  readonly table?: string;
  readonly endpoint?: string;
  readonly modelPackageGroup?: string;
}

/** A resource of the stack a command needs: its override flag and the stack output it comes from. */
export type Resource = 'stateMachine' | 'table' | 'endpoint' | 'modelPackageGroup';

const RESOURCES: Record<Resource, { readonly flag: string; readonly option: keyof CloudOptions; readonly output: string; readonly help: string }> = {
  stateMachine: { flag: '--state-machine-arn <arn>', option: 'stateMachineArn', output: 'StateMachineArn', help: 'pipeline state machine (default: the stack output StateMachineArn)' },
  table: { flag: '--table <name>', option: 'table', output: 'StateTableName', help: 'state table (default: the stack output StateTableName)' },
  endpoint: { flag: '--endpoint <name>', option: 'endpoint', output: 'EndpointName', help: 'SageMaker endpoint (default: the stack output EndpointName)' },
  modelPackageGroup: {
    flag: '--model-package-group <name>',
    option: 'modelPackageGroup',
    output: 'ModelPackageGroupName',
    help: 'model package group (default: the stack output ModelPackageGroupName)',
  },
};

/** Stack name used when neither --stack nor retrain.config.json names one. */
export const DEFAULT_STACK = 'retrain';
/** Stack tag holding the project name (lib/retrain-stack.ts). */
export const PROJECT_TAG = 'retrain:project';
const CONFIG_FILE = 'retrain.config.json';

/** Adds the shared options (and the override flags of the resources it uses) to a command. */
export function withCloudOptions(command: Command, resources: readonly Resource[]): Command {
  command
    .option('--stack <name>', `CloudFormation stack of the deployment (default: project.name from ./${CONFIG_FILE}, else "${DEFAULT_STACK}")`)
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--profile <name>', 'AWS profile from the shared config files (default: AWS_PROFILE or the default chain)')
    .option('--json', 'print one JSON object instead of tables');
  for (const resource of resources) command.option(RESOURCES[resource].flag, RESOURCES[resource].help);
  return command;
}

/** The deployment the command works on. */
export interface Deployment {
  readonly stackName: string;
  /** Prefix of the resource names (alarm names derive from it). */
  readonly projectName: string;
  readonly region: string;
  /** Whether the stack's outputs were read (false when flags named every resource needed). */
  readonly fromStack: boolean;
  readonly stateMachineArn?: string;
  readonly tableName?: string;
  readonly endpointName?: string;
  readonly modelPackageGroupName?: string;
  readonly dashboardUrl?: string;
}

/** Clients, resources and ports of one command invocation. */
export class CloudContext {
  private stateStore?: StateStore;
  private modelRegistry?: ModelRegistry;

  constructor(
    readonly deployment: Deployment,
    readonly clients: CloudClients,
    readonly clock: Clock,
    readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** A resource the command declared it needs (openContext made sure it is known). */
  resource(resource: Resource): string {
    const value = {
      stateMachine: this.deployment.stateMachineArn,
      table: this.deployment.tableName,
      endpoint: this.deployment.endpointName,
      modelPackageGroup: this.deployment.modelPackageGroupName,
    }[resource];
    if (value === undefined) throw new Error(`cloud context: ${resource} was not resolved; declare it in the command's needs`);
    return value;
  }

  /** The state table (item shapes stay with the DynamoDB adapter). */
  get state(): StateStore {
    this.stateStore ??= createDynamoDbStateStore(this.clients.dynamoDb, this.resource('table'), this.clock);
    return this.stateStore;
  }

  get registry(): ModelRegistry {
    this.modelRegistry ??= createSageMakerRegistry(this.clients.sageMaker);
    return this.modelRegistry;
  }
}

export function defaultClients(options: ClientOptions): CloudClients {
  const config = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  return {
    cloudFormation: new CloudFormationClient(config),
    sfn: new SFNClient(config),
    dynamoDb: new DynamoDBClient(config),
    sageMaker: new SageMakerClient(config),
    cloudWatch: new CloudWatchClient(config),
  };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves the region and the resources the command needs: flags first; anything missing
 * comes from the stack's outputs (one DescribeStacks).
 */
export async function openContext(options: CloudOptions, needs: readonly Resource[], deps: CloudDeps = {}): Promise<CloudContext> {
  const clients = (deps.clients ?? defaultClients)({ region: options.region, profile: options.profile });
  const region = await resolveRegion(clients);
  const stackName = options.stack ?? projectNameFromConfig(deps.cwd ?? process.cwd()) ?? DEFAULT_STACK;
  const flags: Record<Resource, string | undefined> = {
    stateMachine: options.stateMachineArn,
    table: options.table,
    endpoint: options.endpoint,
    modelPackageGroup: options.modelPackageGroup,
  };
  const missing = needs.filter((r) => flags[r] === undefined);
  let deployment: Deployment = {
    stackName,
    projectName: stackName,
    region,
    fromStack: false,
    stateMachineArn: flags.stateMachine,
    tableName: flags.table,
    endpointName: flags.endpoint,
    modelPackageGroupName: flags.modelPackageGroup,
  };
  if (missing.length > 0) {
    const stack = await describeStack(clients.cloudFormation, stackName, region);
    const output = (resource: Resource) => flags[resource] ?? outputOf(stack, stackName, RESOURCES[resource].output, needs.includes(resource));
    deployment = {
      stackName,
      projectName: stack.Tags?.find((t) => t.Key === PROJECT_TAG)?.Value ?? stackName,
      region,
      fromStack: true,
      stateMachineArn: output('stateMachine'),
      tableName: output('table'),
      endpointName: output('endpoint'),
      modelPackageGroupName: output('modelPackageGroup'),
      dashboardUrl: outputOf(stack, stackName, 'DashboardUrl', false),
    };
  }
  return new CloudContext(deployment, clients, deps.clock ?? systemClock, deps.sleep ?? realSleep);
}

async function resolveRegion(clients: CloudClients): Promise<string> {
  try {
    return await clients.cloudFormation.config.region();
  } catch (error) {
    throw new UserError(`no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile (${messageOf(error)})`);
  }
}

/** project.name of ./retrain.config.json, or undefined when there is no such file. */
function projectNameFromConfig(cwd: string): string | undefined {
  const path = join(cwd, CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return loadConfig(path).project.name;
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(`${configErrorLine(error)} (pass --stack to name the stack without it)`);
    throw error;
  }
}

async function describeStack(client: CloudFormationClient, stackName: string, region: string): Promise<Stack> {
  let stacks: Stack[] | undefined;
  try {
    ({ Stacks: stacks } = await withAwsErrors({ service: 'CloudFormation', operation: 'DescribeStacks', context: { stackName } }, () =>
      client.send(new DescribeStacksCommand({ StackName: stackName })),
    ));
  } catch (error) {
    if (isAwsError(causeOf(error), 'ValidationException') && /does not exist/.test(messageOf(causeOf(error)))) {
      throw new UserError(`stack "${stackName}" does not exist in ${region}: check --stack and --region (or AWS_REGION), or deploy it with cdk deploy`);
    }
    throw error;
  }
  const stack = stacks?.[0];
  if (stack === undefined) throw new UserError(`stack "${stackName}" does not exist in ${region}: check --stack and --region`);
  return stack;
}

function outputOf(stack: Stack, stackName: string, key: string, required: boolean): string | undefined {
  const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  if (value === undefined && required) {
    throw new UserError(
      `stack "${stackName}" (${stack.StackStatus ?? 'unknown status'}) has no output ${key}: is it a retrain stack that finished deploying?`,
    );
  }
  return value;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Error names of credentials AWS did not accept. */
const REJECTED_CREDENTIALS = [
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
];

/** A user error for failures a person fixes outside retrain (credentials, region); anything else unchanged. */
export function explainAwsFailure(error: unknown): unknown {
  if (error instanceof UserError) return error;
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 5; e = e instanceof Error ? e.cause : undefined) chain.push(e);
  const missing = chain.find((e) => ['CredentialsProviderError', 'TokenProviderError'].includes(awsErrorName(e) ?? ''));
  if (missing !== undefined) {
    return new UserError(
      `no usable AWS credentials (${messageOf(missing)}): set AWS_PROFILE or pass --profile (run "aws sso login" if an SSO session expired), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  }
  const rejected = chain.find((e) => isAwsError(e, REJECTED_CREDENTIALS));
  if (rejected !== undefined) {
    return new UserError(`AWS rejected the credentials (${awsErrorName(rejected)}: ${messageOf(rejected)}): refresh them or pass another --profile`);
  }
  if (chain.some((e) => e instanceof Error && e.message === 'Region is missing')) {
    return new UserError('no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile');
  }
  return error;
}

/** action() for cloud commands: AWS failures a person can fix become one line as well. */
export function cloudAction<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return action(async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      throw explainAwsFailure(error);
    }
  });
}

/** Prints the command's result: JSON for --json, text otherwise. */
export function print(options: Pick<CloudOptions, 'json'>, json: unknown, text: () => string): void {
  console.log(options.json ? JSON.stringify(json) : text());
}
