import { z } from 'zod';
import type { ObjectStore } from '../adapters/ports';
import { parseEvent, s3Uri } from '../adapters/runtime';
import { evaluateRun, evaluationKey } from '../core/evaluate';
import { keepModelDocuments } from '../core/model-documents';
import type { Evaluation } from '../core/types';

export const evaluateEventSchema = z.strictObject({
  runId: z.string(),
  trigger: z.looseObject({ type: z.string(), reason: z.string() }),
  prepared: z.looseObject({
    keys: z.looseObject({ test: z.string(), baseline: z.string(), schema: z.string(), manifest: z.string() }),
    rows: z.record(z.string(), z.number()),
    classes: z.array(z.string()).nullish(),
    champion: z.looseObject({ runId: z.string(), modelName: z.string() }).nullable(),
  }),
  problemType: z.enum(['binary', 'multiclass', 'regression']),
  gate: z.strictObject({
    metric: z.string(),
    direction: z.enum(['maximize', 'minimize']),
    minimum: z.number().optional(),
    minImprovement: z.number(),
  }),
  manualApproval: z.boolean(),
});

export interface EvaluateResult extends Evaluation {
  readonly approvalStatus: 'Approved' | 'Rejected' | 'PendingManualApproval';
  /** CustomerMetadataProperties of the model package: strings of at most 256 characters. */
  readonly metadata: Record<string, string>;
  readonly evaluationUri: string;
  readonly baselineUri: string;
  readonly schemaUri: string;
}

/** Both models' predictions are batch-transform outputs: <S3OutputPath>/<input name>.out. */
export function predictionsKey(runId: string, who: 'candidate' | 'champion'): string {
  return `runs/${runId}/transform/${who}/test.csv.out`;
}

export function createEvaluateHandler(ports: { store: ObjectStore; bucket: string }) {
  return async (event: unknown): Promise<EvaluateResult> => {
    const request = parseEvent(evaluateEventSchema, event, 'evaluate event');
    const { runId, prepared } = request;
    const evaluation = await evaluateRun(
      { store: ports.store },
      {
        runId,
        problemType: request.problemType,
        ...(prepared.classes ? { classes: prepared.classes } : {}),
        testKey: prepared.keys.test,
        candidatePredictionsKey: predictionsKey(runId, 'candidate'),
        ...(prepared.champion ? { championPredictionsKey: predictionsKey(runId, 'champion') } : {}),
        gate: request.gate,
      },
    );
    const { decision } = evaluation;
    // The package references copies that never expire (runs/ does): see core/model-documents.
    const kept = await keepModelDocuments(ports.store, runId, {
      'schema.json': prepared.keys.schema,
      'baseline.json': prepared.keys.baseline,
      'evaluation.json': evaluationKey(runId),
    });
    const metadata: Record<string, string> = {
      runId,
      trigger: request.trigger.type,
      triggerReason: request.trigger.reason,
      metric: decision.metric,
      direction: decision.direction,
      candidate: String(decision.candidate),
      ...(decision.champion !== undefined ? { champion: String(decision.champion), championRunId: prepared.champion?.runId ?? '' } : {}),
      decision: decision.passed ? 'passed' : 'failed',
      reason: decision.reason,
      manifest: s3Uri(ports.bucket, prepared.keys.manifest),
      schema: s3Uri(ports.bucket, kept['schema.json']),
      rows: Object.entries(prepared.rows).map(([k, v]) => `${k}=${v}`).join(' '),
    };
    return {
      ...evaluation,
      approvalStatus: decision.passed ? (request.manualApproval ? 'PendingManualApproval' : 'Approved') : 'Rejected',
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, metadataValue(v)])),
      evaluationUri: s3Uri(ports.bucket, kept['evaluation.json']),
      baselineUri: s3Uri(ports.bucket, kept['baseline.json']),
      schemaUri: s3Uri(ports.bucket, kept['schema.json']),
    };
  };
}

/**
 * CustomerMetadataProperties values: 1-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@] (the
 * SageMaker API model); anything else becomes a space. The full text is in evaluation.json.
 */
export function metadataValue(value: string): string {
  const clean = value
    .replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 256);
  return clean || '-';
}
