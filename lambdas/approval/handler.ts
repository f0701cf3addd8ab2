import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { systemClock } from '../adapters/clock';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createSageMakerRegistry } from '../adapters/sagemaker-registry';
import { createSfnTaskTokens } from '../adapters/sfn-task-tokens';
import { createSnsNotifier } from '../adapters/sns-notifier';
import { createApprovalHandler } from './approval';

const o = observability();
export const handler = lambdaHandler(
  o,
  createApprovalHandler({
    state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
    tokens: createSfnTaskTokens(o.tracer.captureAWSv3Client(new SFNClient({}))),
    registry: createSageMakerRegistry(o.tracer.captureAWSv3Client(new SageMakerClient({}))),
    events: createEventBridgePublisher(o.tracer.captureAWSv3Client(new EventBridgeClient({}))),
    notifier: createSnsNotifier(o.tracer.captureAWSv3Client(new SNSClient({})), requiredEnv('TOPIC_ARN')),
    clock: systemClock,
  }),
);
