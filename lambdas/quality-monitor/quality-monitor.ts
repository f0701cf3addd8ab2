import { z } from 'zod';
import { parseEvent } from '../adapters/runtime';
import type { MonitorPorts } from '../core/drift-monitor';
import { runQualityMonitor } from '../core/quality-monitor';

export const qualityMonitorEventSchema = z.strictObject({
  projectName: z.string(),
  endpointName: z.string(),
  variantName: z.string(),
  metric: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  floor: z.number().optional(),
  maxRelativeDrop: z.number().gt(0).lt(1),
  minLabeledRows: z.number().int().positive(),
});

/** The scheduled quality check: captured predictions joined with uploaded ground truth. */
export function createQualityMonitorHandler(ports: MonitorPorts) {
  return async (event: unknown): Promise<{ reportKey: string; status: string; value: number | null }> => {
    const { report, reportKey } = await runQualityMonitor(ports, parseEvent(qualityMonitorEventSchema, event, 'quality monitor event'));
    return { reportKey, status: report.status, value: report.metric.value };
  };
}
