import { z } from 'zod';
import type { MetricsSink } from '../adapters/ports';
import { parseEvent } from '../adapters/runtime';
import { admit, checkQuietPeriod, type AdmissionPorts, type AdmissionResult } from '../core/admission';

const settings = z.strictObject({
  cooldownMinutes: z.number().min(0),
  quietPeriodSeconds: z.number().min(0),
  maxWaitSeconds: z.number().min(0),
  triggerLogDays: z.number().positive(),
});

export const admitEventSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('admit'),
    input: z.unknown(),
    execution: z.strictObject({ arn: z.string(), name: z.string(), startTime: z.string() }),
    stateMachineArn: z.string(),
    settings,
  }),
  z.strictObject({
    action: z.literal('debounce'),
    run: z.looseObject({ runId: z.string(), admission: z.looseObject({ outcome: z.string() }) }),
    settings,
  }),
]);

/** Admit and the debounce check: the first states of every execution. */
export function createAdmitHandler(ports: AdmissionPorts & { metrics: MetricsSink }) {
  return async (event: unknown): Promise<AdmissionResult> => {
    const request = parseEvent(admitEventSchema, event, 'admit event');
    if (request.action === 'debounce') {
      return checkQuietPeriod(ports, { run: request.run as unknown as AdmissionResult & { runId: string }, settings: request.settings });
    }
    const result = await admit(ports, request);
    await ports.metrics.put([
      {
        name: 'Triggers',
        value: 1,
        unit: 'Count',
        dimensions: { TriggerType: result.trigger?.type ?? 'invalid', Outcome: result.admission.outcome },
      },
    ]);
    return result;
  };
}
