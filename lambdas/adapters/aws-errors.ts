/**
 * One mapping from AWS SDK v3 errors to retrain's typed errors, used by every adapter, so a
 * throttled or failed call reads the same whichever service it came from:
 *
 * - throttling, 5xx, request timeouts and dropped connections → TransientError (Step
 *   Functions Retry matches its name);
 * - a failed conditional write (DynamoDB condition, S3 precondition) → ConditionFailedError;
 * - a missing resource → NotFoundError;
 * - anything else → AwsRequestError, named after nothing the state machine retries.
 *
 * The SDK error is kept as `cause`; the context says which call, on what, and what AWS said.
 */
import { ConditionFailedError, NotFoundError, RetrainError, TransientError } from '../core/errors';

/** An AWS request failed for a reason retrying will not fix (access denied, a bad parameter, ...). */
export class AwsRequestError extends RetrainError {
  override readonly name = 'AwsRequestError';
}

/** Which request failed, for the message and the context of the mapped error. */
export interface AwsCall {
  /** "DynamoDB", "SageMaker", ... */
  readonly service: string;
  /** The API operation: "PutItem", "UpdateEndpoint", ... */
  readonly operation: string;
  /** What the call was about: table and key, ARN, endpoint name. */
  readonly context: Readonly<Record<string, unknown>>;
}

/** Error names services use for throttling (including request-rate limits of S3 and EC2-style APIs). */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
]);

/** Error names of server-side failures and timeouts. */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceException',
]);

/** Node.js system error codes of a connection that dropped or could not be made for now. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);

const CONDITION_NAMES = new Set(['ConditionalCheckFailedException', 'PreconditionFailed']);

const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'ResourceNotFound', 'NoSuchKey', 'NoSuchBucket', 'NotFound']);

/** What an SDK error (or a Node.js system error) carries, all optional. */
interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly requestId?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** The error's name as AWS reports it ("ThrottlingException"), or undefined for a non-error. */
export function awsErrorName(error: unknown): string | undefined {
  const name = shapeOf(error).name;
  return typeof name === 'string' ? name : undefined;
}

/** Whether the error is an AWS error with one of the names and, if given, a message starting with the prefix. */
export function isAwsError(error: unknown, names: string | readonly string[], messagePrefix?: string): boolean {
  const name = awsErrorName(error);
  const wanted = typeof names === 'string' ? [names] : names;
  if (name === undefined || !wanted.includes(name)) return false;
  if (messagePrefix === undefined) return true;
  const message = shapeOf(error).message;
  return typeof message === 'string' && message.startsWith(messagePrefix);
}

function httpStatusOf(error: SdkErrorShape): number | undefined {
  const status = error.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function isTransient(error: SdkErrorShape, name: string | undefined, status: number | undefined): boolean {
  if (name !== undefined && (THROTTLING_NAMES.has(name) || TRANSIENT_NAMES.has(name))) return true;
  if (error.$retryable?.throttling === true) return true;
  if (status === 429 || (status !== undefined && status >= 500 && status <= 599)) return true;
  if (error.$fault === 'server') return true;
  return typeof error.code === 'string' && NETWORK_CODES.has(error.code);
}

function describeContext(context: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(context)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * The typed error for a failed AWS call. A RetrainError passes through unchanged (an adapter
 * may already have thrown the precise one); anything else is classified as described above.
 */
export function mapAwsError(error: unknown, call: AwsCall): RetrainError {
  if (error instanceof RetrainError) return error;
  const shape = shapeOf(error);
  const name = awsErrorName(error);
  const status = httpStatusOf(shape);
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${call.service} ${call.operation} failed${describeContext(call.context)}: ${name ?? 'Error'}: ${detail}`;
  const requestId = shape.$metadata?.requestId;
  const options = {
    cause: error,
    context: {
      service: call.service,
      operation: call.operation,
      ...call.context,
      awsError: name,
      ...(status === undefined ? {} : { httpStatusCode: status }),
      ...(typeof requestId === 'string' ? { requestId } : {}),
    },
  };
  if (name !== undefined && CONDITION_NAMES.has(name)) return new ConditionFailedError(message, options);
  if (isTransient(shape, name, status)) return new TransientError(message, options);
  if ((name !== undefined && NOT_FOUND_NAMES.has(name)) || status === 404) return new NotFoundError(message, options);
  return new AwsRequestError(message, options);
}

/** Runs one AWS call and throws its error mapped by mapAwsError. */
export async function withAwsErrors<T>(call: AwsCall, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw mapAwsError(error, call);
  }
}
