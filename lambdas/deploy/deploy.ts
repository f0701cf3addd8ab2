import { z } from 'zod';
import type { ModelHosting, ModelRegistry, StateStore } from '../adapters/ports';
import { parseEvent } from '../adapters/runtime';
import { assertHoldsLock } from '../core/admission';
import { deployEndpoint, endpointStatus, type DeployResult, type EndpointStatus } from '../core/deploy';
import { prepareRollback } from '../core/rollback';

export const deployEventSchema = z.strictObject({
  action: z.enum(['deploy', 'describe']),
  runId: z.string(),
  endpointName: z.string(),
  endpointConfigName: z.string(),
  serverless: z.boolean(),
  strategy: z.strictObject({
    type: z.enum(['all-at-once', 'canary', 'linear']),
    canaryPercent: z.number(),
    linearStepPercent: z.number(),
    waitIntervalSeconds: z.number(),
    terminationWaitSeconds: z.number(),
  }),
  rollbackAlarmNames: z.array(z.string()),
  maxWaitSeconds: z.number().positive(),
});

export const prepareRollbackEventSchema = z.strictObject({
  action: z.literal('prepare-rollback'),
  run: z.looseObject({ runId: z.string(), options: z.looseObject({ rollbackTo: z.string() }) }),
  modelPackageGroup: z.string(),
});

/**
 * Deploy (create or blue/green update), the status check of the poll loop, and rollback
 * preparation. Only the run that holds the pipeline lock may deploy (LockLostError otherwise).
 */
export function createDeployHandler(ports: { hosting: ModelHosting; registry: ModelRegistry; state: StateStore }) {
  return async (event: unknown): Promise<DeployResult | EndpointStatus | Record<string, unknown>> => {
    if ((event as { action?: unknown } | null)?.action === 'prepare-rollback') {
      const request = parseEvent(prepareRollbackEventSchema, event, 'prepare-rollback event');
      return prepareRollback(ports.registry, { run: request.run, modelPackageGroup: request.modelPackageGroup });
    }
    const request = parseEvent(deployEventSchema, event, 'deploy event');
    if (request.action === 'describe') return endpointStatus(ports.hosting, request.endpointName);
    await assertHoldsLock(ports.state, request.runId, `deploying ${request.endpointConfigName}`);
    return deployEndpoint(ports.hosting, request);
  };
}
