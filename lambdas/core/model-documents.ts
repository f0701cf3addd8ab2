/**
 * What a model package needs for as long as it may serve: the model artifact (training writes
 * it under `models/<runId>/`), and the schema, baseline and evaluation it was registered with.
 * `runs/<runId>/` expires after `retention.runsDays`; `models/` never expires, so a champion —
 * and any approved package a rollback may redeploy — keeps everything it references.
 */
import type { ObjectStore } from '../adapters/ports';
import { NotFoundError, RetrainError } from './errors';
import { readText } from './lines';

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
