import { z } from 'zod';
import type { ModelHosting } from '../adapters/ports';
import { parseEvent } from '../adapters/runtime';
import { deployEndpoint, endpointStatus, type DeployResult, type EndpointStatus } from '../core/deploy';

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

/** Deploy (create or blue/green update) and the status check of the poll loop. */
export function createDeployHandler(hosting: ModelHosting) {
  return async (event: unknown): Promise<DeployResult | EndpointStatus> => {
    const request = parseEvent(deployEventSchema, event, 'deploy event');
    return request.action === 'deploy' ? deployEndpoint(hosting, request) : endpointStatus(hosting, request.endpointName);
  };
}
