import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { systemClock } from '../adapters/clock';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher';
import { lambdaHandler, observability, powertoolsMetricsSink, requiredEnv, withDimensions, sleep } from '../adapters/runtime';
import { createSfnExecutions } from '../adapters/sfn-executions';
import { createSnsNotifier } from '../adapters/sns-notifier';
import { createFinalizeHandler } from './finalize';

const o = observability();
export const handler = lambdaHandler(
  o,
  createFinalizeHandler({
    state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
    executions: createSfnExecutions(o.tracer.captureAWSv3Client(new SFNClient({}))),
    events: createEventBridgePublisher(o.tracer.captureAWSv3Client(new EventBridgeClient({}))),
    notifier: createSnsNotifier(o.tracer.captureAWSv3Client(new SNSClient({})), requiredEnv('TOPIC_ARN')),
    metrics: withDimensions(powertoolsMetricsSink(o.metrics), { Project: requiredEnv('PROJECT_NAME') }),
    clock: systemClock,
    sleep,
  }),
);
