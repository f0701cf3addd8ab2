/**
 * Executions on Step Functions. `start` is idempotent by execution name: Step Functions
 * answers a second StartExecution with the same name (for a closed execution, or with a
 * different input) with ExecutionAlreadyExists, and we return the ARN of the execution that
 * has that name. The name is the idempotency key; the first execution's input wins.
 */
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../core/errors';
import { isAwsError, mapAwsError } from './aws-errors';
import type { ExecutionStatus, Executions } from './ports';

const STATE_MACHINE_ARN = /^(arn:[^:]+:states:[^:]*:[^:]*):stateMachine:([^:]+)$/;

/**
 * The ARN of the execution `name` of a (Standard) state machine:
 * arn:<partition>:states:<region>:<account>:execution:<machine>:<name>.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (match === null) {
    throw new InvalidInputError(`not a state machine ARN: ${stateMachineArn} (expected arn:<partition>:states:<region>:<account>:stateMachine:<name>)`, {
      context: { stateMachineArn },
    });
  }
  return `${match[1]}:execution:${match[2]}:${name}`;
}

export function createSfnExecutions(client: SFNClient): Executions {
  return {
    async status(executionArn: string): Promise<ExecutionStatus> {
      let status: ExecutionStatus | undefined;
      try {
        ({ status } = await client.send(new DescribeExecutionCommand({ executionArn })));
      } catch (error) {
        if (isAwsError(error, 'ExecutionDoesNotExist')) return 'NOT_FOUND';
        throw mapAwsError(error, { service: 'Step Functions', operation: 'DescribeExecution', context: { executionArn } });
      }
      if (status === undefined) {
        throw new InvalidInputError(`Step Functions DescribeExecution returned no status for ${executionArn}`, { context: { executionArn } });
      }
      return status;
    },

    async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<{ executionArn: string }> {
      const existingArn = executionArnOf(stateMachineArn, name);
      try {
        const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return { executionArn: executionArn ?? existingArn };
      } catch (error) {
        if (isAwsError(error, 'ExecutionAlreadyExists')) return { executionArn: existingArn };
        throw mapAwsError(error, { service: 'Step Functions', operation: 'StartExecution', context: { stateMachineArn, name } });
      }
    },
  };
}
