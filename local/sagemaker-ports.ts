/**
 * The ModelHosting and ModelRegistry ports of local mode: the AWS adapters themselves
 * (lambdas/adapters/sagemaker-hosting.ts, sagemaker-registry.ts) on a SageMakerClient whose
 * requests the local backend answers instead of the network. A request goes through the SDK's
 * command as in the cloud; a rejection comes back as the SDK's own exception (toSdkError: the
 * modeled class, or SageMakerServiceException named after SageMaker's error code). So local
 * mode classifies errors with the adapters' code — the same error types, the same retryability,
 * the same "missing config is already deleted" — and cannot be kinder than AWS there.
 */
import {
  SageMakerClient,
  type CreateEndpointInput,
  type DescribeModelPackageInput,
  type ListEndpointConfigsInput,
  type ListModelPackagesInput,
  type UpdateEndpointInput,
  type UpdateModelPackageInput,
} from '@aws-sdk/client-sagemaker';
import type { ModelHosting, ModelRegistry } from '../lambdas/adapters/ports';
import { createSageMakerHosting } from '../lambdas/adapters/sagemaker-hosting';
import { createSageMakerRegistry } from '../lambdas/adapters/sagemaker-registry';
import { RetrainError } from '../lambdas/core/errors';
import type { LocalSageMaker } from './sagemaker/backend';
import { toSdkError } from './sagemaker/errors';

/** The SageMaker operations the adapters send, each answered by the backend. */
const OPERATIONS: Record<string, (backend: LocalSageMaker, input: never) => Promise<unknown>> = {
  DescribeEndpointCommand: (backend, input: { EndpointName?: string }) => backend.describeEndpoint(input.EndpointName ?? ''),
  CreateEndpointCommand: (backend, input: CreateEndpointInput) => backend.createEndpoint(input),
  UpdateEndpointCommand: (backend, input: UpdateEndpointInput) => backend.updateEndpoint(input),
  ListEndpointConfigsCommand: (backend, input: ListEndpointConfigsInput) => backend.listEndpointConfigs(input),
  DeleteEndpointConfigCommand: async (backend, input: { EndpointConfigName?: string }) => {
    await backend.deleteEndpointConfig(input.EndpointConfigName ?? '');
    return {};
  },
  DescribeModelPackageCommand: (backend, input: DescribeModelPackageInput) => backend.describeModelPackage(input.ModelPackageName ?? ''),
  ListModelPackagesCommand: (backend, input: ListModelPackagesInput) => backend.listModelPackages(input),
  UpdateModelPackageCommand: (backend, input: UpdateModelPackageInput) => backend.updateModelPackage(input),
};

/**
 * A SageMakerClient answered by the local backend: a middleware at the start of the stack runs
 * the command on the backend and never lets the request reach serialization or the network.
 */
export function localSageMakerClient(backend: LocalSageMaker): SageMakerClient {
  const client = new SageMakerClient({
    region: backend.region,
    // Never used: no request is signed or sent.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const operation = OPERATIONS[context.commandName ?? ''];
      if (!operation) throw new RetrainError(`the local SageMaker backend does not answer ${context.commandName ?? 'this command'}`);
      try {
        return { output: { $metadata: {}, ...((await operation(backend, args.input as never)) as object) }, response: undefined };
      } catch (error) {
        throw toSdkError(error);
      }
    },
    { step: 'initialize', name: 'localSageMakerBackend', priority: 'high' },
  );
  return client;
}

export function localHosting(backend: LocalSageMaker): ModelHosting {
  return createSageMakerHosting(localSageMakerClient(backend));
}

export function localRegistry(backend: LocalSageMaker): ModelRegistry {
  return createSageMakerRegistry(localSageMakerClient(backend));
}
