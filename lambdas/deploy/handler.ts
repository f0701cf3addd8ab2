import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createSageMakerHosting } from '../adapters/sagemaker-hosting';
import { createSageMakerRegistry } from '../adapters/sagemaker-registry';
import { createDeployHandler } from './deploy';

const o = observability();
const sagemaker = o.tracer.captureAWSv3Client(new SageMakerClient({}));
const state = createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE'));
export const handler = lambdaHandler(o, createDeployHandler({ hosting: createSageMakerHosting(sagemaker), registry: createSageMakerRegistry(sagemaker), state }));
