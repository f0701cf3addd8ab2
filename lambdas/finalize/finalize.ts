import { z } from 'zod';
import { parseEvent } from '../adapters/runtime';
import { finalizeRun, type FinalizePorts, type RunState, type RunSummary } from '../core/finalize';

export const finalizeEventSchema = z.strictObject({
  run: z.looseObject({
    runId: z.string(),
    trigger: z.looseObject({ type: z.string(), reason: z.string(), eventId: z.string(), time: z.string() }),
    options: z.looseObject({ dryRun: z.boolean(), force: z.boolean() }),
  }),
  execution: z.strictObject({ arn: z.string(), name: z.string(), startTime: z.string() }),
  stateMachineArn: z.string(),
  settings: z.strictObject({
    cooldownMinutes: z.number().min(0),
    quietPeriodSeconds: z.number().min(0),
    maxWaitSeconds: z.number().min(0),
    triggerLogDays: z.number().positive(),
  }),
});

/** The output is the execution's output: the summary, and `error`/`cause` for the Fail state. */
export function createFinalizeHandler(ports: FinalizePorts) {
  return async (event: unknown): Promise<RunSummary> => {
    const request = parseEvent(finalizeEventSchema, event, 'finalize event');
    return finalizeRun(ports, { ...request, run: request.run as unknown as RunState });
  };
}
