import { readChampionSchema } from '../core/model-documents';
import { z } from 'zod';
import type { Clock, ObjectStore, StateStore } from '../adapters/ports';
import { keyOf, parseEvent, s3Uri } from '../adapters/runtime';
import { prepareData, type PreparedData } from '../core/etl';
import { trainingHyperparameters } from '../core/hyperparameters';
import { CHAMPION_KEY } from '../core/promote';
import type { Champion } from '../core/types';

export const etlEventSchema = z.strictObject({
  runId: z.string().min(1),
  settings: z.strictObject({
    header: z.boolean(),
    columns: z.array(z.string()).optional(),
    targetColumn: z.string(),
    features: z.array(z.string()).optional(),
    categoricalFeatures: z.array(z.string()),
    idColumn: z.string().optional(),
    problemType: z.enum(['binary', 'multiclass', 'regression']),
    rawPrefix: z.string(),
    lookbackDays: z.number().int().positive().optional(),
    maxQuarantineShare: z.number().min(0).max(1),
    minRows: z.number().int().positive(),
    split: z.strictObject({ train: z.number(), validation: z.number(), test: z.number() }),
  }),
  hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

/** What the state machine reads after Prepare data; every field present (null when absent). */
export interface EtlResult extends PreparedData {
  readonly uris: { readonly train: string; readonly validation: string; readonly test: string; readonly baseline: string; readonly schema: string };
  readonly hyperParameters: Record<string, string>;
  readonly classes: string[] | undefined;
  readonly champion: (Pick<Champion, 'runId' | 'modelName' | 'modelPackageArn' | 'metric'>) | null;
}

export interface EtlPorts {
  readonly store: ObjectStore;
  readonly state: StateStore;
  readonly clock: Clock;
  /** Name of the data bucket, for s3:// URIs. */
  readonly bucket: string;
}

/** Prepare data: the champion's schema (if any) constrains this run's data. */
export function createEtlHandler(ports: EtlPorts) {
  return async (event: unknown): Promise<EtlResult> => {
    const request = parseEvent(etlEventSchema, event, 'prepare-data event');
    const champion = (await ports.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk))?.data;
    const schema = champion ? await readChampionSchema(ports.store, keyOf(ports.bucket, champion.schemaUri), champion.runId) : undefined;
    const prepared = await prepareData(
      { store: ports.store },
      { runId: request.runId, settings: request.settings, now: ports.clock.now(), ...(schema ? { champion: { schema } } : {}) },
    );
    const k = prepared.keys;
    return {
      ...prepared,
      classes: request.settings.problemType === 'multiclass' ? prepared.classes : undefined,
      uris: {
        train: s3Uri(ports.bucket, k.train),
        validation: s3Uri(ports.bucket, k.validation),
        test: s3Uri(ports.bucket, k.test),
        baseline: s3Uri(ports.bucket, k.baseline),
        schema: s3Uri(ports.bucket, k.schema),
      },
      hyperParameters: trainingHyperparameters(request.settings.problemType, request.hyperparameters, prepared.classes),
      champion: champion
        ? { runId: champion.runId, modelName: champion.modelName, modelPackageArn: champion.modelPackageArn, metric: champion.metric }
        : null,
    };
  };
}
