/**
 * ModelHosting on SageMaker: the endpoint calls the deploy step makes.
 *
 * SageMaker's API model declares no error for DescribeEndpoint and DeleteEndpointConfig and
 * only ResourceLimitExceeded for UpdateEndpoint: a missing endpoint or config, a busy endpoint
 * and a malformed request all answer ValidationException, whose message is prose, not a
 * contract. So this adapter classifies by error name and by what it knows of the request,
 * never by message text:
 * - a ValidationException for a name that satisfies the API's name pattern means the
 *   resource does not exist (AWS's own "EndpointDeleted" waiter takes ValidationException from
 *   DescribeEndpoint as "deleted": botocore/data/sagemaker/2017-07-24/waiters-2.json);
 * - a ValidationException from UpdateEndpoint while DescribeEndpoint reports a transitional
 *   status (Creating, Updating, SystemUpdating, RollingBack, Deleting) means "busy".
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
import { awsErrorName, mapAwsError, withAwsErrors } from './aws-errors';
import type { BlueGreenDeployment, EndpointDescription, ModelHosting, TrafficRouting } from './ports';

export { EndpointBusyError };

/** EndpointName and EndpointConfigName (SageMaker API Reference, CreateEndpoint / CreateEndpointConfig: pattern, length 1-63). */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Endpoint statuses during which SageMaker refuses UpdateEndpoint (DescribeEndpoint, EndpointStatus). */
const TRANSITIONAL_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/** A ValidationException for a well-formed name: the resource does not exist (see the file comment). */
function isMissing(error: unknown, name: string): boolean {
  return awsErrorName(error) === 'ValidationException' && SAGEMAKER_NAME_PATTERN.test(name);
}

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
  /** Whether the endpoint is in a status that refuses updates; false when that cannot be told. */
  const isTransitional = async (name: string): Promise<boolean> => {
    try {
      const output = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
      return TRANSITIONAL_STATUSES.has(output?.EndpointStatus ?? '');
    } catch {
      // The update's own error is the one to report: this look-up only refines it.
      return false;
    }
  };
  return {
    async describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
      let output;
      try {
        output = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
      } catch (error) {
        if (isMissing(error, name)) return undefined;
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
        if (awsErrorName(error) === 'ValidationException' && (await isTransitional(name))) {
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

    /**
     * Deleting a config that is already gone succeeds: the cleanup it belongs to may be a retry.
     * SageMaker answers a missing config with ValidationException ("Could not find endpoint
     * configuration", e.g. aws/amazon-sagemaker-examples#2339 for the same lookup in
     * DescribeEndpointConfig); the API model declares no other error for this operation.
     */
    async deleteEndpointConfig(name: string): Promise<void> {
      try {
        await client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
      } catch (error) {
        if (isMissing(error, name)) return;
        throw mapAwsError(error, { service: 'SageMaker', operation: 'DeleteEndpointConfig', context: { endpointConfigName: name } });
      }
    },
  };
}
