import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { defaultClients } from '../../../../cli/cloud/context';
import { STACK_OUTPUTS, TABLE, awsError, cli, mockStack, mockTable, mocks, resetMocks } from '../../../helpers/cloud-cli';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retrain-cloud-'));
  writeFileSync(join(dir, 'retrain.config.json'), '{ "project": { "name": "churn" } // comments are fine\n}');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  resetMocks();
  mockTable([]);
});

describe('cloud commands: finding the stack', () => {
  it('describes the stack named "retrain" when neither --stack nor retrain.config.json names one', async () => {
    mockStack();

    await cli(['history']);

    expect(mocks.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'retrain' });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, { TableName: TABLE });
  });

  it('takes the stack name from project.name of ./retrain.config.json', async () => {
    mockStack();

    await cli(['history'], { cwd: dir });

    expect(mocks.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'churn' });
  });

  it('takes the stack name from a configuration file saved with a UTF-8 byte order mark', async () => {
    const withBom = mkdtempSync(join(dir, 'bom-'));
    writeFileSync(join(withBom, 'retrain.config.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{ "project": { "name": "churn-bom" } }')]));
    mockStack();

    const { stderr } = await cli(['history'], { cwd: withBom });

    expect(stderr).toBe('');
    expect(mocks.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'churn-bom' });
  });

  it('prefers --stack to the configuration file', async () => {
    mockStack();

    await cli(['history', '--stack', 'churn-staging'], { cwd: dir });

    expect(mocks.cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'churn-staging' });
  });

  it('reports an invalid configuration file in one line', async () => {
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, 'retrain.config.json'), '{ "project": { "name": "Not Valid" } }');

    const { stderr, exitCode } = await cli(['history'], { cwd: bad });

    expect(exitCode).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^retrain: .*retrain\.config\.json: project\.name: expected 3-24 characters.* \(pass --stack to name the stack without it\)$/);
  });

  it('passes --region and --profile to the SDK clients', async () => {
    mockStack();

    const { clientOptions } = await cli(['history', '--region', 'us-east-2', '--profile', 'ops']);

    expect(clientOptions).toEqual([{ region: 'us-east-2', profile: 'ops' }]);
  });

  it('creates default clients for the given region and profile', async () => {
    const clients = defaultClients({ region: 'us-east-2', profile: 'ops' });

    expect(clients.cloudFormation).toBeInstanceOf(CloudFormationClient);
    expect(clients.sfn).toBeInstanceOf(SFNClient);
    expect(clients.dynamoDb).toBeInstanceOf(DynamoDBClient);
    expect(clients.sageMaker).toBeInstanceOf(SageMakerClient);
    expect(clients.cloudWatch).toBeInstanceOf(CloudWatchClient);
    await expect(clients.sfn.config.region()).resolves.toBe('us-east-2');
    expect((clients.dynamoDb.config as { profile?: string }).profile).toBe('ops');
  });
});

describe('cloud commands: errors a person can fix, in one line', () => {
  it('says the stack does not exist in the region (CloudFormation ValidationException)', async () => {
    mocks.cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationException', 'Stack with id retrain does not exist'));

    const { stdout, stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('retrain: stack "retrain" does not exist in eu-west-1: check --stack and --region (or AWS_REGION), or deploy it with cdk deploy');
  });

  it('says there are no credentials (CredentialsProviderError), whichever call meets it first', async () => {
    mocks.cloudFormation.on(DescribeStacksCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    const { stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(
      'retrain: no usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE or pass --profile ' +
        '(run "aws sso login" if an SSO session expired), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });

  it('says the credentials were rejected (ExpiredToken)', async () => {
    mocks.cloudFormation.on(DescribeStacksCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired', 403));

    const { stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(
      'retrain: AWS rejected the credentials (ExpiredToken: The security token included in the request is expired): refresh them or pass another --profile',
    );
  });

  it('says no region is configured', async () => {
    const noRegion = { region: async () => Promise.reject(new Error('Region is missing')) };

    const { stderr, exitCode } = await cli(['history'], {
      clients: () => ({
        cloudFormation: new CloudFormationClient(noRegion),
        sfn: new SFNClient(noRegion),
        dynamoDb: new DynamoDBClient(noRegion),
        sageMaker: new SageMakerClient(noRegion),
        cloudWatch: new CloudWatchClient(noRegion),
      }),
    });

    expect(exitCode).toBe(1);
    expect(stderr).toBe('retrain: no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile (Region is missing)');
  });

  it('names the output a stack lacks', async () => {
    const { StateTableName: _dropped, ...outputs } = STACK_OUTPUTS;
    mockStack(outputs);

    const { stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe('retrain: stack "retrain" (UPDATE_COMPLETE) has no output StateTableName: is it a retrain stack that finished deploying?');
  });

  it('reports any other AWS failure as one line naming the call', async () => {
    mockStack();
    mocks.dynamoDb.on(QueryCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dynamodb:Query'));

    const { stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^retrain: DynamoDB Query failed \(table=retrain-state, pk=RUN\): AccessDeniedException: User: .* is not authorized/);
  });
});
