import { spawnSync } from 'node:child_process';
import { DataGenerator } from '../../../../local/data-generator';
import { StateFiles } from '../../../../local/sagemaker/state';
import { InvocationError } from '../../../../local/sagemaker/errors';
import type { LocalSageMaker } from '../../../../local/sagemaker/backend';
import { referencePrediction, storedModel } from '../../../helpers/reference-gbdt';
import { BUCKET, endpointConfig, featureCsv, features, keys, makeBackend, trainedModel, type TestBackend } from './fixtures';

describe('local sagemaker: state shared by two backends on the same state directory', () => {
  let t: TestBackend;
  let other: LocalSageMaker;
  const row = new DataGenerator({ seed: 41 }).traffic(1)[0];
  /** What model-p answers for the row, computed independently from its artifact. */
  let expected: string;

  beforeAll(async () => {
    t = await makeBackend();
    await trainedModel(t, 'model-p');
    await endpointConfig(t, 'config-p', 'model-p');
    await t.backend.createEndpoint({ EndpointName: 'shared', EndpointConfigName: 'config-p' });
    await t.backend.waitForSettled();
    await t.backend.ensureModelPackageGroup('retrain-models');
    await t.backend.createModelPackage({ ModelPackageGroupName: 'retrain-models', ModelApprovalStatus: 'PendingManualApproval' });
    other = t.another();
    const artifact = (await t.backend.describeModel('model-p')).PrimaryContainer?.ModelDataUrl as string;
    expected = String(referencePrediction(await storedModel(t.store, artifact), features(row.row))[0]);
  });
  afterAll(() => t.cleanup());

  it('sees the training job, model, endpoint and package the first one created', async () => {
    expect((await other.describeTrainingJob('model-p')).TrainingJobStatus).toBe('Completed');
    expect((await other.describeModel('model-p')).PrimaryContainer?.ModelDataUrl).toBe(`s3://${BUCKET}/runs/model-p/model/model-p/output/model.tar.gz`);
    expect(await other.describeEndpoint('shared')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-p' });
    expect((await other.listModelPackages({ ModelPackageGroupName: 'retrain-models' })).ModelPackageSummaryList).toHaveLength(1);
  });

  it('invokes the endpoint served by the first one and writes its own capture', async () => {
    const result = await other.invokeEndpoint('shared', featureCsv(row.row), { inferenceId: row.inferenceId });
    expect(Buffer.from(result.Body).toString('utf8')).toBe(expected);
    expect(await other.flushCapture()).toBe(1);
    expect(await keys(t.store, 'capture/shared/AllTraffic/')).toHaveLength(1);
  });

  it('shares changes both ways: an approval made by one is seen by the other', async () => {
    await other.updateModelPackage({ ModelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1', ModelApprovalStatus: 'Approved' });
    expect((await t.backend.describeModelPackage('retrain-models/1')).ModelApprovalStatus).toBe('Approved');
  });

  it('reports ServiceUnavailable once the server\'s owner closed, and serves again after resumeEndpoints', async () => {
    await t.backend.close();
    const error = await other.invokeEndpoint('shared', featureCsv(row.row)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationError);
    expect(error).toMatchObject({ code: 'ServiceUnavailable', statusCode: 503, message: expect.stringContaining('does not answer') });

    expect(await other.resumeEndpoints()).toEqual(['shared']);
    await expect(other.invokeEndpoint('shared', featureCsv(row.row))).resolves.toMatchObject({ InvokedProductionVariant: 'AllTraffic' });
  });

  it('restarts an update left half done by a process that exited', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    await endpointConfig(t, 'config-p2', 'model-p');
    const state = new StateFiles(t.stateDir);
    const record = await state.get<{ description: Record<string, unknown>; generation: number }>('endpoints', 'shared');
    await state.put('endpoints', 'shared', {
      ...record,
      description: { ...record?.description, EndpointStatus: 'Updating', PendingDeploymentSummary: { EndpointConfigName: 'config-p2' } },
      deployerPid: dead,
    });

    expect(await other.resumeEndpoints()).toEqual(['shared']);
    await other.waitForSettled();
    expect(await other.describeEndpoint('shared')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-p2' });
    const result = await other.invokeEndpoint('shared', featureCsv(row.row));
    expect(Buffer.from(result.Body).toString('utf8')).toBe(expected);
  });
});
