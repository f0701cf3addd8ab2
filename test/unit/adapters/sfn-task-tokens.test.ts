import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createSfnTaskTokens } from '../../../lambdas/adapters/sfn-task-tokens';
import { NotFoundError, TransientError } from '../../../lambdas/core/errors';
import { sentCommandProblems } from '../../helpers/api-model';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMZ2ZdTwo5zrFH1token';
const sfn = mockClient(SFNClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(sfn)).toEqual([]));

describe('sfn-task-tokens', () => {
  const tokens = createSfnTaskTokens(new SFNClient({ region: 'us-east-1' }));

  beforeEach(() => sfn.reset());

  describe('succeed', () => {
    it('sends the task token with the output as JSON', async () => {
      sfn.on(SendTaskSuccessCommand).resolves({});

      await tokens.succeed(TOKEN, { approved: true, reason: 'approved by alice' });

      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: '{"approved":true,"reason":"approved by alice"}' });
    });

    it('maps a throttled call to a TransientError', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(tokens.succeed(TOKEN, {})).rejects.toBeInstanceOf(TransientError);
    });

    it('maps a task that already timed out to a NotFoundError that says so', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));

      const attempt = tokens.succeed(TOKEN, {});

      await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
      await expect(attempt).rejects.toThrow('the task no longer waits (TaskTimedOut)');
    });
  });

  describe('fail', () => {
    it('sends the error name and the cause', async () => {
      sfn.on(SendTaskFailureCommand).resolves({});

      await tokens.fail(TOKEN, 'ModelPackageRejected', 'the March data is incomplete');

      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'ModelPackageRejected', cause: 'the March data is incomplete' });
    });

    it('cuts the error to 256 characters and the cause to 32768, the Step Functions limits', async () => {
      sfn.on(SendTaskFailureCommand).resolves({});

      await tokens.fail(TOKEN, 'E'.repeat(300), 'c'.repeat(40_000));

      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'E'.repeat(256), cause: 'c'.repeat(32_768) });
    });

    it('keeps an error and a cause at the limits whole', async () => {
      sfn.on(SendTaskFailureCommand).resolves({});

      await tokens.fail(TOKEN, 'E'.repeat(256), 'c'.repeat(32_768));

      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { error: 'E'.repeat(256), cause: 'c'.repeat(32_768) });
    });

    it('names the error it was sending when the call fails', async () => {
      sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

      await expect(tokens.fail(TOKEN, 'ModelPackageRejected', 'no')).rejects.toMatchObject({
        name: 'AwsRequestError',
        context: expect.objectContaining({ service: 'StepFunctions', operation: 'SendTaskFailure', error: 'ModelPackageRejected' }),
      });
    });
  });
});
