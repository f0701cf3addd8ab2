import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../adapters/clock';
import { createDynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createS3ObjectStore } from '../adapters/s3-object-store';
import { createEtlHandler } from './etl';

const o = observability();
const bucket = requiredEnv('DATA_BUCKET');
export const handler = lambdaHandler(
  o,
  createEtlHandler({
    store: createS3ObjectStore(o.tracer.captureAWSv3Client(new S3Client({})), bucket),
    state: createDynamoDbStateStore(o.tracer.captureAWSv3Client(new DynamoDBClient({})), requiredEnv('STATE_TABLE')),
    clock: systemClock,
    bucket,
  }),
);
