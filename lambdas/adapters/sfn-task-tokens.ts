/** TaskTokens on Step Functions: SendTaskSuccess / SendTaskFailure. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { withAwsErrors } from './aws-errors';
import type { TaskTokens } from './ports';

/** Step Functions limits: error 256 characters, cause 32,768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

export function createSfnTaskTokens(client: SFNClient): TaskTokens {
  return {
    async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
      await withAwsErrors({ service: 'StepFunctions', operation: 'SendTaskSuccess', context: {} }, () =>
        client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      );
    },
    async fail(taskToken: string, error: string, cause: string): Promise<void> {
      await withAwsErrors({ service: 'StepFunctions', operation: 'SendTaskFailure', context: { error } }, () =>
        client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR), cause: cause.slice(0, MAX_CAUSE) })),
      );
    },
  };
}
