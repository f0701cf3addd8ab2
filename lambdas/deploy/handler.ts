import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { lambdaHandler, observability } from '../adapters/runtime';
import { createSageMakerHosting } from '../adapters/sagemaker-hosting';
import { createSageMakerRegistry } from '../adapters/sagemaker-registry';
import { createDeployHandler } from './deploy';

const o = observability();
const sagemaker = o.tracer.captureAWSv3Client(new SageMakerClient({}));
export const handler = lambdaHandler(o, createDeployHandler({ hosting: createSageMakerHosting(sagemaker), registry: createSageMakerRegistry(sagemaker) }));
