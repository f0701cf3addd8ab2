/**
 * Deploy: create the endpoint, or update it blue/green with the configured traffic shifting
 * and the stack's alarms as auto-rollback triggers; and report its status while the state
 * machine polls. The champion only changes later, once the endpoint serves the new config.
 */
import type { EndpointDescription, ModelHosting } from '../adapters/ports';
import { RetrainError } from './errors';

export interface DeployStrategy {
  readonly type: 'all-at-once' | 'canary' | 'linear';
  readonly canaryPercent: number;
  readonly linearStepPercent: number;
  readonly waitIntervalSeconds: number;
  readonly terminationWaitSeconds: number;
}

export interface DeployRequest {
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly serverless: boolean;
  readonly strategy: DeployStrategy;
  readonly rollbackAlarmNames: readonly string[];
  readonly maxWaitSeconds: number;
}

export interface DeployResult {
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly action: 'created' | 'updated' | 'already-current';
  /** The config the endpoint served before (the champion's), null on the first deployment. */
  readonly previousEndpointConfigName: string | null;
}

/** Someone else is changing the endpoint right now: retry later (the state machine does). */
export class EndpointBusyError extends RetrainError {
  override readonly name = 'EndpointBusyError';
}

/** The endpoint cannot take an update in its current state. */
export class EndpointStateError extends RetrainError {
  override readonly name = 'EndpointStateError';
}

const BUSY = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/** Blue/green guardrails accept 600 s to 14400 s for the whole update. */
const MIN_EXECUTION_TIMEOUT = 600;
const MAX_EXECUTION_TIMEOUT = 14_400;

export async function deployEndpoint(hosting: ModelHosting, request: DeployRequest): Promise<DeployResult> {
  const current = await hosting.describeEndpoint(request.endpointName);
  const base = { endpointName: request.endpointName, endpointConfigName: request.endpointConfigName };
  if (!current) {
    await hosting.createEndpoint(request.endpointName, request.endpointConfigName);
    return { ...base, action: 'created', previousEndpointConfigName: null };
  }
  if (current.endpointConfigName === request.endpointConfigName) {
    // A redriven run whose update already went through.
    return { ...base, action: 'already-current', previousEndpointConfigName: null };
  }
  if (BUSY.has(current.status)) {
    throw new EndpointBusyError(`endpoint ${request.endpointName} is ${current.status}; the update waits and retries`, {
      context: { endpoint: request.endpointName, status: current.status },
    });
  }
  if (current.status !== 'InService') {
    throw new EndpointStateError(
      `endpoint ${request.endpointName} is ${current.status}${current.failureReason ? ` (${current.failureReason})` : ''}; ` +
        'it cannot be updated — fix or delete it in the SageMaker console, then start a run',
      { context: { endpoint: request.endpointName, status: current.status } },
    );
  }
  const s = request.strategy;
  await hosting.updateEndpoint(
    request.endpointName,
    request.endpointConfigName,
    request.serverless
      ? undefined
      : {
          routing: {
            type: s.type === 'canary' ? 'CANARY' : s.type === 'linear' ? 'LINEAR' : 'ALL_AT_ONCE',
            ...(s.type === 'canary' ? { percent: s.canaryPercent } : s.type === 'linear' ? { percent: s.linearStepPercent } : {}),
            waitIntervalSeconds: s.type === 'all-at-once' ? 0 : s.waitIntervalSeconds,
          },
          terminationWaitSeconds: s.terminationWaitSeconds,
          maximumExecutionTimeoutSeconds: Math.min(MAX_EXECUTION_TIMEOUT, Math.max(MIN_EXECUTION_TIMEOUT, request.maxWaitSeconds)),
          rollbackAlarmNames: request.rollbackAlarmNames,
        },
  );
  return { ...base, action: 'updated', previousEndpointConfigName: current.endpointConfigName };
}

/** What the poll loop's Choice state reads. */
export interface EndpointStatus {
  readonly name: string;
  readonly status: string;
  readonly endpointConfigName: string;
  readonly failureReason: string | null;
}

export async function endpointStatus(hosting: ModelHosting, endpointName: string): Promise<EndpointStatus> {
  const current: EndpointDescription | undefined = await hosting.describeEndpoint(endpointName);
  if (!current) {
    return { name: endpointName, status: 'Failed', endpointConfigName: '', failureReason: 'the endpoint does not exist (deleted during the deployment?)' };
  }
  return { name: endpointName, status: current.status, endpointConfigName: current.endpointConfigName, failureReason: current.failureReason ?? null };
}
