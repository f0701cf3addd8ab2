import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { lambdaHandler, observability } from '../adapters/runtime';
import { createSageMakerHosting } from '../adapters/sagemaker-hosting';
import { createDeployHandler } from './deploy';

const o = observability();
export const handler = lambdaHandler(o, createDeployHandler(createSageMakerHosting(o.tracer.captureAWSv3Client(new SageMakerClient({})))));
