/**
 * CreateTrainingJob / DescribeTrainingJob for the built-in XGBoost algorithm, trained by the
 * local learner (gbdt.ts).
 *
 * What the job does, like SageMaker's:
 * - reads the "train" channel (required) and the "validation" channel (optional): every object
 *   under the S3Prefix (an exact key is a prefix too), text/csv, label in the first column, no
 *   header, Gzip when CompressionType says so. Missing values are empty fields (see csv-data.ts);
 * - takes the hyperparameters as SageMaker passes them (strings, see `xgboostParams`);
 * - writes `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz` containing model.json;
 * - reports FinalMetricDataList with XGBoost's names, "<channel>:<metric>" for each metric of
 *   eval_metric (default: the objective's: logloss, mlogloss or rmse), e.g. validation:auc.
 * A problem with the data or the hyperparameters ends the job Failed with
 * "ClientError: ...", an injected fault with "AlgorithmError: ...", as SageMaker words them.
 *
 * num_round maps to boosting rounds one to one, up to MAX_LOCAL_ROUNDS (multiclass: up to
 * MAX_LOCAL_TREES trees, num_class per round), so that ~10,000 rows train in about a second; a
 * capped value is said in the Training status message and kept in model.json (params.numRound).
 * StoppingCondition is accepted and not enforced.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { CreateTrainingJobRequest, DescribeTrainingJobResponse, MetricData, SecondaryStatusTransition } from '@aws-sdk/client-sagemaker';
import { computeMetrics } from '../../lambdas/core/metrics';
import { messageOf } from '../../lambdas/core/errors';
import type { BackendContext } from './context';
import { faultApplies } from './context';
import { LabeledRows, readLines } from './csv-data';
import { SageMakerApiError, TaskFailedError } from './errors';
import { DEFAULT_PARAMS, predictGbdt, trainGbdt, type FeatureMatrix, type GbdtParams, type Objective } from './gbdt';
import { MODEL_FILE } from './inference';
import { joinKey, keyOfUri, required, uriOf, validateName } from './names';
import { createTarGz } from './tar';

export const MAX_LOCAL_ROUNDS = 300;
export const MAX_LOCAL_TREES = 600;

/** Hyperparameters this learner reads; others (nthread, verbosity, tree_method, ...) are ignored and listed in the status message. */
const KNOWN = new Set([
  'objective',
  'num_class',
  'num_round',
  'max_depth',
  'eta',
  'learning_rate',
  'subsample',
  'colsample_bytree',
  'min_child_weight',
  'lambda',
  'reg_lambda',
  'alpha',
  'reg_alpha',
  'gamma',
  'min_split_loss',
  'max_bin',
  'base_score',
  'seed',
  'early_stopping_rounds',
  'eval_metric',
]);

const DEFAULT_METRIC: Record<Objective, string> = {
  'binary:logistic': 'logloss',
  'multi:softprob': 'mlogloss',
  'reg:squarederror': 'rmse',
};

const METRICS_OF: Record<Objective, readonly string[]> = {
  'binary:logistic': ['auc', 'logloss', 'error', 'accuracy', 'f1', 'f1_binary', 'precision', 'recall'],
  'multi:softprob': ['mlogloss', 'merror', 'accuracy', 'f1_macro'],
  'reg:squarederror': ['rmse', 'mae', 'mse', 'r2'],
};

/** A problem with the request found once the job runs: the job fails with this reason. */
class JobFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface XgboostParams {
  readonly params: GbdtParams;
  readonly evalMetrics: string[];
  readonly ignored: string[];
  /** num_round as requested, when it was capped. */
  readonly requestedRounds?: number;
}

/** Reads SageMaker XGBoost hyperparameters (strings). Throws JobFailure with a ClientError reason. */
export function xgboostParams(hyperparameters: Readonly<Record<string, string>>): XgboostParams {
  const fail = (message: string): never => {
    throw new JobFailure(`ClientError: Hyperparameter Validation Error: ${message}`);
  };
  const hp = hyperparameters;
  const number = (name: string, check: (v: number) => boolean, expected: string, ...aliases: string[]): number | undefined => {
    const key = [name, ...aliases].find((k) => hp[k] !== undefined);
    if (key === undefined) return undefined;
    const value = Number(hp[key]);
    if (hp[key].trim() === '' || !Number.isFinite(value) || !check(value)) fail(`${key} must be ${expected}, got "${hp[key]}"`);
    return value;
  };
  const int = (v: number) => Number.isInteger(v);

  const rawObjective = hp.objective ?? 'reg:squarederror';
  const objective: Objective | undefined =
    rawObjective === 'reg:linear' ? 'reg:squarederror' : (['binary:logistic', 'multi:softprob', 'reg:squarederror'] as const).find((o) => o === rawObjective);
  if (!objective) return fail(`objective "${rawObjective}" is not supported locally (binary:logistic, multi:softprob, reg:squarederror)`);

  const numClass = number('num_class', (v) => int(v) && v >= 2, 'an integer of at least 2');
  if (objective === 'multi:softprob' && numClass === undefined) fail('num_class is required for multi:softprob');
  const numRound = number('num_round', (v) => int(v) && v >= 1, 'a positive integer');
  if (numRound === undefined) return fail('num_round is required');

  const outputs = objective === 'multi:softprob' ? (numClass as number) : 1;
  const allowedRounds = Math.max(1, Math.min(MAX_LOCAL_ROUNDS, Math.floor(MAX_LOCAL_TREES / outputs)));
  const rounds = Math.min(numRound, allowedRounds);

  const earlyStopping = number('early_stopping_rounds', (v) => int(v) && v >= 1, 'a positive integer');
  const evalMetrics = (hp.eval_metric ?? DEFAULT_METRIC[objective])
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  for (const metric of evalMetrics) {
    if (!METRICS_OF[objective].includes(metric)) fail(`eval_metric "${metric}" is not supported for ${objective} (${METRICS_OF[objective].join(', ')})`);
  }
  const maxDepth = number('max_depth', (v) => int(v) && v >= 0, 'a non-negative integer') ?? DEFAULT_PARAMS.maxDepth;

  const params: GbdtParams = {
    objective,
    numClass: objective === 'multi:softprob' ? (numClass as number) : 1,
    numRound: rounds,
    // XGBoost's max_depth 0 means no limit (lossguide); depth-wise growth needs one: 12 is deeper than any useful tree here.
    maxDepth: maxDepth === 0 ? 12 : Math.min(maxDepth, 12),
    eta: number('eta', (v) => v > 0 && v <= 1, 'in (0, 1]', 'learning_rate') ?? DEFAULT_PARAMS.eta,
    subsample: number('subsample', (v) => v > 0 && v <= 1, 'in (0, 1]') ?? DEFAULT_PARAMS.subsample,
    colsampleBytree: number('colsample_bytree', (v) => v > 0 && v <= 1, 'in (0, 1]') ?? DEFAULT_PARAMS.colsampleBytree,
    minChildWeight: number('min_child_weight', (v) => v >= 0, 'non-negative') ?? DEFAULT_PARAMS.minChildWeight,
    lambda: number('lambda', (v) => v >= 0, 'non-negative', 'reg_lambda') ?? DEFAULT_PARAMS.lambda,
    alpha: number('alpha', (v) => v >= 0, 'non-negative', 'reg_alpha') ?? DEFAULT_PARAMS.alpha,
    gamma: number('gamma', (v) => v >= 0, 'non-negative', 'min_split_loss') ?? DEFAULT_PARAMS.gamma,
    maxBin: number('max_bin', (v) => int(v) && v >= 2 && v <= 65_000, 'an integer in [2, 65000]') ?? DEFAULT_PARAMS.maxBin,
    baseScore: number('base_score', (v) => objective !== 'binary:logistic' || (v > 0 && v < 1), 'in (0, 1) for binary:logistic'),
    seed: number('seed', int, 'an integer') ?? DEFAULT_PARAMS.seed,
    earlyStoppingRounds: earlyStopping,
  };
  return {
    params,
    evalMetrics,
    ignored: Object.keys(hp).filter((k) => !KNOWN.has(k)),
    requestedRounds: rounds < numRound ? numRound : undefined,
  };
}

export class TrainingJobs {
  constructor(private readonly ctx: BackendContext) {}

  /**
   * Creates the job and waits for it (the .sync integration): resolves with the Describe
   * response when it completed, throws TaskFailedError (name "States.TaskFailed") when it
   * failed. An invalid request or a name in use throws SageMakerApiError before any job exists.
   */
  async create(request: CreateTrainingJobRequest): Promise<DescribeTrainingJobResponse> {
    const job = this.validate(request);
    if (!(await this.ctx.state.create('training-jobs', job.TrainingJobName as string, job))) {
      throw new SageMakerApiError(
        'ResourceInUse',
        `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${job.TrainingJobArn})`,
        { trainingJobName: job.TrainingJobName },
      );
    }
    const finished = await this.run(job);
    if (finished.TrainingJobStatus !== 'Completed') throw new TaskFailedError(finished as unknown as Record<string, unknown>);
    return finished;
  }

  /** Throws ValidationException ("Requested resource not found.") for an unknown job, as SageMaker does. */
  async describe(name: string): Promise<DescribeTrainingJobResponse> {
    const job = await this.ctx.state.get<DescribeTrainingJobResponse>('training-jobs', validateName(name, 'trainingJobName'));
    if (!job) throw new SageMakerApiError('ValidationException', 'Requested resource not found.', { trainingJobName: name });
    return job;
  }

  private validate(request: CreateTrainingJobRequest): DescribeTrainingJobResponse {
    const name = validateName(request.TrainingJobName, 'trainingJobName');
    const algorithm = required(request.AlgorithmSpecification, 'algorithmSpecification');
    required(request.RoleArn, 'roleArn');
    const output = required(request.OutputDataConfig, 'outputDataConfig');
    const outputKey = keyOfUri(required(output.S3OutputPath, 'outputDataConfig.s3OutputPath'), this.ctx.bucket, 'OutputDataConfig.S3OutputPath');
    required(request.ResourceConfig, 'resourceConfig');
    required(request.StoppingCondition, 'stoppingCondition');
    (request.InputDataConfig ?? []).forEach((channel, i) => {
      const uri = channel.DataSource?.S3DataSource?.S3Uri;
      keyOfUri(required(uri, `inputDataConfig.${i + 1}.member.dataSource.s3DataSource.s3Uri`), this.ctx.bucket, `InputDataConfig[${i}].S3Uri`);
    });
    const now = this.ctx.clock.now();
    return {
      TrainingJobName: name,
      TrainingJobArn: this.ctx.arns.of('training-job', name),
      ModelArtifacts: { S3ModelArtifacts: uriOf(this.ctx.bucket, joinKey(outputKey, name, 'output', 'model.tar.gz')) },
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Starting',
      HyperParameters: request.HyperParameters ?? {},
      AlgorithmSpecification: algorithm,
      RoleArn: request.RoleArn,
      InputDataConfig: request.InputDataConfig,
      OutputDataConfig: output,
      ResourceConfig: request.ResourceConfig,
      VpcConfig: request.VpcConfig,
      StoppingCondition: request.StoppingCondition,
      CreationTime: now,
      LastModifiedTime: now,
      SecondaryStatusTransitions: [{ Status: 'Starting', StartTime: now, StatusMessage: 'Preparing the instances for training' }],
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
      EnableInterContainerTrafficEncryption: request.EnableInterContainerTrafficEncryption ?? false,
      EnableManagedSpotTraining: request.EnableManagedSpotTraining ?? false,
      CheckpointConfig: request.CheckpointConfig,
      Environment: request.Environment,
    };
  }

  private async run(job: DescribeTrainingJobResponse): Promise<DescribeTrainingJobResponse> {
    const name = job.TrainingJobName as string;
    const transitions: SecondaryStatusTransition[] = [...(job.SecondaryStatusTransitions ?? [])];
    const startTime = this.ctx.clock.now();
    const enter = async (status: SecondaryStatusTransition['Status'], message: string) => {
      const now = this.ctx.clock.now();
      const last = transitions[transitions.length - 1];
      if (last && !last.EndTime) transitions[transitions.length - 1] = { ...last, EndTime: now };
      transitions.push({ Status: status, StartTime: now, StatusMessage: message });
      job = { ...job, SecondaryStatus: status, LastModifiedTime: now, TrainingStartTime: startTime, SecondaryStatusTransitions: [...transitions] };
      await this.ctx.state.put('training-jobs', name, job);
    };
    const finish = async (status: 'Completed' | 'Failed', extra: Partial<DescribeTrainingJobResponse>) => {
      await enter(status, status === 'Completed' ? 'Training job completed' : 'Training job failed');
      const end = this.ctx.clock.now();
      transitions[transitions.length - 1] = { ...transitions[transitions.length - 1], EndTime: end };
      const seconds = Math.max(0, Math.round((end.getTime() - startTime.getTime()) / 1000));
      job = {
        ...job,
        ...extra,
        TrainingJobStatus: status,
        SecondaryStatus: status,
        TrainingEndTime: end,
        LastModifiedTime: end,
        SecondaryStatusTransitions: [...transitions],
        TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds,
      };
      await this.ctx.state.put('training-jobs', name, job);
      return job;
    };

    try {
      await enter('Downloading', 'Downloading input data');
      const { params, evalMetrics, ignored, requestedRounds } = xgboostParams(job.HyperParameters ?? {});
      const train = await this.readChannel(job, 'train', true);
      const validation = await this.readChannel(job, 'validation', false);
      checkData(train, validation, params);

      const notes = [
        requestedRounds !== undefined ? `num_round ${requestedRounds} capped to ${params.numRound} in local mode` : '',
        ignored.length > 0 ? `ignored hyperparameters: ${ignored.join(', ')}` : '',
      ].filter((n) => n !== '');
      await enter('Training', ['Training image download completed. Training in progress.', ...notes].join(' '));
      if (faultApplies(this.ctx.faults.trainingFails, name)) {
        throw new JobFailure('AlgorithmError: training failed because local mode was told to (faults.trainingFails)');
      }
      const result = trainGbdt({ train: train as LabeledData, validation }, params);

      await enter('Uploading', 'Uploading generated training model');
      const metricTime = this.ctx.clock.now();
      const finalMetrics: MetricData[] = [];
      for (const [channel, data] of [['train', train], ['validation', validation]] as const) {
        if (!data) continue;
        const values = metricValues(params, predictGbdt(result.model, data.x), data.y);
        for (const metric of evalMetrics) {
          const value = values[metric];
          if (Number.isFinite(value)) finalMetrics.push({ MetricName: `${channel}:${metric}`, Value: value, Timestamp: metricTime });
        }
      }
      const artifact = createTarGz([{ name: MODEL_FILE, content: Buffer.from(JSON.stringify(result.model)), mtime: metricTime }]);
      const artifactKey = keyOfUri(job.ModelArtifacts?.S3ModelArtifacts, this.ctx.bucket, 'ModelArtifacts.S3ModelArtifacts');
      await this.ctx.store.write(artifactKey, artifact, { contentType: 'application/x-tar' });
      return await finish('Completed', { FinalMetricDataList: finalMetrics });
    } catch (error) {
      if (error instanceof JobFailure) return await finish('Failed', { FailureReason: error.reason });
      throw error;
    }
  }

  /** The rows of a channel, or undefined when the job has no such channel (train is required). */
  private async readChannel(job: DescribeTrainingJobResponse, channelName: string, mandatory: boolean): Promise<LabeledData | undefined> {
    const channel = job.InputDataConfig?.find((c) => c.ChannelName === channelName);
    if (!channel) {
      if (mandatory) throw new JobFailure(`ClientError: Channel ${channelName} is required for the XGBoost algorithm; the job has ${listChannels(job)}`);
      return undefined;
    }
    const source = channel.DataSource?.S3DataSource;
    if (source?.S3DataType !== undefined && source.S3DataType !== 'S3Prefix') {
      throw new JobFailure(`ClientError: channel ${channelName}: S3DataType ${source.S3DataType} is not supported locally (S3Prefix)`);
    }
    const contentType = (channel.ContentType ?? 'text/csv').split(';')[0].trim().toLowerCase();
    if (contentType !== 'text/csv' && contentType !== 'csv') {
      throw new JobFailure(`ClientError: channel ${channelName}: content type ${channel.ContentType} is not supported locally (text/csv)`);
    }
    const prefix = keyOfUri(source?.S3Uri, this.ctx.bucket, `InputDataConfig.${channelName}.S3Uri`);
    const rows = new LabeledRows();
    let files = 0;
    for await (const object of this.ctx.store.list(prefix)) {
      if (object.key.endsWith('/')) continue;
      files++;
      const { body } = await this.ctx.store.read(object.key);
      const stream: Readable = channel.CompressionType === 'Gzip' ? body.pipe(createGunzip()) : body;
      try {
        for await (const { text, line } of readLines(stream)) rows.add(text, `s3://${this.ctx.bucket}/${object.key} line ${line}`);
      } catch (error) {
        throw new JobFailure(`ClientError: Unable to read data channel '${channelName}': ${messageOf(error)}`);
      }
    }
    if (files === 0 || rows.count === 0) {
      throw new JobFailure(`ClientError: No data found in channel ${channelName} (s3://${this.ctx.bucket}/${prefix}: ${files} objects, no rows)`);
    }
    return rows.toMatrix();
  }
}

interface LabeledData {
  readonly x: FeatureMatrix;
  readonly y: Float64Array;
}

function listChannels(job: DescribeTrainingJobResponse): string {
  const names = (job.InputDataConfig ?? []).map((c) => c.ChannelName);
  return names.length > 0 ? `channels ${names.join(', ')}` : 'no channels';
}

/** The labels and sizes XGBoost requires, as ClientError reasons. */
function checkData(train: LabeledData | undefined, validation: LabeledData | undefined, params: GbdtParams): void {
  for (const [channel, data] of [['train', train], ['validation', validation]] as const) {
    if (!data) continue;
    if (channel === 'validation' && train && data.x.columns !== train.x.columns) {
      throw new JobFailure(`ClientError: Feature size of validation data ${data.x.columns} differs from the training data's ${train.x.columns}`);
    }
    for (let i = 0; i < data.y.length; i++) {
      const label = data.y[i];
      if (params.objective === 'binary:logistic' && !(label >= 0 && label <= 1)) {
        throw new JobFailure(`ClientError: ${channel} data row ${i + 1}: label must be in [0,1] for logistic regression, got ${label}`);
      }
      if (params.objective === 'multi:softprob' && !(Number.isInteger(label) && label >= 0 && label < params.numClass)) {
        throw new JobFailure(`ClientError: ${channel} data row ${i + 1}: label must be in [0, num_class), num_class=${params.numClass}, got ${label}`);
      }
    }
  }
}

/** Every supported metric of the objective, by XGBoost / SageMaker name. */
function metricValues(params: GbdtParams, predictions: Float64Array, y: Float64Array): Record<string, number> {
  switch (params.objective) {
    case 'binary:logistic': {
      const m = computeMetrics({ kind: 'binary', labels: y.map((v) => (v >= 0.5 ? 1 : 0)), scores: predictions });
      return { auc: m.auc, logloss: m.logloss, error: 1 - m.accuracy, accuracy: m.accuracy, f1: m.f1, f1_binary: m.f1, precision: m.precision, recall: m.recall };
    }
    case 'multi:softprob': {
      const m = computeMetrics({ kind: 'multiclass', labels: Int32Array.from(y), probabilities: predictions, classes: params.numClass });
      return { mlogloss: m.logloss, merror: 1 - m.accuracy, accuracy: m.accuracy, f1_macro: m.macro_f1 };
    }
    case 'reg:squarederror': {
      const m = computeMetrics({ kind: 'regression', labels: y, values: predictions });
      return { rmse: m.rmse, mae: m.mae, mse: m.rmse * m.rmse, r2: m.r2 };
    }
  }
}
