/**
 * Real-account integration test, in the CDK ecosystem's convention (integ-runner with
 * @aws-cdk/integ-tests-alpha). `npm run integ` deploys a low-cost retrain stack, uploads a
 * small dataset, runs the pipeline until a model is deployed, invokes the endpoint, runs it a
 * second time through a blue/green update, cleans up what the pipeline created outside
 * CloudFormation, and destroys the stack. Without credentials, `npm run integ:snapshot` (run by
 * CI) synthesizes this app and compares it with the committed snapshot, so every template
 * change is visible in review. Cost, time, region and permissions: docs/operations.md.
 */
import { App, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type IApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { parseConfig } from '../../lib/config';
import { addRetrainStack } from '../../lib/retrain-app';

const PROJECT = 'retrain-integ';

// No stack traces in the snapshot's metadata: they hold this machine's paths.
const app = new App({ context: { 'aws:cdk:disable-stack-trace': true } });
// The cheapest configuration that still exercises the whole loop: small instances, a
// serverless endpoint (no idle cost), no schedule and no new-data rule (runs start here).
const stack = addRetrainStack(
  app,
  parseConfig(
    {
      project: { name: PROJECT },
      training: { instanceType: 'ml.m5.large', maxRuntimeSeconds: 1800, hyperparameters: { num_round: 20, max_depth: 3, eta: 0.3 } },
      evaluation: { transformInstanceType: 'ml.m5.large', minImprovement: 0 },
      deployment: { serverless: { memorySizeMb: 2048, maxConcurrency: 1 }, maxWaitMinutes: 30 },
      triggers: { schedule: 'off', newData: { enabled: false } },
      retention: { removalPolicy: 'destroy', logRetentionDays: 1 },
    },
    'test/integ/integ.retrain.ts',
  ),
  { nag: false, disposable: true },
);

/** 600 labelled rows of three numeric features, the same every time (a fixed linear congruential sequence). */
function dataset(): string {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const rows = ['f1,f2,f3,label'];
  for (let i = 0; i < 600; i++) {
    const [f1, f2, f3] = [next(), next(), next()].map((v) => Number((v * 10).toFixed(3)));
    rows.push(`${f1},${f2},${f3},${f1 + 0.5 * f2 + next() * 2 > 8 ? 1 : 0}`);
  }
  return `${rows.join('\n')}\n`;
}

/**
 * What the pipeline creates outside CloudFormation — the endpoint, its configs and models, and
 * the packages of the model package group — deleted before the stack, so that the group and
 * the roles can be deleted with it.
 */
const cleanup = new lambda.Function(stack, 'IntegCleanup', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  timeout: Duration.minutes(5),
  code: lambda.Code.fromInline(`
const sm = require('@aws-sdk/client-sagemaker');
const client = new sm.SageMakerClient({});
const all = async (list, key) => { const out = []; let NextToken; do { const page = await list(NextToken); out.push(...page[key]); NextToken = page.NextToken; } while (NextToken); return out; };
// Gone already (a retried cleanup, or no run got that far) is fine; any other error fails the test.
const unlessGone = (call) => call.catch((error) => { if (!/Could not find/.test(String(error.message))) throw error; });
exports.handler = async ({ project }) => {
  await unlessGone(client.send(new sm.DeleteEndpointCommand({ EndpointName: project })));
  const configs = await all((NextToken) => client.send(new sm.ListEndpointConfigsCommand({ NameContains: project + '-', NextToken })), 'EndpointConfigs');
  for (const c of configs) await unlessGone(client.send(new sm.DeleteEndpointConfigCommand({ EndpointConfigName: c.EndpointConfigName })));
  const models = await all((NextToken) => client.send(new sm.ListModelsCommand({ NameContains: project + '-', NextToken })), 'Models');
  for (const m of models) await unlessGone(client.send(new sm.DeleteModelCommand({ ModelName: m.ModelName })));
  const packages = await all((NextToken) => client.send(new sm.ListModelPackagesCommand({ ModelPackageGroupName: project, NextToken })), 'ModelPackageSummaryList');
  for (const p of packages) await client.send(new sm.DeleteModelPackageCommand({ ModelPackageName: p.ModelPackageArn }));
  return { configs: configs.length, models: models.length, packages: packages.length };
};
`),
});
cleanup.addToRolePolicy(
  new iam.PolicyStatement({
    actions: ['sagemaker:DeleteEndpoint', 'sagemaker:ListEndpointConfigs', 'sagemaker:DeleteEndpointConfig', 'sagemaker:ListModels', 'sagemaker:DeleteModel', 'sagemaker:ListModelPackages', 'sagemaker:DeleteModelPackage'],
    resources: ['*'], // a throwaway test stack: the list actions take no resource, the rest are named at run time
  }),
);

const integ = new IntegTest(app, 'RetrainInteg', {
  testCases: [stack],
  diffAssets: false,
  stackUpdateWorkflow: false,
});
const assert = integ.assertions;

const upload = assert.awsApiCall('S3', 'putObject', {
  Bucket: stack.storage.dataBucket.bucketName,
  Key: 'raw/integ/customers.csv',
  Body: dataset(),
  ContentType: 'text/csv',
});
// The assertions' role writes the KMS-encrypted bucket and starts and reads the CMK-encrypted
// state machine, like any principal that starts runs (TrainingPipeline.grantStartRun).
upload.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [stack.storage.key.keyArn] });

/** Starts a run and waits until its execution ends in "Done" with the given outcome. */
function run(reason: string, outcome: string): [IApiCall, IApiCall] {
  const start = assert.awsApiCall('SFN', 'startExecution', {
    stateMachineArn: stack.pipeline.stateMachine.stateMachineArn,
    input: JSON.stringify({ reason }),
  });
  const done = assert
    .awsApiCall('SFN', 'describeExecution', { executionArn: start.getAttString('executionArn') })
    .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED', output: Match.serializedJson(Match.objectLike({ outcome })) }))
    .waitForAssertions({ totalTimeout: Duration.minutes(55), interval: Duration.seconds(60), backoffRate: 1 });
  return [start, done];
}

const [firstStart, firstDone] = run('integration test: first run', 'deployed');
const invoke = assert
  .awsApiCall('SageMakerRuntime', 'invokeEndpoint', { EndpointName: PROJECT, ContentType: 'text/csv', Body: '7.5,3.2,1.1' })
  .assertAtPath('Body', ExpectedResult.stringLikeRegexp('^\\s*[0-9.eE+-]+\\s*$'));
// The second run replaces the serving model through a blue/green update of the endpoint.
const [secondStart, secondDone] = run('integration test: second run, blue/green update', 'deployed');
const clean = assert.invokeFunction({ functionName: cleanup.functionName, payload: JSON.stringify({ project: PROJECT }) });

upload.next(firstStart).next(firstDone).next(invoke).next(secondStart).next(secondDone).next(clean);

app.synth();
