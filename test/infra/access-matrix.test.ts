/**
 * The access matrix: every access retrain needs at run time, with the AWS document that
 * requires it, and accesses that must be refused — evaluated against the synthesized stack's
 * identity, key, bucket, topic and queue policies by an IAM simulator we did not write
 * (test/helpers/access.ts). The expectations come from AWS's documents, not from our code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { RetrainConfigInput } from '../../lib/config';
import { AccessModel, type AccessRequest, type Decision } from '../helpers/access';
import { FAKE_ENV } from '../helpers/definition';
import { template } from '../helpers/stack';

const { partition, region, account } = FAKE_ENV;
const RUN = '20261204-120000-abcdef';
const KEY_CONTEXT_SFN = 'kms:EncryptionContext:aws:states:stateMachineArn';
const KEY_CONTEXT_LOGS = 'kms:EncryptionContext:aws:logs:arn';
const TLS = { 'aws:SecureTransport': 'true' };

const logGroupArn = (name: string) => `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
const tableArn = (project: string) => `arn:${partition}:dynamodb:${region}:${account}:table/${project}-state`;
const sagemakerArn = (type: string, name: string) => `arn:${partition}:sagemaker:${region}:${account}:${type}/${name}`;

interface Row {
  /** Who, what, on what — in words. */
  readonly access: string;
  /** The AWS document that requires (or forbids) it. */
  readonly source: string;
  readonly expect: 'allow' | 'deny';
  readonly request: (model: AccessModel) => AccessRequest;
}


/** The project key's ARN, as the finalize role's grants name it. */
function keyArnOf(m: AccessModel): string {
  const anyKeyStatement = m.roleOf('states.amazonaws.com').policies.flatMap((p) => p.Statement as Array<{ Resource?: unknown; Action?: unknown }>);
  const arn = anyKeyStatement.map((s) => s.Resource).find((r): r is string => typeof r === 'string' && r.includes(':kms:'));
  if (!arn) throw new Error('no key ARN in the finalize role');
  return arn;
}
/** The data bucket's ARN, as the ETL role's grants name it. */
const bucketArn = (m: AccessModel) => {
  const statements = m.roles.filter((r) => /-etl: /.test(r.description)).flatMap((r) => r.policies).flatMap((p) => p.Statement as Array<{ Resource?: unknown }>);
  const resources = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
  const object = resources.find((r): r is string => typeof r === 'string' && r.startsWith(`arn:${partition}:s3:::`) && r.endsWith('/raw/*'));
  if (!object) throw new Error('no raw/ grant in the ETL role');
  return object.slice(0, -'/raw/*'.length);
};

function rowsFor(PROJECT: string): Row[] {
  const stateMachineArn = `arn:${partition}:states:${region}:${account}:stateMachine:${PROJECT}-pipeline`;
  return [
  // ----- CloudWatch Logs and the project key
  {
    access: "CloudWatch Logs encrypts a function's log group with the project key",
    source: 'CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS" (key policy for logs.<region>.amazonaws.com)',
    expect: 'allow',
    request: (m) => ({
      principal: `logs.${region}.amazonaws.com`,
      action: 'kms:GenerateDataKey',
      resource: keyArnOf(m),
      context: { [KEY_CONTEXT_LOGS]: logGroupArn(`/aws/lambda/${PROJECT}-etl`) },
    }),
  },
  {
    access: "CloudWatch Logs decrypts the state machine's vended log group",
    source: 'CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"',
    expect: 'allow',
    request: (m) => ({
      principal: `logs.${region}.amazonaws.com`,
      action: 'kms:Decrypt',
      resource: keyArnOf(m),
      context: { [KEY_CONTEXT_LOGS]: logGroupArn(`/aws/vendedlogs/states/${PROJECT}-pipeline`) },
    }),
  },
  {
    access: 'CloudWatch Logs may not use the key for log groups of others',
    source: 'CloudWatch Logs User Guide: the condition limits the key to the named log groups',
    expect: 'deny',
    request: (m) => ({
      principal: `logs.${region}.amazonaws.com`,
      action: 'kms:GenerateDataKey',
      resource: keyArnOf(m),
      context: { [KEY_CONTEXT_LOGS]: logGroupArn('/aws/lambda/someone-else') },
    }),
  },
  {
    access: "Log delivery decrypts to ship the encrypted state machine's execution logs",
    source: 'Step Functions Developer Guide, "Data at rest encryption" (delivery.logs.amazonaws.com kms:Decrypt)',
    expect: 'allow',
    request: (m) => ({ principal: 'delivery.logs.amazonaws.com', action: 'kms:Decrypt', resource: keyArnOf(m), context: { 'aws:SourceAccount': account } }),
  },
  // ----- starting and reading runs of the encrypted state machine
  {
    access: 'The EventBridge target role starts the pipeline',
    source: 'EventBridge User Guide, "Amazon EventBridge targets" (the role needs states:StartExecution)',
    expect: 'allow',
    request: (m) => ({ principal: m.roleOf('events.amazonaws.com').arn, action: 'states:StartExecution', resource: stateMachineArn }),
  },
  ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).map(
    (action): Row => ({
      access: `The EventBridge target role uses the key (${action}) for the execution input it starts`,
      source: 'Step Functions Developer Guide, "Data at rest encryption" (customer managed key, encryption context aws:states:stateMachineArn)',
      expect: 'allow',
      request: (m) => ({ principal: m.roleOf('events.amazonaws.com').arn, action, resource: keyArnOf(m), context: { [KEY_CONTEXT_SFN]: stateMachineArn } }),
    }),
  ),
  {
    access: "The EventBridge target role may not use the key for another state machine's data",
    source: 'Step Functions Developer Guide, "Data at rest encryption" (the encryption context names the state machine)',
    expect: 'deny',
    request: (m) => ({
      principal: m.roleOf('events.amazonaws.com').arn,
      action: 'kms:Decrypt',
      resource: keyArnOf(m),
      context: { [KEY_CONTEXT_SFN]: `arn:${partition}:states:${region}:${account}:stateMachine:other` },
    }),
  },
  {
    access: 'Finalize starts the follow-up run, with the key',
    source: 'Step Functions Developer Guide, "Data at rest encryption"',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-finalize:`).arn, action: 'kms:GenerateDataKey', resource: keyArnOf(m), context: { [KEY_CONTEXT_SFN]: stateMachineArn } }),
  },
  {
    access: "Admission reads a lock holder's execution, with the key",
    source: 'Step Functions Developer Guide, "Data at rest encryption" (DescribeExecution needs kms:Decrypt)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-admit:`).arn, action: 'kms:Decrypt', resource: keyArnOf(m), context: { [KEY_CONTEXT_SFN]: stateMachineArn } }),
  },
  // ----- SageMaker
  {
    access: 'SageMaker reads the auto-rollback alarms with the endpoint execution role',
    source: 'SageMaker Developer Guide, "Auto-Rollback Configuration and Monitoring" (cloudwatch:DescribeAlarms)',
    expect: 'allow',
    request: (m) => ({
      principal: m.role(`retrain (${PROJECT}): batch transform and the endpoint`).arn,
      action: 'cloudwatch:DescribeAlarms',
      resource: `arn:${partition}:cloudwatch:${region}:${account}:alarm:${PROJECT}-endpoint-5xx`,
    }),
  },
  {
    access: 'The endpoint execution role reads the model artifact under models/',
    source: 'SageMaker Developer Guide, "How to use SageMaker AI execution roles" (CreateModel: s3:GetObject on the model artifacts)',
    expect: 'allow',
    request: (m) => ({
      principal: m.role(`retrain (${PROJECT}): batch transform and the endpoint`).arn,
      action: 's3:GetObject',
      resource: `${bucketArn(m)}/models/${RUN}/${PROJECT}-${RUN}/output/model.tar.gz`,
      context: TLS,
    }),
  },
  {
    access: 'The training role writes the model artifact under models/',
    source: 'SageMaker Developer Guide, "How to use SageMaker AI execution roles" (CreateTrainingJob: s3:PutObject on the output path)',
    expect: 'allow',
    request: (m) => ({
      principal: m.role(`retrain (${PROJECT}): SageMaker training jobs`).arn,
      action: 's3:PutObject',
      resource: `${bucketArn(m)}/models/${RUN}/${PROJECT}-${RUN}/output/model.tar.gz`,
      context: TLS,
    }),
  },
  {
    access: 'The training role may not read ground truth',
    source: 'retrain least privilege: training reads only its run',
    expect: 'deny',
    request: (m) => ({ principal: m.role(`retrain (${PROJECT}): SageMaker training jobs`).arn, action: 's3:GetObject', resource: `${bucketArn(m)}/ground-truth/labels.jsonl`, context: TLS }),
  },
  {
    access: "Promote deletes this project's endpoint configs",
    source: 'Service Authorization Reference, Amazon SageMaker (endpoint-config resources take aws:ResourceTag)',
    expect: 'allow',
    request: (m) => ({
      principal: m.role(`${PROJECT}-promote:`).arn,
      action: 'sagemaker:DeleteEndpointConfig',
      resource: sagemakerArn('endpoint-config', `${PROJECT}-${RUN}`),
      context: { 'aws:ResourceTag/retrain:project': PROJECT },
    }),
  },
  {
    access: 'Promote may not delete the endpoint config of another project whose name extends this one',
    source: 'Service Authorization Reference, Amazon SageMaker (aws:ResourceTag on endpoint-config)',
    expect: 'deny',
    request: (m) => ({
      principal: m.role(`${PROJECT}-promote:`).arn,
      action: 'sagemaker:DeleteEndpointConfig',
      resource: sagemakerArn('endpoint-config', `${PROJECT}-staging-${RUN}`),
      context: { 'aws:ResourceTag/retrain:project': `${PROJECT}-staging` },
    }),
  },
  {
    access: 'The state machine passes the training role to SageMaker',
    source: 'SageMaker Developer Guide, "How to use SageMaker AI execution roles" (iam:PassRole)',
    expect: 'allow',
    request: (m) => ({
      principal: m.roleOf('states.amazonaws.com').arn,
      action: 'iam:PassRole',
      resource: m.role(`retrain (${PROJECT}): SageMaker training jobs`).arn,
      context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    }),
  },
  {
    access: 'The state machine starts training jobs named after the run',
    source: 'Step Functions Developer Guide, "IAM policies for calling SageMaker AI" (sagemaker:CreateTrainingJob)',
    expect: 'allow',
    request: (m) => ({ principal: m.roleOf('states.amazonaws.com').arn, action: 'sagemaker:CreateTrainingJob', resource: sagemakerArn('training-job', `${PROJECT}-${RUN}`) }),
  },
  // ----- what the Lambda adapters send (see "every adapter command has a row" below)
  ...(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'] as const).map(
    (operation): Row => ({
      access: `Admission uses the state table (dynamodb:${operation})`,
      source: 'DynamoDB Developer Guide, "Identity-based policies for DynamoDB" (actions on the table ARN)',
      expect: 'allow',
      request: (m) => ({ principal: m.role(`${PROJECT}-admit:`).arn, action: `dynamodb:${operation}`, resource: tableArn(PROJECT) }),
    }),
  ),
  {
    access: 'Finalize publishes the run outcome to the topic',
    source: 'SNS Developer Guide, "Amazon SNS API permissions: Actions and resources reference" (sns:Publish on the topic)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-finalize:`).arn, action: 'sns:Publish', resource: `arn:${partition}:sns:${region}:${account}:${PROJECT}-notifications`, context: TLS }),
  },
  {
    access: "Finalize uses the topic's key to publish",
    source: 'SNS Developer Guide, "Key management" (publishers to an encrypted topic need kms:GenerateDataKey* and kms:Decrypt)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-finalize:`).arn, action: 'kms:GenerateDataKey', resource: keyArnOf(m) }),
  },
  ...([
    ['retrain', 'allow'],
    ['aws.sagemaker', 'deny'],
  ] as const).map(
    ([source, expect]): Row => ({
      access: `Finalize puts run events with source ${source} on the default bus (${expect})`,
      source: 'EventBridge User Guide, "Using IAM policy conditions" (events:source)',
      expect,
      request: (m) => ({
        principal: m.role(`${PROJECT}-finalize:`).arn,
        action: 'events:PutEvents',
        resource: `arn:${partition}:events:${region}:${account}:event-bus/default`,
        context: { 'events:source': [source] },
      }),
    }),
  ),
  ...([
    ['retrain', 'allow'],
    ['AWS/SageMaker', 'deny'],
  ] as const).map(
    ([namespace, expect]): Row => ({
      access: `The drift monitor puts metrics in the ${namespace} namespace (${expect})`,
      source: 'CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces" (cloudwatch:namespace)',
      expect,
      request: (m) => ({ principal: m.role(`${PROJECT}-drift-monitor:`).arn, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': namespace } }),
    }),
  ),
  ...(['CreateEndpoint', 'UpdateEndpoint', 'DescribeEndpoint'] as const).map(
    (operation): Row => ({
      access: `Deploy calls sagemaker:${operation} on the project's endpoint`,
      source: 'Service Authorization Reference, Amazon SageMaker (endpoint resources)',
      expect: 'allow',
      request: (m) => ({ principal: m.role(`${PROJECT}-deploy:`).arn, action: `sagemaker:${operation}`, resource: sagemakerArn('endpoint', PROJECT) }),
    }),
  ),
  {
    access: 'Promote lists endpoint configs',
    source: 'Service Authorization Reference, Amazon SageMaker (ListEndpointConfigs takes no resource)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-promote:`).arn, action: 'sagemaker:ListEndpointConfigs', resource: '*' }),
  },
  {
    access: 'Approval reads the model package it waits for',
    source: 'Service Authorization Reference, Amazon SageMaker (model-package resources)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-approval:`).arn, action: 'sagemaker:DescribeModelPackage', resource: sagemakerArn('model-package', `${PROJECT}/3`) }),
  },
  ...(['SendTaskSuccess', 'SendTaskFailure'] as const).map(
    (operation): Row => ({
      access: `Approval resumes the waiting run (states:${operation})`,
      source: 'Service Authorization Reference, AWS Step Functions (SendTaskSuccess/Failure take no resource: "*")',
      expect: 'allow',
      request: (m) => ({ principal: m.role(`${PROJECT}-approval:`).arn, action: `states:${operation}`, resource: '*' }),
    }),
  ),
  {
    access: 'Admission describes the executions of the pipeline',
    source: 'Step Functions Developer Guide, "IAM policies" (DescribeExecution on execution ARNs)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-admit:`).arn, action: 'states:DescribeExecution', resource: `arn:${partition}:states:${region}:${account}:execution:${PROJECT}-pipeline:some-run` }),
  },
  {
    access: 'Finalize starts the pipeline',
    source: 'Step Functions Developer Guide, "IAM policies" (StartExecution on the state machine)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-finalize:`).arn, action: 'states:StartExecution', resource: stateMachineArn }),
  },
  {
    access: 'The ETL lists raw/',
    source: 'S3 User Guide, "Policy actions for Amazon S3" (ListObjectsV2 needs s3:ListBucket on the bucket)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-etl:`).arn, action: 's3:ListBucket', resource: bucketArn(m), context: { ...TLS, 's3:prefix': 'raw/' } }),
  },
  {
    access: 'The ETL writes the splits of its run (PutObject, multipart uploads included)',
    source: 'S3 User Guide, "Policy actions for Amazon S3" (multipart uploads need s3:PutObject)',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-etl:`).arn, action: 's3:PutObject', resource: `${bucketArn(m)}/runs/${RUN}/data/train.csv`, context: TLS }),
  },
  // ----- data
  {
    access: 'The ETL may not write raw/',
    source: 'retrain contract: raw data is never modified or deleted',
    expect: 'deny',
    request: (m) => ({ principal: m.role(`${PROJECT}-etl:`).arn, action: 's3:PutObject', resource: `${bucketArn(m)}/raw/data.csv`, context: TLS }),
  },
  {
    access: 'The ETL reads raw/ over TLS',
    source: 'retrain contract; S3 User Guide, bucket policies',
    expect: 'allow',
    request: (m) => ({ principal: m.role(`${PROJECT}-etl:`).arn, action: 's3:GetObject', resource: `${bucketArn(m)}/raw/data.csv`, context: TLS }),
  },
  {
    access: 'Nobody reads the bucket without TLS, whatever their identity policy allows',
    source: 'S3 User Guide, "Enforce encryption of data in transit" (aws:SecureTransport)',
    expect: 'deny',
    request: (m) => ({ principal: m.role(`${PROJECT}-etl:`).arn, action: 's3:GetObject', resource: `${bucketArn(m)}/raw/data.csv`, context: { 'aws:SecureTransport': 'false' } }),
  },
];
}

describe.each([
  ['the default configuration', {}, 'retrain'],
  ['retrain.staging.json', 'retrain.staging.json', 'retrain-staging'],
  ['retrain.prod.json', 'retrain.prod.json', 'retrain-prod'],
] as const)('access matrix of %s: what AWS requires, evaluated by an IAM simulator', (_name, config, project) => {
  let access: AccessModel;
  beforeAll(() => {
    access = new AccessModel(template(typeof config === 'string' ? loadConfigInput(config) : config), FAKE_ENV);
  });

  it.each(rowsFor(project).map((row) => [row.access, row]))('%s', async (_access, row) => {
    const decision: Decision = await access.decide(row.request(access));

    if (row.expect === 'allow') expect({ decision, source: row.source }).toEqual({ decision: 'Allowed', source: row.source });
    else expect({ decision, source: row.source }).not.toEqual({ decision: 'Allowed', source: row.source });
  });
});

/**
 * The IAM action each SDK command needs (Service Authorization Reference; S3's ListObjectsV2 is
 * s3:ListBucket, HeadObject is s3:GetObject, multipart uploads are s3:PutObject). Commands only
 * the operator CLI sends through a shared adapter are listed with the CLI's permissions in
 * docs/cli.md instead of here.
 */
const COMMAND_ACTIONS: Record<string, string> = {
  ListObjectsV2Command: 's3:ListBucket',
  paginateListObjectsV2: 's3:ListBucket',
  HeadObjectCommand: 's3:GetObject',
  GetObjectCommand: 's3:GetObject',
  PutObjectCommand: 's3:PutObject',
  Upload: 's3:PutObject',
};
const SERVICE_PREFIX: Record<string, string> = {
  'client-s3': 's3',
  'client-dynamodb': 'dynamodb',
  'client-sfn': 'states',
  'client-sns': 'sns',
  'client-eventbridge': 'events',
  'client-cloudwatch': 'cloudwatch',
  'client-sagemaker': 'sagemaker',
};
const OPERATOR_ONLY = new Set(['ListModelPackagesCommand', 'UpdateModelPackageCommand']);

/** Every SDK command (or lib-storage Upload, or paginator) the Lambda adapters import. */
function adapterCommands(): Array<{ adapter: string; command: string; action: string }> {
  const dir = join(__dirname, '..', '..', 'lambdas', 'adapters');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      return [...source.matchAll(/import \{([^}]*)\} from '@aws-sdk\/([\w-]+)'/g)].flatMap(([, names, pkg]) =>
        names
          .split(',')
          .map((name) => name.trim())
          .filter((name) => /^(\w+Command|paginate\w+|Upload)$/.test(name) && !OPERATOR_ONLY.has(name))
          .map((command) => ({
            adapter: file,
            command,
            action: COMMAND_ACTIONS[command] ?? `${SERVICE_PREFIX[pkg] ?? pkg}:${command.replace(/Command$/, '')}`,
          })),
      );
    });
}

describe('access matrix: coverage', () => {
  it('has a row for every command a Lambda adapter sends', () => {
    const model = new AccessModel(template(), FAKE_ENV);
    const covered = new Set(rowsFor('retrain').map((row) => row.request(model).action));
    const commands = adapterCommands();

    expect(commands.length).toBeGreaterThan(15);
    expect(commands.filter(({ action }) => !covered.has(action))).toEqual([]);
  });
});

/** A committed stage configuration, as the CDK app reads it. */
function loadConfigInput(file: string): RetrainConfigInput {
  return parseJsonc(readFileSync(join(__dirname, '..', '..', file), 'utf8')) as RetrainConfigInput;
}
