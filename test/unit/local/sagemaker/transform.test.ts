import type { CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import { DataGenerator } from '../../../../local/data-generator';
import { TaskFailedError } from '../../../../local/sagemaker/errors';
import { referencePrediction, storedModel } from '../../../helpers/reference-gbdt';
import { BUCKET, featureCsv, features, keys, labeledCsv, makeBackend, readText, trainedModel, type TestBackend } from './fixtures';

function transformRequest(name: string, input: string, output: string, overrides: Partial<CreateTransformJobRequest> = {}): CreateTransformJobRequest {
  return {
    TransformJobName: name,
    ModelName: 'model-t',
    TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/${input}` } }, ContentType: 'text/csv', SplitType: 'Line' },
    TransformOutput: { S3OutputPath: `s3://${BUCKET}/${output}`, AssembleWith: 'Line', Accept: 'text/csv' },
    TransformResources: { InstanceCount: 1, InstanceType: 'ml.m5.large' },
    DataProcessing: { InputFilter: '$[1:]', JoinSource: 'None' },
    ...overrides,
  };
}

describe('local sagemaker: batch transform', () => {
  let t: TestBackend;
  const rows = new DataGenerator({ seed: 31 }).rows(2500);

  beforeAll(async () => {
    t = await makeBackend();
    await trainedModel(t, 'model-t');
    await t.store.write('runs/t1/data/test.csv', labeledCsv(rows));
    await t.backend.createEndpointConfig({ EndpointConfigName: 'ec-t', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'model-t', InitialInstanceCount: 1 }] });
    await t.backend.createEndpoint({ EndpointName: 'ep-t', EndpointConfigName: 'ec-t' });
    await t.backend.waitForSettled();
  });
  afterAll(() => t.cleanup());

  it('writes one prediction per input line, in order, at <S3OutputPath>/<file>.out', async () => {
    const job = await t.backend.createTransformJob(transformRequest('t1', 'runs/t1/data/test.csv', 'runs/t1/transform'));
    expect(job).toMatchObject({ TransformJobStatus: 'Completed', TransformJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:transform-job/t1' });
    expect(await keys(t.store, 'runs/t1/transform/')).toEqual(['runs/t1/transform/test.csv.out']);
    const lines = (await readText(t.store, 'runs/t1/transform/test.csv.out')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(rows.length);
    // The same rows through the endpoint give the same numbers, in the same order.
    for (const i of [0, 1, 1234, rows.length - 1]) {
      const online = Buffer.from((await t.backend.invokeEndpoint('ep-t', featureCsv(rows[i]))).Body).toString('utf8');
      expect(lines[i]).toBe(online);
    }
  });

  it('joins the prediction to the input and keeps the label and the prediction with an OutputFilter', async () => {
    await t.backend.createTransformJob(
      transformRequest('t2', 'runs/t1/data/', 'runs/t1/joined', { DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' } }),
    );
    const lines = (await readText(t.store, 'runs/t1/joined/test.csv.out')).trimEnd().split('\n');
    expect(lines).toHaveLength(rows.length);
    const model = await storedModel(t.store, (await t.backend.describeModel('model-t')).PrimaryContainer?.ModelDataUrl as string);
    expect(lines.slice(0, 50)).toEqual(rows.slice(0, 50).map((row) => `${row.label},${referencePrediction(model, features(row))[0]}`));
  });

  it('fails the job naming the file and line of a row with the wrong number of features', async () => {
    await t.store.write('runs/t3/data/test.csv', `${labeledCsv(rows.slice(0, 3))}1,2,3\n`);
    const error = (await t.backend.createTransformJob(transformRequest('t3', 'runs/t3/data/test.csv', 'runs/t3/out')).catch((e: unknown) => e)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.name).toBe('States.TaskFailed');
    expect(error.description).toMatchObject({ TransformJobStatus: 'Failed', FailureReason: expect.stringContaining('runs/t3/data/test.csv line 4') });
    expect((await t.backend.describeTransformJob('t3')).TransformJobStatus).toBe('Failed');
  });

  it('refuses an unknown model and a filter it cannot read before creating the job', async () => {
    await expect(t.backend.createTransformJob(transformRequest('t4', 'runs/t1/data/test.csv', 'x', { ModelName: 'missing' }))).rejects.toThrow(/Could not find model/);
    await expect(
      t.backend.createTransformJob(transformRequest('t5', 'runs/t1/data/test.csv', 'x', { DataProcessing: { InputFilter: '$.features' } })),
    ).rejects.toMatchObject({ code: 'ValidationException', message: expect.stringContaining('unsupported JSONPath "$.features"') });
  });
});
