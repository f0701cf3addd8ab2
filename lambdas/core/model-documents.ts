/**
 * What a model package needs for as long as it may serve: the model artifact (training writes
 * it under `models/<runId>/`), and the schema, baseline and evaluation it was registered with.
 * `runs/<runId>/` expires after `retention.runsDays`; `models/` never expires, so a champion —
 * and any approved package a rollback may redeploy — keeps everything it references.
 */
import { z } from 'zod';
import type { ObjectStore } from '../adapters/ports';
import { InvalidInputError, NotFoundError, RetrainError } from './errors';
import { readText } from './lines';
import type { ModelSchema } from './types';

export const MODELS_PREFIX = 'models/';

export type ModelDocument = 'schema.json' | 'baseline.json' | 'evaluation.json';

/** `models/<runId>/<document>`. */
export function modelDocumentKey(runId: string, document: ModelDocument): string {
  return `${MODELS_PREFIX}${runId}/${document}`;
}

/**
 * Copies the run's schema, baseline and evaluation from `runs/<runId>/` to `models/<runId>/`
 * and returns the new keys. Copies are whole-object rewrites, so a retry writes the same bytes.
 */
export async function keepModelDocuments(
  store: ObjectStore,
  runId: string,
  sources: Readonly<Record<ModelDocument, string>>,
): Promise<Record<ModelDocument, string>> {
  const kept = {} as Record<ModelDocument, string>;
  for (const [document, source] of Object.entries(sources) as Array<[ModelDocument, string]>) {
    const { body } = await store.read(source);
    const key = modelDocumentKey(runId, document);
    await store.write(key, await readText(body), { contentType: 'application/json' });
    kept[document] = key;
  }
  return kept;
}

/** The champion references an artifact that no longer exists (deleted by hand, or expired). */
export class ChampionArtifactMissingError extends RetrainError {
  override readonly name = 'ChampionArtifactMissingError';
}

/**
 * Reads a document the champion references; a missing one is a ChampionArtifactMissingError
 * that says what is missing and what to do, not a bare NoSuchKey.
 */
export async function readChampionDocument(store: ObjectStore, key: string, what: string, championRunId: string): Promise<string> {
  try {
    const { body } = await store.read(key);
    return await readText(body);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new ChampionArtifactMissingError(
      `the champion's ${what} ${key} (run ${championRunId}) is missing: restore it from a previous object version, or redeploy another approved package with "retrain rollback"`,
      { cause: error, context: { key, championRunId } },
    );
  }
}

/**
 * The champion's schema.json, validated: decoded as one text (a character split across two
 * chunks of the stream stays whole), parsed and checked; a document that is not a model schema
 * is an InvalidInputError naming the object.
 */
export async function readChampionSchema(store: ObjectStore, key: string, championRunId: string): Promise<ModelSchema> {
  return parseModelSchema(await readChampionDocument(store, key, 'schema', championRunId), `the champion's schema ${key} (run ${championRunId})`);
}

const modelSchemaSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  problemType: z.enum(['binary', 'multiclass', 'regression']),
  target: z.string(),
  classes: z.array(z.string()).optional(),
  features: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ name: z.string().min(1), kind: z.literal('numeric') }),
        z.object({ name: z.string().min(1), kind: z.literal('categorical'), categories: z.array(z.string()) }),
      ]),
    )
    .min(1),
});

/** Parses and validates schema.json; `source` names it in errors. */
export function parseModelSchema(text: string, source: string): ModelSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${source}: not JSON (${(error as Error).message})`, { cause: error, context: { source } });
  }
  const result = modelSchemaSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidInputError(`${source}: not a model schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { context: { source } });
  }
  return result.data as ModelSchema;
}
