/**
 * The ModelHosting and ModelRegistry ports on the local SageMaker backend — what the deploy,
 * promote and rollback handlers use in local mode instead of the SageMaker SDK adapters.
 * Errors keep SageMaker's wording ("Cannot update in-progress endpoint"), mapped the way the
 * AWS adapters map them.
 */
import type { BlueGreenDeployment, ModelHosting, ModelRegistry } from '../lambdas/adapters/ports';
import { toDeploymentConfig } from '../lambdas/adapters/sagemaker-hosting';
import { createRegistry } from '../lambdas/adapters/sagemaker-registry';
import { EndpointBusyError } from '../lambdas/core/deploy';
import type { LocalSageMaker } from './sagemaker/backend';
import { SageMakerApiError } from './sagemaker/errors';

export function localHosting(backend: LocalSageMaker): ModelHosting {
  return {
    async describeEndpoint(name) {
      try {
        const e = await backend.describeEndpoint(name);
        return {
          name,
          status: e.EndpointStatus ?? 'Failed',
          endpointConfigName: e.EndpointConfigName ?? '',
          ...(e.FailureReason ? { failureReason: e.FailureReason } : {}),
        };
      } catch (error) {
        if (error instanceof SageMakerApiError && /Could not find endpoint/.test(error.message)) return undefined;
        throw error;
      }
    },
    async createEndpoint(name, endpointConfigName) {
      await backend.createEndpoint({ EndpointName: name, EndpointConfigName: endpointConfigName });
    },
    async updateEndpoint(name, endpointConfigName, deployment?: BlueGreenDeployment) {
      try {
        await backend.updateEndpoint({
          EndpointName: name,
          EndpointConfigName: endpointConfigName,
          ...(deployment ? { DeploymentConfig: toDeploymentConfig(name, deployment) } : {}),
        });
      } catch (error) {
        if (error instanceof SageMakerApiError && /Cannot update in-progress endpoint/.test(error.message)) {
          throw new EndpointBusyError(error.message, { cause: error, context: { endpoint: name } });
        }
        throw error;
      }
    },
    async listEndpointConfigs(namePrefix) {
      const found: Array<{ name: string; createdAt: Date }> = [];
      let token: string | undefined;
      do {
        const page = await backend.listEndpointConfigs({ NameContains: namePrefix, SortBy: 'CreationTime', SortOrder: 'Descending', NextToken: token });
        for (const c of page.EndpointConfigs ?? []) {
          if (c.EndpointConfigName?.startsWith(namePrefix)) found.push({ name: c.EndpointConfigName, createdAt: new Date(c.CreationTime ?? 0) });
        }
        token = page.NextToken;
      } while (token);
      return found;
    },
    async deleteEndpointConfig(name) {
      await backend.deleteEndpointConfig(name);
    },
  };
}

export function localRegistry(backend: LocalSageMaker): ModelRegistry {
  return createRegistry({
    async describe(arn) {
      try {
        return await backend.describeModelPackage(arn);
      } catch (error) {
        if (error instanceof SageMakerApiError && error.code === 'ValidationException') return undefined;
        throw error;
      }
    },
    list: (input) => backend.listModelPackages(input),
    update: (input) => backend.updateModelPackage(input),
  });
}
