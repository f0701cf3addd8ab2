import { S3Client } from '@aws-sdk/client-s3';
import { lambdaHandler, observability, requiredEnv } from '../adapters/runtime';
import { createS3ObjectStore } from '../adapters/s3-object-store';
import { createEvaluateHandler } from './evaluate';

const o = observability();
const bucket = requiredEnv('DATA_BUCKET');
export const handler = lambdaHandler(o, createEvaluateHandler({ store: createS3ObjectStore(o.tracer.captureAWSv3Client(new S3Client({})), bucket), bucket }));
