/**
 * Typed errors. Every error retrain raises on purpose extends RetrainError: it has a
 * `name` ending in "Error" (Step Functions matches Retry/Catch on it), an optional
 * `cause`, and a `context` object that says what and where (file, line, field, run id).
 * Only handler boundaries catch, to turn one into a cause a person can read.
 */
export class RetrainError extends Error {
  override readonly name: string = 'RetrainError';
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }
}

/** Input data cannot be used: malformed CSV, too many bad rows, a schema change. */
export class DataValidationError extends RetrainError {
  override readonly name = 'DataValidationError';
}

/** An event, request or document does not have the expected shape. */
export class InvalidInputError extends RetrainError {
  override readonly name = 'InvalidInputError';
}

/** Something the run needs does not exist (a champion, a baseline, an object). */
export class NotFoundError extends RetrainError {
  override readonly name = 'NotFoundError';
}

/** A conditional write lost a race: the item changed since it was read. */
export class ConditionFailedError extends RetrainError {
  override readonly name = 'ConditionFailedError';
}

/** A transient failure worth retrying (throttling, a 5xx): Step Functions retries it. */
export class TransientError extends RetrainError {
  override readonly name = 'TransientError';
}

/** The message of any thrown value, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
