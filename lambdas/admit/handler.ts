import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../adapters/clock';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { lambdaHandler, observability, powertoolsMetricsSink, requiredEnv, withDimensions, sleep } from '../adapters/runtime';
import { createSfnExecutions } from '../adapters/sfn-executions';
import { createAdmitHandler } from './admit';

const o = observability();
const admitEvent = createAdmitHandler({
  state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
  executions: createSfnExecutions(o.tracer.captureAWSv3Client(new SFNClient({}))),
  clock: systemClock,
  sleep,
  metrics: withDimensions(powertoolsMetricsSink(o.metrics), { Project: requiredEnv('PROJECT_NAME') }),
});

export const handler = lambdaHandler(o, admitEvent);
