import { TaskFailedError, SageMakerApiError, toStatesError } from '../../../../local/sagemaker/errors';
import { readTarGz } from '../../../../local/sagemaker/tar';
import { isGbdtModel, matrixFromRows, predictGbdt } from '../../../../local/sagemaker/gbdt';
import { MAX_LOCAL_ROUNDS, xgboostParams } from '../../../../local/sagemaker/training';
import { toStateOutput } from '../../../../local/sagemaker/backend';
import { computeMetrics } from '../../../../lambdas/core/metrics';
import { DataGenerator } from '../../../../local/data-generator';
import { BUCKET, features, makeBackend, readBytes, trainingRequest, writeTrainingData, type TestBackend } from './fixtures';

describe('local sagemaker: training jobs', () => {
  let t: TestBackend;
  const faults: { trainingFails?: boolean | ((name: string) => boolean) } = {};

  beforeAll(async () => {
    t = await makeBackend({ faults });
    await writeTrainingData(t.store, 'runs/r1/data', { train: 6000, validation: 1000 });
  });
  afterAll(() => t.cleanup());

  describe('a completed job', () => {
    let job: Awaited<ReturnType<typeof t.backend.createTrainingJob>>;

    beforeAll(async () => {
      job = await t.backend.createTrainingJob(trainingRequest('r1-train', 'runs/r1/data', { OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/runs/r1/model/` } }));
    });

    it('returns the Describe response with status Completed and the artifact at SageMaker\'s path', () => {
      expect(job.TrainingJobStatus).toBe('Completed');
      expect(job.SecondaryStatus).toBe('Completed');
      expect(job.TrainingJobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:training-job/r1-train');
      expect(job.ModelArtifacts?.S3ModelArtifacts).toBe(`s3://${BUCKET}/runs/r1/model/r1-train/output/model.tar.gz`);
      expect(job.CreationTime).toEqual(new Date('2026-11-27T12:00:00.000Z'));
      expect(job.SecondaryStatusTransitions?.map((s) => s.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    });

    it('writes a gzip-compressed tar holding model.json', async () => {
      const entries = readTarGz(await readBytes(t.store, 'runs/r1/model/r1-train/output/model.tar.gz'));
      expect(entries.map((e) => e.name)).toEqual(['model.json']);
      const model = JSON.parse(entries[0].content.toString('utf8'));
      expect(isGbdtModel(model)).toBe(true);
      expect(model.numFeatures).toBe(7);
      expect(model.trees).toHaveLength(60);
    });

    it('reports train and validation metrics named as SageMaker XGBoost names them', () => {
      const names = job.FinalMetricDataList?.map((m) => m.MetricName);
      expect(names).toEqual(['train:auc', 'validation:auc']);
      const validationAuc = job.FinalMetricDataList?.find((m) => m.MetricName === 'validation:auc')?.Value;
      expect(validationAuc).toBeGreaterThan(0.75);
    });

    it('trains a model clearly better than chance on held-out rows of the unshifted generator', async () => {
      const entries = readTarGz(await readBytes(t.store, 'runs/r1/model/r1-train/output/model.tar.gz'));
      const model = JSON.parse(entries[0].content.toString('utf8'));
      const heldOut = new DataGenerator({ seed: 999 }).rows(3000);
      const scores = predictGbdt(model, matrixFromRows(heldOut.map(features), 7));
      const { auc } = computeMetrics({ kind: 'binary', labels: Float64Array.from(heldOut.map((r) => r.label)), scores });
      expect(auc).toBeGreaterThan(0.75);
    });

    it('is persisted: describeTrainingJob returns the same description', async () => {
      const described = await t.backend.describeTrainingJob('r1-train');
      expect(described).toEqual(JSON.parse(JSON.stringify(job), (k, v) => (/Time(stamp)?$/.test(k) && typeof v === 'string' ? new Date(v) : v)));
    });

    it('refuses a second job with the same name like SageMaker (ResourceInUse)', async () => {
      const attempt = t.backend.createTrainingJob(trainingRequest('r1-train', 'runs/r1/data'));
      await expect(attempt).rejects.toThrow(SageMakerApiError);
      await expect(attempt).rejects.toMatchObject({ code: 'ResourceInUse', message: expect.stringContaining('Training job names must be unique') });
    });
  });

  it('fails the job when faults.trainingFails is set, as Step Functions reports a failed .sync job', async () => {
    faults.trainingFails = (name) => name === 'r1-faulty';
    try {
      const error = await t.backend.createTrainingJob(trainingRequest('r1-faulty', 'runs/r1/data')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as Error).name).toBe('States.TaskFailed');
      const cause = JSON.parse((error as Error).message);
      expect(cause).toMatchObject({ TrainingJobName: 'r1-faulty', TrainingJobStatus: 'Failed', FailureReason: expect.stringMatching(/^AlgorithmError: /) });
      expect((await t.backend.describeTrainingJob('r1-faulty')).TrainingJobStatus).toBe('Failed');
    } finally {
      delete faults.trainingFails;
    }
  });

  it('fails with a ClientError naming the file and line of a value that is not a number', async () => {
    await t.store.write('runs/bad/train/part.csv', '1,30,50000,3,12.5,1,0,1\n0,abc,40000,12,30,0,1,2\n');
    const error = (await t.backend
      .createTrainingJob(trainingRequest('bad-data', 'runs/bad', { InputDataConfig: [trainingRequest('x', 'runs/bad').InputDataConfig![0]] }))
      .catch((e: unknown) => e)) as TaskFailedError;
    expect(error.name).toBe('States.TaskFailed');
    expect(error.description.FailureReason).toMatch(/^ClientError: .*could not convert string to float: 'abc' \(s3:\/\/retrain-data\/runs\/bad\/train\/part\.csv line 2, column 2\)/);
  });

  it('fails with a ClientError when the train channel is missing', async () => {
    const error = (await t.backend
      .createTrainingJob(trainingRequest('no-train', 'runs/r1/data', { InputDataConfig: [trainingRequest('x', 'runs/r1/data').InputDataConfig![1]] }))
      .catch((e: unknown) => e)) as TaskFailedError;
    expect(error.description.FailureReason).toMatch(/^ClientError: Channel train is required/);
  });

  it('rejects data in another bucket before creating the job', async () => {
    const request = trainingRequest('other-bucket', 'runs/r1/data', { OutputDataConfig: { S3OutputPath: 's3://someone-else/models' } });
    await expect(t.backend.createTrainingJob(request)).rejects.toMatchObject({
      code: 'ValidationException',
      message: expect.stringContaining('local mode serves only the bucket "retrain-data"'),
    });
    await expect(t.backend.describeTrainingJob('other-bucket')).rejects.toMatchObject({ message: 'Requested resource not found.' });
  });

  it('rejects an invalid job name with SageMaker\'s validation message', async () => {
    await expect(t.backend.createTrainingJob(trainingRequest('bad_name', 'runs/r1/data'))).rejects.toMatchObject({
      code: 'ValidationException',
      message: expect.stringContaining("Value 'bad_name' at 'trainingJobName' failed to satisfy constraint"),
    });
  });

  it('maps API errors to the names Step Functions reports', () => {
    const inUse = new SageMakerApiError('ResourceInUse', 'Training job names must be unique');
    expect((toStatesError(inUse, 'optimized') as Error).name).toBe('SageMaker.AmazonSageMakerException');
    expect((toStatesError(inUse, 'aws-sdk') as Error).name).toBe('SageMaker.ResourceInUse');
    expect((toStatesError(new SageMakerApiError('ResourceLimitExceeded', 'too many'), 'optimized') as Error).name).toBe(
      'SageMaker.ResourceLimitExceededException',
    );
  });

  it('gives Task outputs with timestamps as epoch milliseconds', () => {
    expect(toStateOutput({ CreationTime: new Date('2026-11-27T12:00:00.000Z'), Nested: [{ EndTime: new Date(5) }], Gone: undefined })).toEqual({
      CreationTime: Date.parse('2026-11-27T12:00:00.000Z'),
      Nested: [{ EndTime: 5 }],
    });
    expect(toStateOutput({ CreationTime: new Date(0) }, { timestamps: 'iso' })).toEqual({ CreationTime: '1970-01-01T00:00:00.000Z' });
  });
});

describe('local sagemaker: XGBoost hyperparameters', () => {
  it('reads the strings SageMaker passes, with XGBoost defaults for the rest', () => {
    const { params, evalMetrics, ignored } = xgboostParams({ objective: 'binary:logistic', num_round: '200', max_depth: '5', eta: '0.2', nthread: '4' });
    expect(params).toMatchObject({ objective: 'binary:logistic', numClass: 1, numRound: 200, maxDepth: 5, eta: 0.2, subsample: 1, lambda: 1, minChildWeight: 1 });
    expect(evalMetrics).toEqual(['logloss']);
    expect(ignored).toEqual(['nthread']);
  });

  it(`caps num_round at ${MAX_LOCAL_ROUNDS} and at 600 trees for multiclass`, () => {
    expect(xgboostParams({ objective: 'binary:logistic', num_round: '1000' })).toMatchObject({ params: { numRound: MAX_LOCAL_ROUNDS }, requestedRounds: 1000 });
    expect(xgboostParams({ objective: 'multi:softprob', num_class: '4', num_round: '1000' }).params.numRound).toBe(150);
  });

  it.each([
    [{ objective: 'binary:hinge', num_round: '10' }, /objective "binary:hinge" is not supported/],
    [{ objective: 'multi:softprob', num_round: '10' }, /num_class is required/],
    [{ objective: 'binary:logistic' }, /num_round is required/],
    [{ objective: 'binary:logistic', num_round: '10', eta: '0' }, /eta must be in \(0, 1\]/],
    [{ objective: 'reg:squarederror', num_round: '10', eval_metric: 'auc' }, /eval_metric "auc" is not supported/],
  ])('fails the job with a ClientError for %j', (hyperparameters, message) => {
    expect(() => xgboostParams(hyperparameters)).toThrow(message);
    expect(() => xgboostParams(hyperparameters)).toThrow(/^ClientError: Hyperparameter Validation Error: /);
  });
});
