/**
 * Errors of the local SageMaker backend, shaped like the service's so that callers (the local
 * runner, the CLI) see what they would see in the cloud.
 *
 * - SageMakerApiError: an API call was rejected. `code` is SageMaker's error code (the `name` of
 *   the SDK v3 exception: ValidationException, ResourceInUse, ResourceNotFound,
 *   ResourceLimitExceeded, ConflictException) and the message is SageMaker's wording.
 * - TaskFailedError: a `.sync` job ended Failed or Stopped. Step Functions reports this as error
 *   "States.TaskFailed" with the job's Describe response (JSON) as the cause; the error's name
 *   and message are exactly those, so a Catch on "States.TaskFailed" in the local run matches.
 *
 * `toStatesError` turns a backend error into what a Task state of the given integration reports.
 */
import { ConflictException, ResourceInUse, ResourceLimitExceeded, ResourceNotFound, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { RetrainError } from '../../lambdas/core/errors';

export type SageMakerErrorCode = 'ValidationException' | 'ResourceInUse' | 'ResourceNotFound' | 'ResourceLimitExceeded' | 'ConflictException';

export class SageMakerApiError extends RetrainError {
  override readonly name = 'SageMakerApiError';
  readonly code: SageMakerErrorCode;
  /** The HTTP status SageMaker answers with (400 for all of these). */
  readonly statusCode = 400;

  constructor(code: SageMakerErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message, { context: { code, ...context } });
    this.code = code;
  }
}

/** A .sync job that did not complete: name "States.TaskFailed", message = the Describe response as JSON. */
export class TaskFailedError extends RetrainError {
  override readonly name = 'States.TaskFailed';
  /** The Describe response of the job (TrainingJobStatus / TransformJobStatus Failed). */
  readonly description: Readonly<Record<string, unknown>>;

  constructor(description: Record<string, unknown>) {
    super(JSON.stringify(description), { context: { job: description.TrainingJobName ?? description.TransformJobName } });
    this.description = description;
  }
}

/**
 * An InvokeEndpoint call failed, with SageMaker Runtime's error code: ValidationError (400: no
 * such endpoint, or not in service), ModelError (424: the container answered with an error; the
 * message carries its status and text, as the runtime does) or ServiceUnavailable (503: the
 * model server does not answer, e.g. the process that hosted it has exited).
 */
export class InvocationError extends RetrainError {
  override readonly name = 'InvocationError';
  readonly code: 'ValidationError' | 'ModelError' | 'ServiceUnavailable';
  readonly statusCode: number;
  /** ModelError: the status the container answered with. */
  readonly originalStatusCode?: number;

  constructor(
    code: InvocationError['code'],
    message: string,
    context: Record<string, unknown> & { originalStatusCode?: number } = {},
  ) {
    super(message, { context: { code, ...context } });
    this.code = code;
    this.statusCode = code === 'ValidationError' ? 400 : code === 'ModelError' ? 424 : 503;
    this.originalStatusCode = context.originalStatusCode;
  }
}

/**
 * The error a Step Functions Task state reports for a backend error:
 * - optimized integrations (arn:aws:states:::sagemaker:createTrainingJob.sync, ...) report
 *   "SageMaker.AmazonSageMakerException" (ResourceLimitExceeded: "SageMaker.ResourceLimitExceededException")
 *   with the message and the service details as the cause;
 * - AWS SDK integrations (arn:aws:states:::aws-sdk:sagemaker:describeEndpoint) report
 *   "SageMaker.<ErrorCode>", e.g. "SageMaker.ResourceNotFound";
 * - TaskFailedError is already in Step Functions' shape and is returned unchanged.
 * Other errors are returned unchanged.
 */
export function toStatesError(error: unknown, integration: 'optimized' | 'aws-sdk'): unknown {
  if (!(error instanceof SageMakerApiError)) return error;
  const name =
    integration === 'aws-sdk'
      ? `SageMaker.${error.code}`
      : error.code === 'ResourceLimitExceeded'
        ? 'SageMaker.ResourceLimitExceededException'
        : 'SageMaker.AmazonSageMakerException';
  const mapped = new Error(`${error.message} (Service: AmazonSageMaker; Status Code: 400; Error Code: ${error.code})`);
  mapped.name = name;
  return mapped;
}

/**
 * The error as the SDK v3 SageMaker client throws it: the client's modeled exception class for
 * the codes the API model declares (ResourceNotFound, ResourceInUse, ResourceLimitExceeded,
 * ConflictException), and SageMakerServiceException named after the code for the others
 * (ValidationException is in no operation's model), each with `$fault: 'client'` and
 * `$metadata.httpStatusCode` 400 — what the SDK's deserializer builds from SageMaker's answer.
 * Local mode puts the backend behind a SageMakerClient with it (local/sagemaker-ports.ts), so
 * the AWS adapters run unchanged on the local backend. Other errors are returned unchanged.
 */
export function toSdkError(error: unknown): unknown {
  if (!(error instanceof SageMakerApiError)) return error;
  const options = { $fault: 'client' as const, $metadata: { httpStatusCode: error.statusCode }, message: error.message };
  switch (error.code) {
    case 'ResourceNotFound':
      return new ResourceNotFound(options);
    case 'ResourceInUse':
      return new ResourceInUse(options);
    case 'ResourceLimitExceeded':
      return new ResourceLimitExceeded(options);
    case 'ConflictException':
      return new ConflictException(options);
    default:
      return new SageMakerServiceException({ ...options, name: error.code });
  }
}
