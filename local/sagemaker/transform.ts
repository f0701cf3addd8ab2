/**
 * CreateTransformJob (.sync) / DescribeTransformJob: batch transform with the model of
 * ModelName, as the built-in XGBoost container does it for text/csv with SplitType Line and
 * AssembleWith Line.
 *
 * - Input: every object under TransformInput.DataSource.S3DataSource.S3Uri (S3Prefix; an exact
 *   key is a prefix too), read as a stream, one record per line (empty lines are skipped).
 * - DataProcessing: InputFilter selects the columns sent to the model ("$[1:]" drops the label
 *   in the first column; absent = every column), JoinSource "Input" appends the prediction to the
 *   input record (comma-joined; "None" = the prediction alone), OutputFilter then selects columns
 *   of that ("$[0,-1]": label and prediction). Filters take "$" or "$[...]" with indexes, slices
 *   and negative indexes.
 * - Output: `<S3OutputPath>/<input key relative to the input prefix's folder>.out`, one line per
 *   input record, in input order (AssembleWith Line), written as a stream in batches of
 *   BATCH_ROWS, so memory stays flat for 100k rows and more. For multi:softprob a prediction is
 *   "[p0, p1, ...]" (see inference.ts); with JoinSource Input it is appended as it is.
 * A record that cannot be parsed, or has the wrong number of features, fails the job
 * (ClientError naming the file and line), like the container's 400/415 answers do.
 */
import { PassThrough } from 'node:stream';
import type { CreateTransformJobRequest, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import { messageOf } from '../../lambdas/core/errors';
import type { BackendContext } from './context';
import { parseCsvFilter, parseRow, readLines, type CsvFilter } from './csv-data';
import { SageMakerApiError, TaskFailedError } from './errors';
import { loadModel, type LoadedModel } from './inference';
import type { Models } from './models';
import { joinKey, keyOfUri, required, validateName } from './names';

export const BATCH_ROWS = 1000;

class JobFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export class TransformJobs {
  constructor(
    private readonly ctx: BackendContext,
    private readonly models: Models,
  ) {}

  /** Creates the job and waits for it: the Describe response when Completed, TaskFailedError when Failed. */
  async create(request: CreateTransformJobRequest): Promise<DescribeTransformJobResponse> {
    const job = await this.validate(request);
    if (!(await this.ctx.state.create('transform-jobs', job.TransformJobName as string, job))) {
      throw new SageMakerApiError(
        'ResourceInUse',
        `Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (${job.TransformJobArn})`,
        { transformJobName: job.TransformJobName },
      );
    }
    const finished = await this.run(job);
    if (finished.TransformJobStatus !== 'Completed') throw new TaskFailedError(finished as unknown as Record<string, unknown>);
    return finished;
  }

  async describe(name: string): Promise<DescribeTransformJobResponse> {
    const job = await this.ctx.state.get<DescribeTransformJobResponse>('transform-jobs', validateName(name, 'transformJobName'));
    if (!job) throw new SageMakerApiError('ValidationException', `Could not find requested job with name ${name}`, { transformJobName: name });
    return job;
  }

  private async validate(request: CreateTransformJobRequest): Promise<DescribeTransformJobResponse> {
    const name = validateName(request.TransformJobName, 'transformJobName');
    const modelName = validateName(request.ModelName, 'modelName');
    await this.models.describe(modelName);
    const input = required(request.TransformInput, 'transformInput');
    keyOfUri(required(input.DataSource?.S3DataSource?.S3Uri, 'transformInput.dataSource.s3DataSource.s3Uri'), this.ctx.bucket, 'TransformInput.S3Uri');
    const output = required(request.TransformOutput, 'transformOutput');
    keyOfUri(required(output.S3OutputPath, 'transformOutput.s3OutputPath'), this.ctx.bucket, 'TransformOutput.S3OutputPath');
    required(request.TransformResources, 'transformResources');
    for (const [field, expression] of [
      ['DataProcessing.InputFilter', request.DataProcessing?.InputFilter],
      ['DataProcessing.OutputFilter', request.DataProcessing?.OutputFilter],
    ] as const) {
      try {
        parseCsvFilter(expression, field);
      } catch (error) {
        throw new SageMakerApiError('ValidationException', messageOf(error), { field });
      }
    }
    const now = this.ctx.clock.now();
    return {
      TransformJobName: name,
      TransformJobArn: this.ctx.arns.of('transform-job', name),
      TransformJobStatus: 'InProgress',
      ModelName: modelName,
      MaxConcurrentTransforms: request.MaxConcurrentTransforms,
      MaxPayloadInMB: request.MaxPayloadInMB,
      BatchStrategy: request.BatchStrategy,
      Environment: request.Environment,
      TransformInput: input,
      TransformOutput: output,
      TransformResources: request.TransformResources,
      DataProcessing: request.DataProcessing,
      CreationTime: now,
    };
  }

  private async run(job: DescribeTransformJobResponse): Promise<DescribeTransformJobResponse> {
    const name = job.TransformJobName as string;
    const start = this.ctx.clock.now();
    job = { ...job, TransformStartTime: start };
    await this.ctx.state.put('transform-jobs', name, job);
    let failureReason: string | undefined;
    try {
      await this.transform(job);
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      failureReason = error.reason;
    }
    const end = this.ctx.clock.now();
    job = {
      ...job,
      TransformJobStatus: failureReason === undefined ? 'Completed' : 'Failed',
      ...(failureReason === undefined ? {} : { FailureReason: failureReason }),
      TransformEndTime: end,
    };
    await this.ctx.state.put('transform-jobs', name, job);
    return job;
  }

  private async transform(job: DescribeTransformJobResponse): Promise<void> {
    const input = job.TransformInput;
    const contentType = (input?.ContentType ?? 'text/csv').split(';')[0].trim().toLowerCase();
    if (contentType !== 'text/csv') throw new JobFailure(`ClientError: content type ${input?.ContentType} is not supported locally (text/csv)`);
    if ((input?.SplitType ?? 'None') !== 'Line') {
      throw new JobFailure(`ClientError: SplitType ${input?.SplitType ?? 'None'} is not supported locally (Line)`);
    }
    if (input?.CompressionType === 'Gzip') throw new JobFailure('ClientError: CompressionType Gzip is not supported locally for transform input');
    const source = input?.DataSource?.S3DataSource;
    if (source?.S3DataType !== undefined && source.S3DataType !== 'S3Prefix') {
      throw new JobFailure(`ClientError: S3DataType ${source.S3DataType} is not supported locally (S3Prefix)`);
    }
    const joinInput = job.DataProcessing?.JoinSource === 'Input';
    const inputFilter = parseCsvFilter(job.DataProcessing?.InputFilter, 'DataProcessing.InputFilter');
    const outputFilter = parseCsvFilter(job.DataProcessing?.OutputFilter, 'DataProcessing.OutputFilter');

    let model: LoadedModel;
    try {
      model = await loadModel(this.ctx.store, await this.models.artifactKey(job.ModelName as string));
    } catch (error) {
      throw new JobFailure(`ClientError: Unable to load model ${job.ModelName}: ${messageOf(error)}`);
    }
    const prefix = keyOfUri(source?.S3Uri, this.ctx.bucket, 'TransformInput.S3Uri');
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const outputPrefix = keyOfUri(job.TransformOutput?.S3OutputPath, this.ctx.bucket, 'TransformOutput.S3OutputPath');
    let files = 0;
    for await (const object of this.ctx.store.list(prefix)) {
      if (object.key.endsWith('/')) continue;
      files++;
      const outputKey = joinKey(outputPrefix, `${object.key.slice(folder.length)}.out`);
      await this.transformObject(object.key, outputKey, model, { joinInput, inputFilter, outputFilter });
    }
    if (files === 0) throw new JobFailure(`ClientError: No data found under s3://${this.ctx.bucket}/${prefix}`);
  }

  private async transformObject(
    key: string,
    outputKey: string,
    model: LoadedModel,
    options: { joinInput: boolean; inputFilter: CsvFilter; outputFilter: CsvFilter },
  ): Promise<void> {
    const out = new PassThrough();
    const written = this.ctx.store.write(outputKey, out, { contentType: 'text/csv' });
    // If the write fails early, stop reading instead of filling the pipe.
    let writeError: unknown;
    written.catch((error: unknown) => {
      writeError = error;
    });
    const numFeatures = model.model.numFeatures;
    let records: string[] = [];
    let rows: Float64Array[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const predictions = model.predictCsv(rows, true).split('\n');
      const lines = records.map((record, i) => {
        const fields = options.joinInput ? [...record.split(','), predictions[i]] : [predictions[i]];
        return options.outputFilter(fields).join(',');
      });
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      records = [];
      rows = [];
    };
    try {
      const { body } = await this.ctx.store.read(key);
      for await (const { text, line } of readLines(body)) {
        if (writeError !== undefined) break;
        if (text.trim() === '') continue;
        const where = `s3://${this.ctx.bucket}/${key} line ${line}`;
        const features = options.inputFilter(text.split(','));
        let row: Float64Array;
        try {
          row = parseRow(features, where);
        } catch (error) {
          throw new JobFailure(`ClientError: Loading csv data failed: ${messageOf(error)}`);
        }
        if (row.length !== numFeatures) {
          throw new JobFailure(
            `ClientError: Feature size of csv inference data ${row.length} is not consistent with feature size of trained model ${numFeatures} (${where})`,
          );
        }
        records.push(text);
        rows.push(row);
        if (rows.length >= BATCH_ROWS) await flush();
      }
      await flush();
      out.end();
    } catch (error) {
      out.destroy(error instanceof Error ? error : new Error(String(error)));
      await written.catch(() => undefined);
      throw error;
    }
    await written;
  }
}
