/**
 * API contract: every service-integration Task of the synthesized state machine sends
 * Parameters that AWS's published API model of the service accepts (test/helpers/api-model.ts),
 * for the default configuration, both stage configurations and one with every option on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { RetrainConfigInput } from '../../lib/config';
import { PublishCommand } from '@aws-sdk/client-sns';
import { apiProblems, hasApiModel, sentCommandProblems, taskIntegration } from '../helpers/api-model';
import { allStates, synthesizeDefinition } from '../helpers/definition';

const stageConfig = (file: string) => parseJsonc(readFileSync(join(__dirname, '..', '..', file), 'utf8')) as RetrainConfigInput;

const CONFIGS: Array<[string, RetrainConfigInput]> = [
  ['the default configuration', {}],
  ['retrain.staging.json', stageConfig('retrain.staging.json')],
  ['retrain.prod.json', stageConfig('retrain.prod.json')],
  [
    'every option on (VPC, spot, canary, GPU instances with NVMe storage)',
    {
      training: {
        instanceType: 'ml.g5.xlarge',
        spot: { enabled: true, maxWaitSeconds: 7200 },
        vpc: { subnetIds: ['subnet-0abc'], securityGroupIds: ['sg-0abc'] },
      },
      evaluation: { transformInstanceType: 'ml.g4dn.xlarge' },
      deployment: { manualApproval: true, instanceType: 'ml.g4dn.xlarge', instanceCount: 2, strategy: { type: 'canary', canaryPercent: 50 } },
    },
  ],
];

describe.each(CONFIGS)('API contract of %s', (_name, config) => {
  const { definition } = synthesizeDefinition(config);
  const integrations = allStates(definition)
    .filter(({ state }) => state.Type === 'Task' && hasApiModel(taskIntegration(state.Resource ?? '')?.service))
    .map(({ name, state }) => [name, state] as const);

  it('has the SageMaker integrations it is expected to have', () => {
    expect(integrations.map(([name]) => name)).toEqual(expect.arrayContaining(['Train', 'CreateModel', 'TransformCandidate', 'Register', 'CreateEndpointConfig']));
  });

  it.each(integrations)('%s sends Parameters the service API model accepts', (_state, state) => {
    const { service, operation } = taskIntegration(state.Resource ?? '')!;

    expect(apiProblems(service, operation, state.Parameters, { stepFunctions: true })).toEqual([]);
  });
});

describe('API contract: the checker itself', () => {
  const valid = {
    TrainingJobName: 'retrain-20261204-120000-abcdef',
    AlgorithmSpecification: { TrainingImage: 'image', TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::123456789012:role/r',
    OutputDataConfig: { S3OutputPath: 's3://bucket/models/run' },
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  };

  it('accepts a valid CreateTrainingJob request', () => {
    expect(apiProblems('sagemaker', 'createTrainingJob', valid)).toEqual([]);
  });

  it('reports an unknown member, a wrong JSON type, a value outside an enum and a missing required member', () => {
    const { RoleArn: _omitted, ...withoutRole } = valid;
    const problems = apiProblems('sagemaker', 'CreateTrainingJob', {
      ...withoutRole,
      Foo: 1,
      AlgorithmSpecification: { TrainingImage: 'image', TrainingInputMode: 'Files' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: '1' },
    });

    expect(problems.sort()).toEqual([
      '(root): missing required member RoleArn of CreateTrainingJobRequest',
      'AlgorithmSpecification.TrainingInputMode: "Files" is not a TrainingInputMode value (FastFile, File, Pipe)',
      'Foo: not a member of CreateTrainingJobRequest',
      'ResourceConfig.InstanceCount: expected a number, got string "1"',
    ]);
  });

  it('checks the member name but not the value of a Step Functions path (".$")', () => {
    expect(apiProblems('sagemaker', 'CreateTrainingJob', { ...valid, 'TrainingJobName.$': '$.x', TrainingJobName: undefined }, { stepFunctions: true })).toEqual([
      'TrainingJobName.$: TrainingJobName given twice (with and without ".$")',
    ]);
    expect(apiProblems('sagemaker', 'CreateTrainingJob', { ...valid, 'Bogus.$': '$.x' }, { stepFunctions: true })).toEqual(['Bogus.$: not a member of CreateTrainingJobRequest']);
  });

  it('checks the commands an aws-sdk-client-mock stub received against their service model', () => {
    const stub = { calls: () => [{ args: [new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' } as never)] }] };

    expect(sentCommandProblems(stub)).toEqual(['PublishCommand: (root): missing required member Message of PublishInput']);
  });
});
