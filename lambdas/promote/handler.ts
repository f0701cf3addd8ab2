import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { systemClock } from '../adapters/clock';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createSageMakerHosting } from '../adapters/sagemaker-hosting';
import { createPromoteHandler } from './promote';

const o = observability();
const promote = createPromoteHandler({
  state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
  hosting: createSageMakerHosting(o.tracer.captureAWSv3Client(new SageMakerClient({}))),
  clock: systemClock,
});

export const handler = lambdaHandler(o, async (event) => {
  const result = await promote(event);
  if (result.cleanupFailures.length > 0) o.logger.warn('old endpoint configs kept', { failures: result.cleanupFailures });
  return result;
});
