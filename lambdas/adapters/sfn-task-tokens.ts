/** TaskTokens on Step Functions: SendTaskSuccess / SendTaskFailure. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { NotFoundError } from '../core/errors';
import { isAwsError, withAwsErrors } from './aws-errors';
import type { TaskTokens } from './ports';

/** Step Functions limits: error 256 characters, cause 32,768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/** The task no longer waits (timed out, execution ended): a NotFoundError the core can act on. */
const GONE = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

export function createSfnTaskTokens(client: SFNClient): TaskTokens {
  const send = async (operation: string, request: () => Promise<unknown>, context: Record<string, unknown>) => {
    try {
      await withAwsErrors({ service: 'StepFunctions', operation, context }, request);
    } catch (error) {
      const sdkError = (error as Error).cause ?? error;
      if (isAwsError(sdkError, GONE)) throw new NotFoundError(`the task no longer waits (${(sdkError as Error).name})`, { cause: error, context });
      throw error;
    }
  };
  return {
    async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
      await send('SendTaskSuccess', () => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })), {});
    },
    async fail(taskToken: string, error: string, cause: string): Promise<void> {
      await send(
        'SendTaskFailure',
        () => client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR), cause: cause.slice(0, MAX_CAUSE) })),
        { error },
      );
    },
  };
}
