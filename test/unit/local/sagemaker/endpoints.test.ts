import { DataGenerator } from '../../../../local/data-generator';
import type { LocalFaults } from '../../../../local/sagemaker/backend';
import { InvocationError } from '../../../../local/sagemaker/errors';
import { referencePrediction, storedModel } from '../../../helpers/reference-gbdt';
import { BUCKET, endpointConfig, featureCsv, features, keys, makeBackend, readText, trainedModel, type TestBackend } from './fixtures';

describe('local sagemaker: endpoints', () => {
  const traffic = new DataGenerator({ seed: 21 }).traffic(5);
  let t: TestBackend;
  const faults: LocalFaults = {};
  const alarmsInAlarm = new Set<string>();
  let artifact: string;
  /** What every model here (all share model-a's artifact) answers for traffic[0], computed independently. */
  let expected0: string;

  beforeAll(async () => {
    t = await makeBackend({ faults, alarms: { isInAlarm: async (name) => alarmsInAlarm.has(name) } });
    await trainedModel(t, 'model-a');
    artifact = (await t.backend.describeModel('model-a')).PrimaryContainer?.ModelDataUrl as string;
    expected0 = String(referencePrediction(await storedModel(t.store, artifact), features(traffic[0].row))[0]);
    for (const name of ['model-b', 'model-c', 'model-d']) {
      await t.backend.createModel({ ModelName: name, PrimaryContainer: { Image: 'xgboost:1.7-1', ModelDataUrl: artifact }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r' });
    }
    await endpointConfig(t, 'config-a', 'model-a');
    await endpointConfig(t, 'config-b', 'model-b');
    await endpointConfig(t, 'config-c', 'model-c');
    await endpointConfig(t, 'config-d', 'model-d');
  });
  afterAll(() => t.cleanup());

  it('creates an endpoint that is Creating right after the call and InService once settled', async () => {
    const { EndpointArn } = await t.backend.createEndpoint({ EndpointName: 'churn', EndpointConfigName: 'config-a' });
    expect(EndpointArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:endpoint/churn');
    expect((await t.backend.describeEndpoint('churn')).EndpointStatus).toBe('Creating');
    await t.backend.waitForSettled();
    const endpoint = await t.backend.describeEndpoint('churn');
    expect(endpoint).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'config-a',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 1 }],
      DataCaptureConfig: { EnableCapture: true, CaptureStatus: 'Started', CurrentSamplingPercentage: 100, DestinationS3Uri: `s3://${BUCKET}/capture` },
    });
    expect(endpoint.FailureReason).toBeUndefined();
  });

  it('invokes the endpoint and captures input and output in SageMaker\'s JSON Lines format under the clock\'s hour', async () => {
    t.clock.advance(0);
    const results = [];
    for (const request of traffic) {
      results.push(await t.backend.invokeEndpoint('churn', featureCsv(request.row), { contentType: 'text/csv', inferenceId: request.inferenceId }));
      t.clock.advanceSeconds(30);
    }
    expect(results[0].ContentType).toBe('text/csv; charset=utf-8');
    expect(results[0].InvokedProductionVariant).toBe('AllTraffic');
    const score = Number(Buffer.from(results[0].Body).toString('utf8'));
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(1);
    expect(String(score)).toBe(expected0);

    expect(await keys(t.store, 'capture/')).toEqual([]);
    await t.backend.flushCapture();
    const files = await keys(t.store, 'capture/');
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^capture\/churn\/AllTraffic\/2026\/11\/27\/12\/00-00-000-[0-9a-f-]{36}\.jsonl$/);
    const records = (await readText(t.store, files[0])).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(5);
    expect(records[0]).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: featureCsv(traffic[0].row), encoding: 'CSV' },
        endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: Buffer.from(results[0].Body).toString('utf8'), encoding: 'CSV' },
      },
      eventMetadata: { eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), inferenceId: traffic[0].inferenceId, inferenceTime: '2026-11-27T12:00:00.000Z' },
      eventVersion: '0',
    });
    expect(records[4].eventMetadata.inferenceTime).toBe('2026-11-27T12:02:00.000Z');
  });

  it('writes one capture file per hour folder when the traffic spans hours', async () => {
    t.clock.advanceSeconds(3600);
    await t.backend.invokeEndpoint('churn', featureCsv(traffic[0].row));
    t.clock.advanceSeconds(3600);
    await t.backend.invokeEndpoint('churn', featureCsv(traffic[1].row));
    await t.backend.flushCapture();
    const hours = (await keys(t.store, 'capture/churn/AllTraffic/')).map((k) => k.split('/').slice(3, 7).join('/'));
    expect(hours).toEqual(['2026/11/27/12', '2026/11/27/13', '2026/11/27/14']);
  });

  it('updates the endpoint: Updating while the old config serves, then InService on the new config', async () => {
    await t.backend.updateEndpoint({
      EndpointName: 'churn',
      EndpointConfigName: 'config-b',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 3600,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'retrain-endpoint-errors' }] },
      },
    });
    const during = await t.backend.describeEndpoint('churn');
    expect(during).toMatchObject({ EndpointStatus: 'Updating', EndpointConfigName: 'config-a', PendingDeploymentSummary: { EndpointConfigName: 'config-b' } });
    await expect(t.backend.invokeEndpoint('churn', featureCsv(traffic[0].row)).then((r) => Buffer.from(r.Body).toString('utf8'))).resolves.toBe(expected0);
    await t.backend.waitForSettled();
    const after = await t.backend.describeEndpoint('churn');
    expect(after).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-b', LastDeploymentConfig: { BlueGreenUpdatePolicy: { TerminationWaitInSeconds: 300 } } });
    expect(after.FailureReason).toBeUndefined();
    expect(after.PendingDeploymentSummary).toBeUndefined();
  });

  it('refuses an update while the endpoint is updating, with SageMaker\'s message', async () => {
    await t.backend.updateEndpoint({ EndpointName: 'churn', EndpointConfigName: 'config-a' });
    await expect(t.backend.updateEndpoint({ EndpointName: 'churn', EndpointConfigName: 'config-b' })).rejects.toMatchObject({
      code: 'ValidationException',
      message: 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/churn".',
    });
    await t.backend.waitForSettled();
    expect((await t.backend.describeEndpoint('churn')).EndpointConfigName).toBe('config-a');
  });

  it('rolls back to the old config with a FailureReason when the new model fails its health check', async () => {
    faults.healthCheckFails = (model) => model === 'model-c';
    try {
      await t.backend.updateEndpoint({ EndpointName: 'churn', EndpointConfigName: 'config-c' });
      expect((await t.backend.describeEndpoint('churn')).EndpointStatus).toBe('Updating');
      await t.backend.waitForSettled();
      const endpoint = await t.backend.describeEndpoint('churn');
      expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-a' });
      expect(endpoint.FailureReason).toMatch(/did not pass the ping health check.*rolled back; the endpoint serves config-a/s);
      await expect(t.backend.invokeEndpoint('churn', featureCsv(traffic[0].row)).then((r) => Buffer.from(r.Body).toString('utf8'))).resolves.toBe(expected0);
    } finally {
      delete faults.healthCheckFails;
    }
  });

  it('rolls back when an AutoRollbackConfiguration alarm is in ALARM during the deployment', async () => {
    alarmsInAlarm.add('retrain-endpoint-errors');
    try {
      await t.backend.updateEndpoint({
        EndpointName: 'churn',
        EndpointConfigName: 'config-d',
        DeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'retrain-endpoint-errors' }] } },
      });
      await t.backend.waitForSettled();
      const endpoint = await t.backend.describeEndpoint('churn');
      expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-a' });
      expect(endpoint.FailureReason).toMatch(/Alarm retrain-endpoint-errors was in ALARM/);
    } finally {
      alarmsInAlarm.clear();
    }
  });

  it('ends a create Failed when the model artifact cannot be loaded', async () => {
    await t.store.write('runs/broken/model.tar.gz', 'not a tarball');
    await t.backend.createModel({ ModelName: 'broken', PrimaryContainer: { Image: 'xgboost:1.7-1', ModelDataUrl: `s3://${BUCKET}/runs/broken/model.tar.gz` } });
    await endpointConfig(t, 'config-broken', 'broken');
    await t.backend.createEndpoint({ EndpointName: 'broken', EndpointConfigName: 'config-broken' });
    await t.backend.waitForSettled();
    const endpoint = await t.backend.describeEndpoint('broken');
    expect(endpoint.EndpointStatus).toBe('Failed');
    expect(endpoint.FailureReason).toMatch(/did not pass the ping health check.*expected a gzip-compressed tar archive/s);
    await expect(t.backend.invokeEndpoint('broken', '1,2,3')).rejects.toMatchObject({ code: 'ValidationError', message: expect.stringContaining('is not in service') });
    await expect(t.backend.updateEndpoint({ EndpointName: 'broken', EndpointConfigName: 'config-a' })).rejects.toThrow(/Cannot update failed endpoint/);
  });

  it('reports a missing endpoint as SageMaker does', async () => {
    await expect(t.backend.describeEndpoint('nope')).rejects.toMatchObject({
      code: 'ValidationException',
      message: 'Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/nope".',
    });
    const error = await t.backend.invokeEndpoint('nope', '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationError);
    expect(error).toMatchObject({ code: 'ValidationError', statusCode: 400, message: 'Endpoint nope of account 000000000000 not found.' });
  });

  it('passes the container\'s error on as a ModelError', async () => {
    await expect(t.backend.invokeEndpoint('churn', '1,2')).rejects.toMatchObject({
      code: 'ModelError',
      statusCode: 424,
      originalStatusCode: 400,
      message: expect.stringContaining('Received client error (400) from primary with message "Unable to evaluate payload provided: Feature size of csv inference data 2'),
    });
  });

  it('does not capture when the sampling percentage is 0', async () => {
    await endpointConfig(t, 'config-nocapture', 'model-a', 0);
    await t.backend.createEndpoint({ EndpointName: 'quiet', EndpointConfigName: 'config-nocapture' });
    await t.backend.waitForSettled();
    await t.backend.invokeEndpoint('quiet', featureCsv(traffic[0].row));
    await t.backend.flushCapture();
    expect(await keys(t.store, 'capture/quiet/')).toEqual([]);
  });

  it('deletes the config an endpoint uses, as SageMaker allows; the endpoint keeps serving', async () => {
    await t.backend.deleteEndpointConfig('config-a');
    expect((await t.backend.describeEndpoint('churn')).EndpointConfigName).toBe('config-a');
    await expect(t.backend.invokeEndpoint('churn', featureCsv(traffic[0].row)).then((r) => Buffer.from(r.Body).toString('utf8'))).resolves.toBe(expected0);
    await expect(t.backend.updateEndpoint({ EndpointName: 'churn', EndpointConfigName: 'config-a' })).rejects.toThrow(/Could not find endpoint configuration/);
  });

  it('deletes an endpoint; a describe afterwards does not find it', async () => {
    await t.backend.deleteEndpoint('quiet');
    await expect(t.backend.describeEndpoint('quiet')).rejects.toThrow(/Could not find endpoint/);
  });
});

describe('local sagemaker: endpoint configurations', () => {
  let t: TestBackend;

  beforeAll(async () => {
    t = await makeBackend();
    await t.store.write('m/model.tar.gz', 'x');
    await t.backend.createModel({ ModelName: 'm', PrimaryContainer: { Image: 'xgboost', ModelDataUrl: `s3://${BUCKET}/m/model.tar.gz` } });
    for (const name of ['retrain-ec-1', 'retrain-ec-2', 'other-ec-3', 'retrain-ec-4']) {
      await endpointConfig(t, name, 'm');
      t.clock.advanceSeconds(60);
    }
  });
  afterAll(() => t.cleanup());

  it('lists configs whose name contains the text, newest first by default', async () => {
    const page = await t.backend.listEndpointConfigs({ NameContains: 'retrain-', SortBy: 'CreationTime', SortOrder: 'Descending' });
    expect(page.EndpointConfigs?.map((c) => c.EndpointConfigName)).toEqual(['retrain-ec-4', 'retrain-ec-2', 'retrain-ec-1']);
    expect(page.EndpointConfigs?.[0]).toEqual({
      EndpointConfigName: 'retrain-ec-4',
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/retrain-ec-4',
      CreationTime: new Date('2026-11-27T12:03:00.000Z'),
    });
  });

  it('pages with MaxResults and NextToken', async () => {
    const first = await t.backend.listEndpointConfigs({ SortOrder: 'Ascending', MaxResults: 3 });
    expect(first.EndpointConfigs).toHaveLength(3);
    const second = await t.backend.listEndpointConfigs({ SortOrder: 'Ascending', MaxResults: 3, NextToken: first.NextToken });
    expect(second.EndpointConfigs?.map((c) => c.EndpointConfigName)).toEqual(['retrain-ec-4']);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses a second config of the same name and a config of a model that does not exist', async () => {
    await expect(endpointConfig(t, 'retrain-ec-1', 'm')).rejects.toThrow(/Cannot create already existing endpoint configuration/);
    await expect(endpointConfig(t, 'retrain-ec-9', 'missing')).rejects.toThrow(/Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model\/missing"/);
  });

  it('deletes a config; it cannot be described or deleted again', async () => {
    await t.backend.deleteEndpointConfig('other-ec-3');
    await expect(t.backend.describeEndpointConfig('other-ec-3')).rejects.toThrow(/Could not find endpoint configuration/);
    await expect(t.backend.deleteEndpointConfig('other-ec-3')).rejects.toThrow(/Could not find endpoint configuration/);
  });
});
