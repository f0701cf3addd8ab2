import { ConditionalCheckFailedException, DynamoDBServiceException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { ConditionFailedError, NotFoundError, RetrainError, TransientError } from '../../../lambdas/core/errors';
import { AwsRequestError, isAwsError, mapAwsError, withAwsErrors } from '../../../lambdas/adapters/aws-errors';

const call = { service: 'DynamoDB', operation: 'PutItem', context: { table: 'state', pk: 'lock', sk: 'pipeline' } };

function serviceError(name: string, httpStatusCode: number, fault: 'client' | 'server' = 'client'): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, $fault: fault, $metadata: { httpStatusCode, requestId: 'req-1' }, message: `${name} happened` });
}

describe('aws-errors: mapAwsError', () => {
  it.each(['ThrottlingException', 'TooManyRequestsException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'SlowDown'])(
    'maps the throttling error %s to a TransientError',
    (name) => {
      const mapped = mapAwsError(serviceError(name, 400), call);

      expect(mapped).toBeInstanceOf(TransientError);
      expect(mapped.name).toBe('TransientError');
    },
  );

  it('maps any HTTP 429 to a TransientError', () => {
    expect(mapAwsError(serviceError('SomethingNew', 429), call)).toBeInstanceOf(TransientError);
  });

  it.each([500, 502, 503, 504])('maps an HTTP %d to a TransientError', (status) => {
    expect(mapAwsError(serviceError('InternalServerError', status, 'server'), call)).toBeInstanceOf(TransientError);
  });

  it('maps a server fault without a status to a TransientError', () => {
    const error = new DynamoDBServiceException({ name: 'Odd', $fault: 'server', $metadata: {}, message: 'odd' });

    expect(mapAwsError(error, call)).toBeInstanceOf(TransientError);
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE'])('maps the network error %s to a TransientError', (code) => {
    const error = Object.assign(new Error(`socket ${code}`), { code });

    expect(mapAwsError(error, call)).toBeInstanceOf(TransientError);
  });

  it('maps an SDK request timeout (TimeoutError) to a TransientError', () => {
    const error = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });

    expect(mapAwsError(error, call)).toBeInstanceOf(TransientError);
  });

  it('keeps the SDK error as cause and names the call, its context and the AWS error in the message', () => {
    const original = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400, requestId: 'abc' } });

    const mapped = mapAwsError(original, call);

    expect(mapped.cause).toBe(original);
    expect(mapped.message).toBe('DynamoDB PutItem failed (table=state, pk=lock, sk=pipeline): ProvisionedThroughputExceededException: Rate exceeded');
    expect(mapped.context).toEqual({
      service: 'DynamoDB',
      operation: 'PutItem',
      table: 'state',
      pk: 'lock',
      sk: 'pipeline',
      awsError: 'ProvisionedThroughputExceededException',
      httpStatusCode: 400,
      requestId: 'abc',
    });
  });

  it('maps a failed DynamoDB condition to a ConditionFailedError', () => {
    const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });

    expect(mapAwsError(error, call)).toBeInstanceOf(ConditionFailedError);
  });

  it('maps ResourceNotFoundException and other 404s to a NotFoundError', () => {
    expect(mapAwsError(serviceError('ResourceNotFoundException', 400), call)).toBeInstanceOf(NotFoundError);
    expect(mapAwsError(serviceError('NoSuchThing', 404), call)).toBeInstanceOf(NotFoundError);
  });

  it('maps other client errors to an AwsRequestError, which Step Functions does not retry', () => {
    const mapped = mapAwsError(serviceError('AccessDeniedException', 403), call);

    expect(mapped).toBeInstanceOf(AwsRequestError);
    expect(mapped.name).toBe('AwsRequestError');
    expect(mapped.message).toContain('AccessDeniedException');
  });

  it('passes a RetrainError through unchanged', () => {
    const error = new RetrainError('already precise');

    expect(mapAwsError(error, call)).toBe(error);
  });

  it('maps a thrown non-error to an AwsRequestError carrying it', () => {
    const mapped = mapAwsError('a string', call);

    expect(mapped).toBeInstanceOf(AwsRequestError);
    expect(mapped.cause).toBe('a string');
  });
});

describe('aws-errors: isAwsError', () => {
  it('matches the error name and, when given, the message prefix', () => {
    const error = new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', $metadata: {}, message: 'Could not find endpoint "x".' });

    expect(isAwsError(error, 'ValidationException')).toBe(true);
    expect(isAwsError(error, ['Other', 'ValidationException'], 'Could not find endpoint')).toBe(true);
    expect(isAwsError(error, 'ValidationException', 'Cannot update')).toBe(false);
    expect(isAwsError(undefined, 'ValidationException')).toBe(false);
  });
});

describe('aws-errors: withAwsErrors', () => {
  it('returns the result of a call that succeeds', async () => {
    await expect(withAwsErrors(call, async () => 42)).resolves.toBe(42);
  });

  it('rejects with the mapped error of a call that fails', async () => {
    const failing = withAwsErrors(call, async () => {
      throw serviceError('ThrottlingException', 400);
    });

    await expect(failing).rejects.toBeInstanceOf(TransientError);
  });
});
