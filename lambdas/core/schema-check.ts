/**
 * Which columns the model uses, and whether they still match what the champion was trained on.
 * Runs on the first header, before a single row is read, so that a schema change fails the run
 * at once with the feature that changed rather than producing a candidate nobody can compare.
 */
import { DataValidationError } from './errors';
import type { ModelSchema, ProblemType } from './types';

export type FeatureKind = 'numeric' | 'categorical';

export interface ResolvedFeature {
  readonly name: string;
  readonly kind: FeatureKind;
}

export interface FeatureResolution {
  /** Model input columns, in model order. */
  readonly features: ResolvedFeature[];
  /** Columns of the data that are neither target, id nor feature (present but unused). */
  readonly ignoredColumns: string[];
}

export interface FeatureSettings {
  readonly problemType: ProblemType;
  readonly target: string;
  readonly idColumn?: string;
  /** Feature columns in model order, when configured explicitly. */
  readonly features?: readonly string[];
  readonly categoricalFeatures: readonly string[];
}

/**
 * Resolves the features from the columns of the first data file (`where` names it, e.g.
 * "raw/a.csv line 1"): the configured list; else the champion's features in the champion's order
 * (other columns are ignored); else every column but the target and the id, in file order.
 * Throws DataValidationError when the result contradicts the champion schema.
 */
export function resolveFeatures(
  columns: readonly string[],
  settings: FeatureSettings,
  champion: ModelSchema | undefined,
  where: string,
): FeatureResolution {
  const categorical = new Set(settings.categoricalFeatures);
  const kindOf = (name: string): FeatureKind => (categorical.has(name) ? 'categorical' : 'numeric');
  const reserved = new Set([settings.target, ...(settings.idColumn ? [settings.idColumn] : [])]);

  let names: string[];
  if (settings.features) {
    names = [...settings.features];
    if (champion) checkConfiguredAgainstChampion(names, champion);
  } else if (champion) {
    const present = new Set(columns);
    for (const feature of champion.features) {
      if (!present.has(feature.name)) {
        throw new DataValidationError(`${where}: schema changed: feature "${feature.name}" is missing; the champion was trained on it`, {
          context: { where, feature: feature.name, columns: [...columns], champion: champion.runId },
        });
      }
    }
    names = champion.features.map((f) => f.name);
  } else {
    names = columns.filter((c) => !reserved.has(c));
  }

  if (names.length === 0) {
    throw new DataValidationError(`${where}: no feature columns besides the target "${settings.target}" (columns: ${columns.join(', ')})`, {
      context: { where, columns: [...columns] },
    });
  }
  const unknownCategorical = settings.categoricalFeatures.filter((name) => !names.includes(name));
  if (unknownCategorical.length > 0) {
    throw new DataValidationError(
      `${where}: categorical feature "${unknownCategorical[0]}" is not a feature (features: ${names.join(', ')})`,
      { context: { where, feature: unknownCategorical[0], features: names } },
    );
  }

  const features = names.map((name) => ({ name, kind: kindOf(name) }));
  if (champion) checkChampionSchema(champion, { problemType: settings.problemType, target: settings.target, features });
  const used = new Set([...reserved, ...names]);
  return { features, ignoredColumns: columns.filter((c) => !used.has(c)) };
}

/**
 * Throws DataValidationError naming the first difference when data of this shape cannot be
 * compared with the champion: another problem type or target, a champion feature that is gone,
 * or one whose kind changed.
 */
export function checkChampionSchema(
  champion: ModelSchema,
  current: { readonly problemType: ProblemType; readonly target: string; readonly features: readonly ResolvedFeature[] },
): void {
  const context = { champion: champion.runId };
  if (champion.problemType !== current.problemType) {
    throw new DataValidationError(
      `schema changed: the champion is a ${champion.problemType} model, this run is configured as ${current.problemType}`,
      { context },
    );
  }
  if (champion.target !== current.target) {
    throw new DataValidationError(
      `schema changed: the champion predicts "${champion.target}", this run's target is "${current.target}"`,
      { context },
    );
  }
  const kinds = new Map(current.features.map((f) => [f.name, f.kind]));
  for (const feature of champion.features) {
    const kind = kinds.get(feature.name);
    if (kind === undefined) {
      throw new DataValidationError(`schema changed: feature "${feature.name}" is missing; the champion was trained on it`, {
        context: { ...context, feature: feature.name },
      });
    }
    if (kind !== feature.kind) {
      throw new DataValidationError(`schema changed: feature "${feature.name}" changed from ${feature.kind} to ${kind}`, {
        context: { ...context, feature: feature.name, was: feature.kind, now: kind },
      });
    }
  }
}

function checkConfiguredAgainstChampion(configured: readonly string[], champion: ModelSchema): void {
  const championNames = champion.features.map((f) => f.name);
  if (configured.length === championNames.length && configured.every((name, i) => name === championNames[i])) return;
  const missing = championNames.filter((name) => !configured.includes(name));
  const added = configured.filter((name) => !championNames.includes(name));
  const detail = [
    ...missing.map((name) => `"${name}" is missing`),
    ...added.map((name) => `"${name}" is new`),
    ...(missing.length === 0 && added.length === 0 ? ['the order differs'] : []),
  ].join(', ');
  throw new DataValidationError(
    `schema changed: dataset.features (${configured.join(', ')}) ` +
      `differ from the champion's features (${championNames.join(', ')}): ${detail}`,
    { context: { champion: champion.runId, configured: [...configured], championFeatures: championNames } },
  );
}

/**
 * Checks one file's columns: no duplicates, and the target, the id and every feature present.
 * `label` says where the column names come from ("header" or "dataset.columns").
 */
export function checkColumns(
  columns: readonly string[],
  required: { readonly target: string; readonly idColumn?: string; readonly features?: readonly string[] },
  where: string,
  label = 'header',
): void {
  const listed = `(columns: ${columns.join(', ')})`;
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '') {
      throw new DataValidationError(`${where}: ${label} has an empty column name ${listed}`, { context: { where } });
    }
    if (seen.has(column)) {
      throw new DataValidationError(`${where}: ${label} has column "${column}" twice ${listed}`, { context: { where, column } });
    }
    seen.add(column);
  }
  const fail = (what: string, column: string) => {
    throw new DataValidationError(`${where}: ${label} has no ${what} "${column}" ${listed}`, {
      context: { where, column, columns: [...columns] },
    });
  };
  if (!seen.has(required.target)) fail('target column', required.target);
  if (required.idColumn && !seen.has(required.idColumn)) fail('id column', required.idColumn);
  for (const feature of required.features ?? []) {
    if (!seen.has(feature)) fail('feature column', feature);
  }
}
