/**
 * How the CLI reports a user error: one line on stderr and a non-zero exit code, never a
 * stack trace. Commands throw UserError (or a RetrainError, or the ConfigError of an invalid
 * configuration file) for mistakes a person can fix;
 * anything else is a bug and keeps its stack.
 */
import { RetrainError } from '../lambdas/core/errors';
import { ConfigError } from '../lib/config';

export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    /** Process exit code. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Runs a command action and turns user errors into one line and an exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      if (error instanceof UserError) {
        console.error(`retrain: ${error.message}`);
        process.exitCode = error.exitCode;
        return;
      }
      if (error instanceof ConfigError) {
        console.error(`retrain: ${configErrorLine(error)}`);
        process.exitCode = 1;
        return;
      }
      if (error instanceof RetrainError) {
        console.error(`retrain: ${error.message}`);
        process.exitCode = 1;
        return;
      }
      throw error;
    }
  };
}

/** A configuration error on one line: the file, then every `field: reason`, separated by "; ". */
export function configErrorLine(error: ConfigError): string {
  return `${error.source}: ${error.problems.join('; ')}`;
}
