/**
 * ModelHosting on SageMaker: the endpoint calls the deploy step makes. SageMaker reports a
 * missing endpoint and a busy one as ValidationException; this adapter tells them apart by
 * message: "Could not find endpoint ..." and "Cannot update in-progress endpoint ...".
 */
import {
  CreateEndpointCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  UpdateEndpointCommand,
  type DeploymentConfig,
  type SageMakerClient,
  type TrafficRoutingConfig,
} from '@aws-sdk/client-sagemaker';
import { EndpointBusyError } from '../core/deploy';
import { InvalidInputError } from '../core/errors';
import { isAwsError, mapAwsError, withAwsErrors } from './aws-errors';
import type { BlueGreenDeployment, EndpointDescription, ModelHosting, TrafficRouting } from './ports';

export { EndpointBusyError };

const NOT_FOUND_ENDPOINT = 'Could not find endpoint';
const NOT_FOUND_ENDPOINT_CONFIG = 'Could not find endpoint configuration';
const IN_PROGRESS = 'Cannot update in-progress endpoint';

function trafficRoutingConfig(endpointName: string, routing: TrafficRouting): TrafficRoutingConfig {
  const base = { Type: routing.type, WaitIntervalInSeconds: routing.waitIntervalSeconds };
  if (routing.type === 'ALL_AT_ONCE') return base;
  if (routing.percent === undefined) {
    throw new InvalidInputError(`deployment of endpoint ${endpointName}: ${routing.type} traffic routing needs a percent`, {
      context: { endpointName, routing },
    });
  }
  const size = { Type: 'CAPACITY_PERCENT' as const, Value: routing.percent };
  return routing.type === 'CANARY' ? { ...base, CanarySize: size } : { ...base, LinearStepSize: size };
}

/** The UpdateEndpoint DeploymentConfig of a blue/green deployment with auto-rollback alarms. */
export function toDeploymentConfig(endpointName: string, deployment: BlueGreenDeployment): DeploymentConfig {
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: trafficRoutingConfig(endpointName, deployment.routing),
      TerminationWaitInSeconds: deployment.terminationWaitSeconds,
      MaximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeoutSeconds,
    },
    ...(deployment.rollbackAlarmNames.length === 0
      ? {}
      : { AutoRollbackConfiguration: { Alarms: deployment.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) } }),
  };
}

export function createSageMakerHosting(client: SageMakerClient): ModelHosting {
  return {
    async describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
      let output;
      try {
        output = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
      } catch (error) {
        if (isAwsError(error, 'ValidationException', NOT_FOUND_ENDPOINT)) return undefined;
        throw mapAwsError(error, { service: 'SageMaker', operation: 'DescribeEndpoint', context: { endpointName: name } });
      }
      return {
        name: output.EndpointName ?? name,
        status: output.EndpointStatus ?? 'Unknown',
        endpointConfigName: output.EndpointConfigName ?? '',
        ...(output.FailureReason === undefined ? {} : { failureReason: output.FailureReason }),
      };
    },

    async createEndpoint(name: string, endpointConfigName: string): Promise<void> {
      await withAwsErrors({ service: 'SageMaker', operation: 'CreateEndpoint', context: { endpointName: name, endpointConfigName } }, () =>
        client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: endpointConfigName })),
      );
    },

    async updateEndpoint(name: string, endpointConfigName: string, deployment?: BlueGreenDeployment): Promise<void> {
      const context = { endpointName: name, endpointConfigName };
      const deploymentConfig = deployment === undefined ? undefined : toDeploymentConfig(name, deployment);
      try {
        await client.send(
          new UpdateEndpointCommand({
            EndpointName: name,
            EndpointConfigName: endpointConfigName,
            RetainAllVariantProperties: false,
            ...(deploymentConfig === undefined ? {} : { DeploymentConfig: deploymentConfig }),
          }),
        );
      } catch (error) {
        if (isAwsError(error, 'ValidationException', IN_PROGRESS)) {
          throw new EndpointBusyError(`endpoint ${name} is being changed and cannot be updated to ${endpointConfigName} now`, { cause: error, context });
        }
        throw mapAwsError(error, { service: 'SageMaker', operation: 'UpdateEndpoint', context });
      }
    },

    async listEndpointConfigs(namePrefix: string): Promise<Array<{ name: string; createdAt: Date }>> {
      const configs: Array<{ name: string; createdAt: Date }> = [];
      let nextToken: string | undefined;
      do {
        const page = await withAwsErrors({ service: 'SageMaker', operation: 'ListEndpointConfigs', context: { namePrefix } }, () =>
          client.send(
            new ListEndpointConfigsCommand({
              NameContains: namePrefix,
              SortBy: 'CreationTime',
              SortOrder: 'Descending',
              MaxResults: 100,
              ...(nextToken === undefined ? {} : { NextToken: nextToken }),
            }),
          ),
        );
        for (const summary of page.EndpointConfigs ?? []) {
          const name = summary.EndpointConfigName;
          if (name !== undefined && summary.CreationTime !== undefined && name.startsWith(namePrefix)) {
            configs.push({ name, createdAt: summary.CreationTime });
          }
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      // Pages come sorted; sorting again keeps "newest first" true across page boundaries.
      return configs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },

    /** Deleting a config that is already gone succeeds: the cleanup it belongs to may be a retry. */
    async deleteEndpointConfig(name: string): Promise<void> {
      try {
        await client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
      } catch (error) {
        if (isAwsError(error, 'ValidationException', NOT_FOUND_ENDPOINT_CONFIG)) return;
        throw mapAwsError(error, { service: 'SageMaker', operation: 'DeleteEndpointConfig', context: { endpointConfigName: name } });
      }
    },
  };
}
