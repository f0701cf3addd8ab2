/**
 * Builders for the local SageMaker backend tests: a backend on a temporary directory, generated
 * training data in the layout the pipeline writes (label first, categories as codes, no header)
 * and requests as the state machine sends them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import type { ObjectStore } from '../../../../lambdas/adapters/ports';
import { DataGenerator, NUMERIC_FEATURES, type DataRow, type GeneratorOptions } from '../../../../local/data-generator';
import { createFsObjectStore } from '../../../../local/fs-object-store';
import { LocalSageMaker, type LocalSageMakerOptions } from '../../../../local/sagemaker/backend';
import { FakeClock } from '../../../helpers/fake-clock';

export const BUCKET = 'retrain-data';
export const PLANS = ['basic', 'standard', 'premium'];
export const REGIONS = ['north', 'south', 'east', 'west'];
export const FEATURE_COUNT = NUMERIC_FEATURES.length + 2;

export interface TestBackend {
  readonly backend: LocalSageMaker;
  readonly store: ObjectStore;
  readonly clock: FakeClock;
  readonly root: string;
  readonly stateDir: string;
  /** Another backend on the same bucket and state (another process, as far as state goes). */
  another(options?: Partial<LocalSageMakerOptions>): LocalSageMaker;
  cleanup(): Promise<void>;
}

export async function makeBackend(options: Partial<LocalSageMakerOptions> = {}): Promise<TestBackend> {
  const root = await mkdtemp(join(tmpdir(), 'retrain-sagemaker-'));
  const store = createFsObjectStore(join(root, 'bucket'));
  const clock = new FakeClock('2026-11-27T12:00:00.000Z');
  const stateDir = join(root, 'state');
  const base = { store, bucket: BUCKET, stateDir, clock };
  const backend = new LocalSageMaker({ ...base, ...options });
  const others: LocalSageMaker[] = [];
  return {
    backend,
    store,
    clock,
    root,
    stateDir,
    another(more = {}) {
      const other = new LocalSageMaker({ ...base, ...more });
      others.push(other);
      return other;
    },
    async cleanup() {
      await Promise.all([backend, ...others].map((b) => b.close()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Model input of a generated row: numeric features, then plan and region codes. */
export function features(row: Omit<DataRow, 'label'>): number[] {
  return [...NUMERIC_FEATURES.map((n) => row[n] ?? NaN), PLANS.indexOf(row.plan), REGIONS.indexOf(row.region)];
}

export function featureCsv(row: Omit<DataRow, 'label'>): string {
  return features(row)
    .map((v) => (Number.isNaN(v) ? '' : String(v)))
    .join(',');
}

/** A training file as the pipeline writes it: label first, no header. */
export function labeledCsv(rows: readonly DataRow[]): string {
  return rows.map((r) => `${r.label},${featureCsv(r)}`).join('\n') + '\n';
}

/** Writes train and validation files generated with `options` and returns their rows. */
export async function writeTrainingData(
  store: ObjectStore,
  prefix: string,
  counts: { train: number; validation: number },
  options: GeneratorOptions = { seed: 11 },
): Promise<{ train: DataRow[]; validation: DataRow[] }> {
  const generator = new DataGenerator(options);
  const train = generator.rows(counts.train);
  const validation = generator.rows(counts.validation);
  await store.write(`${prefix}/train/train.csv`, labeledCsv(train));
  await store.write(`${prefix}/validation/validation.csv`, labeledCsv(validation));
  return { train, validation };
}

export function trainingRequest(name: string, prefix: string, overrides: Partial<CreateTrainingJobRequest> = {}): CreateTrainingJobRequest {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::000000000000:role/retrain-sagemaker',
    HyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '60', max_depth: '4', eta: '0.2', subsample: '0.8', seed: '1' },
    InputDataConfig: [
      {
        ChannelName: 'train',
        ContentType: 'text/csv',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/${prefix}/train/`, S3DataDistributionType: 'FullyReplicated' } },
      },
      {
        ChannelName: 'validation',
        ContentType: 'text/csv',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/${prefix}/validation/`, S3DataDistributionType: 'FullyReplicated' } },
      },
    ],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/${prefix}/model` },
    ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    EnableNetworkIsolation: true,
    ...overrides,
  };
}

/** Trains a model on generated data and registers it as a SageMaker model; returns the model name. */
export async function trainedModel(t: TestBackend, name: string): Promise<string> {
  const prefix = `runs/${name}`;
  await writeTrainingData(t.store, prefix, { train: 2000, validation: 300 });
  const job = await t.backend.createTrainingJob(trainingRequest(name, prefix));
  await t.backend.createModel({
    ModelName: name,
    PrimaryContainer: {
      Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      ModelDataUrl: job.ModelArtifacts?.S3ModelArtifacts,
      Environment: {},
    },
    ExecutionRoleArn: 'arn:aws:iam::000000000000:role/retrain-sagemaker',
    EnableNetworkIsolation: true,
  });
  return name;
}

/** An endpoint config with data capture of every request under capture/. */
export async function endpointConfig(t: TestBackend, name: string, modelName: string, samplingPercentage = 100): Promise<string> {
  await t.backend.createEndpointConfig({
    EndpointConfigName: name,
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: modelName, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 }],
    DataCaptureConfig: {
      EnableCapture: true,
      InitialSamplingPercentage: samplingPercentage,
      DestinationS3Uri: `s3://${BUCKET}/capture`,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
    },
  });
  return name;
}

export async function readText(store: ObjectStore, key: string): Promise<string> {
  const { body } = await store.read(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function readBytes(store: ObjectStore, key: string): Promise<Buffer> {
  const { body } = await store.read(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const result: string[] = [];
  for await (const object of store.list(prefix)) result.push(object.key);
  return result;
}
