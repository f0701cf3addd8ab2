import {
  CreateEndpointCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidInputError, TransientError } from '../../../lambdas/core/errors';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import type { BlueGreenDeployment } from '../../../lambdas/adapters/ports';
import { createSageMakerHosting, EndpointBusyError } from '../../../lambdas/adapters/sagemaker-hosting';
import { sentCommandProblems } from '../../helpers/api-model';

const ENDPOINT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/retrain';
const sagemaker = mockClient(SageMakerClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(sagemaker)).toEqual([]));

function validationError(message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

const canary: BlueGreenDeployment = {
  routing: { type: 'CANARY', percent: 10, waitIntervalSeconds: 300 },
  terminationWaitSeconds: 120,
  maximumExecutionTimeoutSeconds: 3600,
  rollbackAlarmNames: ['retrain-errors', 'retrain-latency'],
};

describe('sagemaker-hosting', () => {
  const hosting = createSageMakerHosting(new SageMakerClient({ region: 'us-east-1' }));

  beforeEach(() => sagemaker.reset());

  describe('describeEndpoint', () => {
    it('returns the name, status, config and failure reason', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves({
        EndpointName: 'retrain',
        EndpointArn: ENDPOINT_ARN,
        EndpointConfigName: 'retrain-r1',
        EndpointStatus: 'Failed',
        FailureReason: 'health check failed',
        CreationTime: new Date(),
        LastModifiedTime: new Date(),
      });

      await expect(hosting.describeEndpoint('retrain')).resolves.toEqual({
        name: 'retrain',
        status: 'Failed',
        endpointConfigName: 'retrain-r1',
        failureReason: 'health check failed',
      });
      expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'retrain' });
    });

    it('returns undefined when SageMaker cannot find the endpoint', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(validationError(`Could not find endpoint "${ENDPOINT_ARN}".`));

      await expect(hosting.describeEndpoint('retrain')).resolves.toBeUndefined();
    });

    it('tells a missing endpoint by the error name, whatever the message says', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(validationError('an unrelated wording'));

      await expect(hosting.describeEndpoint('retrain')).resolves.toBeUndefined();
    });

    it('maps a validation error for a malformed name to an AwsRequestError naming the endpoint', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(validationError('1 validation error detected'));

      await expect(hosting.describeEndpoint('retrain_endpoint')).rejects.toMatchObject({
        name: 'AwsRequestError',
        context: expect.objectContaining({ endpointName: 'retrain_endpoint' }),
      });
    });
  });

  it('creates an endpoint from a config', async () => {
    sagemaker.on(CreateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

    await hosting.createEndpoint('retrain', 'retrain-r1');

    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: 'retrain', EndpointConfigName: 'retrain-r1' });
  });

  describe('updateEndpoint', () => {
    it('updates blue/green with canary traffic shifting and auto-rollback alarms', async () => {
      sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      await hosting.updateEndpoint('retrain', 'retrain-r2', canary);

      expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, {
        EndpointName: 'retrain',
        EndpointConfigName: 'retrain-r2',
        RetainAllVariantProperties: false,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 },
            TerminationWaitInSeconds: 120,
            MaximumExecutionTimeoutInSeconds: 3600,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'retrain-errors' }, { AlarmName: 'retrain-latency' }] },
        },
      });
    });

    it('uses LinearStepSize for linear routing and no size for all at once', async () => {
      sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      await hosting.updateEndpoint('retrain', 'c1', { ...canary, routing: { type: 'LINEAR', percent: 25, waitIntervalSeconds: 60 } });
      await hosting.updateEndpoint('retrain', 'c2', { ...canary, routing: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 0 } });

      const routings = sagemaker
        .commandCalls(UpdateEndpointCommand)
        .map((c) => c.args[0].input.DeploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration);
      expect(routings).toEqual([
        { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 60 },
        { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
      ]);
    });

    it('sends no DeploymentConfig without a deployment (serverless endpoints)', async () => {
      sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      await hosting.updateEndpoint('retrain', 'retrain-r2');

      const input = sagemaker.commandCalls(UpdateEndpointCommand)[0].args[0].input;
      expect(input).toEqual({ EndpointName: 'retrain', EndpointConfigName: 'retrain-r2', RetainAllVariantProperties: false });
    });

    it('leaves out AutoRollbackConfiguration when there are no alarms', async () => {
      sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      await hosting.updateEndpoint('retrain', 'retrain-r2', { ...canary, rollbackAlarmNames: [] });

      expect(sagemaker.commandCalls(UpdateEndpointCommand)[0].args[0].input.DeploymentConfig?.AutoRollbackConfiguration).toBeUndefined();
    });

    it('rejects canary routing without a percent before calling SageMaker', async () => {
      const deployment: BlueGreenDeployment = { ...canary, routing: { type: 'CANARY', waitIntervalSeconds: 300 } };

      await expect(hosting.updateEndpoint('retrain', 'c', deployment)).rejects.toBeInstanceOf(InvalidInputError);
      expect(sagemaker).toHaveReceivedCommandTimes(UpdateEndpointCommand, 0);
    });

    it('throws EndpointBusyError when the endpoint is being updated', async () => {
      sagemaker.on(UpdateEndpointCommand).rejects(validationError(`Cannot update in-progress endpoint "${ENDPOINT_ARN}".`));
      sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'retrain', EndpointStatus: 'Updating', EndpointConfigName: 'retrain-r1' });

      const attempt = hosting.updateEndpoint('retrain', 'retrain-r2', canary);

      await expect(attempt).rejects.toBeInstanceOf(EndpointBusyError);
      await expect(attempt).rejects.toMatchObject({ name: 'EndpointBusyError', context: { endpointName: 'retrain', endpointConfigName: 'retrain-r2' } });
    });

    it('maps a validation error on an endpoint that is not changing to an AwsRequestError', async () => {
      sagemaker.on(UpdateEndpointCommand).rejects(validationError('Cannot update in-progress endpoint (wording alone decides nothing)'));
      sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'retrain', EndpointStatus: 'InService', EndpointConfigName: 'retrain-r1' });

      await expect(hosting.updateEndpoint('retrain', 'retrain-r2')).rejects.toMatchObject({
        name: 'AwsRequestError',
        context: expect.objectContaining({ awsError: 'ValidationException', endpointName: 'retrain' }),
      });
    });

    it('maps a throttled update to a TransientError', async () => {
      sagemaker.on(UpdateEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(hosting.updateEndpoint('retrain', 'retrain-r2')).rejects.toBeInstanceOf(TransientError);
    });
  });

  describe('listEndpointConfigs', () => {
    it('lists by name, newest first, across pages, keeping only names that start with the prefix', async () => {
      sagemaker
        .on(ListEndpointConfigsCommand)
        .resolvesOnce({
          EndpointConfigs: [
            { EndpointConfigName: 'retrain-r3', EndpointConfigArn: 'a3', CreationTime: new Date('2024-03-03') },
            { EndpointConfigName: 'old-retrain-r9', EndpointConfigArn: 'a9', CreationTime: new Date('2024-03-02') },
          ],
          NextToken: 'page-2',
        })
        .resolves({ EndpointConfigs: [{ EndpointConfigName: 'retrain-r1', EndpointConfigArn: 'a1', CreationTime: new Date('2024-03-01') }] });

      const configs = await hosting.listEndpointConfigs('retrain-');

      expect(configs).toEqual([
        { name: 'retrain-r3', createdAt: new Date('2024-03-03') },
        { name: 'retrain-r1', createdAt: new Date('2024-03-01') },
      ]);
      expect(sagemaker).toHaveReceivedNthCommandWith(1, ListEndpointConfigsCommand, {
        NameContains: 'retrain-',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
      });
      expect(sagemaker).toHaveReceivedNthCommandWith(2, ListEndpointConfigsCommand, { NameContains: 'retrain-', NextToken: 'page-2' });
    });
  });

  describe('deleteEndpointConfig', () => {
    it('deletes the config', async () => {
      sagemaker.on(DeleteEndpointConfigCommand).resolves({});

      await hosting.deleteEndpointConfig('retrain-r1');

      expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: 'retrain-r1' });
    });

    it('succeeds when the config is already gone', async () => {
      sagemaker.on(DeleteEndpointConfigCommand).rejects(validationError('Could not find endpoint configuration "arn:aws:sagemaker:...:endpoint-config/retrain-r1".'));

      await expect(hosting.deleteEndpointConfig('retrain-r1')).resolves.toBeUndefined();
    });

    it('maps other failures with the config name', async () => {
      sagemaker.on(DeleteEndpointConfigCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

      await expect(hosting.deleteEndpointConfig('retrain-r1')).rejects.toBeInstanceOf(AwsRequestError);
      await expect(hosting.deleteEndpointConfig('retrain-r1')).rejects.toMatchObject({ context: expect.objectContaining({ endpointConfigName: 'retrain-r1' }) });
    });
  });
});
