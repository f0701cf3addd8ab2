import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidExecutionInput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidInputError, TransientError } from '../../../lambdas/core/errors';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import { createSfnExecutions, executionArnOf } from '../../../lambdas/adapters/sfn-executions';
import { sentCommandProblems } from '../../helpers/api-model';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:retrain-pipeline';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:retrain-pipeline:manual-abc';

const sfn = mockClient(SFNClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(sfn)).toEqual([]));

describe('sfn-executions', () => {
  const executions = createSfnExecutions(new SFNClient({ region: 'eu-west-1' }));

  beforeEach(() => sfn.reset());

  describe('status', () => {
    it('returns the status DescribeExecution reports', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ status: 'PENDING_REDRIVE' });

      await expect(executions.status(EXECUTION)).resolves.toBe('PENDING_REDRIVE');
      expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
    });

    it('returns NOT_FOUND when the execution does not exist', async () => {
      sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

      await expect(executions.status(EXECUTION)).resolves.toBe('NOT_FOUND');
    });

    it('maps other failures with the execution ARN in the context', async () => {
      sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(executions.status(EXECUTION)).rejects.toMatchObject({
        name: 'TransientError',
        context: expect.objectContaining({ executionArn: EXECUTION }),
      });
    });
  });

  describe('start', () => {
    it('starts an execution with the given name and the input as JSON', async () => {
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

      const started = await executions.start(MACHINE, 'manual-abc', { trigger: { type: 'manual' } });

      expect(started).toEqual({ executionArn: EXECUTION });
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
        stateMachineArn: MACHINE,
        name: 'manual-abc',
        input: '{"trigger":{"type":"manual"}}',
      });
    });

    it('returns the ARN of the existing execution when the name was already used', async () => {
      sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      await expect(executions.start(MACHINE, 'manual-abc', {})).resolves.toEqual({ executionArn: EXECUTION });
    });

    it('maps a throttled start to a TransientError and a rejected input to an AwsRequestError', async () => {
      sfn
        .on(StartExecutionCommand)
        .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
        .rejects(new InvalidExecutionInput({ message: 'bad input', $metadata: { httpStatusCode: 400 } }));

      await expect(executions.start(MACHINE, 'a', {})).rejects.toBeInstanceOf(TransientError);
      await expect(executions.start(MACHINE, 'a', {})).rejects.toBeInstanceOf(AwsRequestError);
    });
  });
});

describe('sfn-executions: executionArnOf', () => {
  it('derives the execution ARN in any partition', () => {
    expect(executionArnOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m', 'x')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:m:x',
    );
  });

  it('rejects what is not a state machine ARN', () => {
    expect(() => executionArnOf('arn:aws:states:eu-west-1:123456789012:activity:m', 'x')).toThrow(InvalidInputError);
  });
});
