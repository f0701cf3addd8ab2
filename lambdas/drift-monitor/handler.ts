import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../adapters/clock';
import { createCloudWatchMetrics } from '../adapters/cloudwatch-metrics';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createS3ObjectStore } from '../adapters/s3-object-store';
import { createDriftMonitorHandler } from './drift-monitor';

const o = observability();
export const handler = lambdaHandler(
  o,
  createDriftMonitorHandler({
    objects: createS3ObjectStore(o.tracer.captureAWSv3Client(new S3Client({})), requiredEnv('DATA_BUCKET')),
    state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
    metrics: createCloudWatchMetrics(o.tracer.captureAWSv3Client(new CloudWatchClient({})), requiredEnv('METRICS_NAMESPACE')),
    clock: systemClock,
  }),
);
