import { z } from 'zod';
import type { Clock, ModelHosting, StateStore } from '../adapters/ports';
import { parseEvent } from '../adapters/runtime';
import { promoteChampion, type PromoteResult } from '../core/promote';

export const promoteEventSchema = z.strictObject({
  runId: z.string(),
  endpointName: z.string(),
  endpointConfigName: z.string(),
  modelName: z.string(),
  modelPackageArn: z.string(),
  metric: z.strictObject({ name: z.string(), value: z.number() }),
  baselineUri: z.string().startsWith('s3://'),
  schemaUri: z.string().startsWith('s3://'),
  configPrefix: z.string(),
  keepConfigs: z.number().int().min(1),
});

/** Write the champion pointer once the endpoint serves the new model; delete old configs. */
export function createPromoteHandler(ports: { state: StateStore; hosting: ModelHosting; clock: Clock }) {
  return async (event: unknown): Promise<PromoteResult> => promoteChampion(ports, parseEvent(promoteEventSchema, event, 'promote event'));
}
