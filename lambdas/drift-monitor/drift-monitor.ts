import { z } from 'zod';
import { parseEvent } from '../adapters/runtime';
import { runDriftMonitor, type DriftMonitorResult, type MonitorPorts } from '../core/drift-monitor';

export const driftMonitorEventSchema = z.strictObject({
  projectName: z.string(),
  endpointName: z.string(),
  variantName: z.string(),
  drift: z.strictObject({
    featureThreshold: z.number().positive(),
    pValue: z.number().gt(0).lt(1),
    driftedShare: z.number().gt(0).max(1),
    criticalFeatures: z.array(z.string()),
    minRows: z.number().int().positive(),
  }),
});

/** The scheduled drift check: the window since the last one against the champion's baseline. */
export function createDriftMonitorHandler(ports: MonitorPorts) {
  return async (event: unknown): Promise<Pick<DriftMonitorResult, 'reportKey'> & { status: string; driftedShare: number }> => {
    const { report, reportKey } = await runDriftMonitor(ports, parseEvent(driftMonitorEventSchema, event, 'drift monitor event'));
    return { reportKey, status: report.status, driftedShare: report.driftedShare };
  };
}
