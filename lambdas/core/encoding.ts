/**
 * Encoding of categorical features and labels as the model sees them. Codes are stable across
 * runs: they start from the champion's lists (same value, same code) and values seen for the
 * first time are appended in order of first appearance, so the same data always gives the same
 * schema.
 */
import { InvalidInputError } from './errors';
import type { FeatureSpec, ModelSchema, ProblemType } from './types';

/** Code written for a missing categorical value (and, at inference, for a value not listed). */
export const MISSING_CATEGORY_CODE = -1;

/** Value -> integer code, growing as new values appear. */
export class CategoryEncoder {
  private readonly codes = new Map<string, number>();
  private readonly values: string[] = [];

  constructor(initial: readonly string[] = []) {
    for (const value of initial) {
      if (this.codes.has(value)) {
        throw new InvalidInputError(`category list has "${value}" twice`, { context: { value } });
      }
      this.add(value);
    }
  }

  /** The code of a value, adding it when it is new. */
  encode(value: string): number {
    return this.codes.get(value) ?? this.add(value);
  }

  /** Every value, code = index. */
  get categories(): string[] {
    return [...this.values];
  }

  get size(): number {
    return this.values.length;
  }

  private add(value: string): number {
    const code = this.values.length;
    this.codes.set(value, code);
    this.values.push(value);
    return code;
  }
}

/** Anything that gives a category value its code. */
export interface CategoryCodes {
  encode(value: string): number;
}

/**
 * The code of one categorical value (trimmed) in the model's input: MISSING_CATEGORY_CODE when
 * it is missing (empty). Training (the ETL) and serving (`retrain local invoke`) both encode
 * through here, so a missing value means the same to the model in both.
 */
export function categoryCode(text: string, codes: CategoryCodes): number {
  return text === '' ? MISSING_CATEGORY_CODE : codes.encode(text);
}

/** A trained model's categories at inference: fixed codes; a value it never saw is MISSING_CATEGORY_CODE. */
export class ServingCategories implements CategoryCodes {
  private readonly codes: ReadonlyMap<string, number>;

  constructor(categories: readonly string[]) {
    this.codes = new Map(categories.map((value, code) => [value, code]));
  }

  encode(value: string): number {
    return this.codes.get(value) ?? MISSING_CATEGORY_CODE;
  }
}

/**
 * One row of raw feature values, in model order, as the model input the ETL writes for training
 * (without the label): numbers as written, an empty number left empty (XGBoost's missing value),
 * categories as their codes. Throws InvalidInputError for a value that is not a number where the
 * schema has a numeric feature.
 */
export function encodeModelInput(schema: Pick<ModelSchema, 'features'>, fields: readonly string[]): string {
  return schema.features
    .map((feature, i) => {
      const text = (fields[i] ?? '').trim();
      if (feature.kind === 'categorical') return String(categoryCode(text, new ServingCategories(feature.categories)));
      if (text !== '' && parseDecimal(text) === undefined) {
        throw new InvalidInputError(`feature "${feature.name}" is not a finite number: ${JSON.stringify(fields[i])}`, { context: { feature: feature.name } });
      }
      return text;
    })
    .join(',');
}

/** A label checked for the problem type, and what the training CSV gets for it. */
export type LabelResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks and encodes the target of one row: binary 0/1 (also written 0.0 / 1.0), multiclass any
 * non-empty text (encoded as its class index), regression any finite number.
 */
export interface LabelEncoder {
  encode(raw: string): LabelResult;
  /** Multiclass: class of each index; binary: ["0", "1"]; regression: undefined. */
  classes(): string[] | undefined;
  /** Distinct labels seen in encoded rows (for regression: 0, 1 or 2 = "more than one"). */
  distinctSeen(): number;
}

/**
 * The number written in `text` (surrounding spaces allowed), or undefined when it is not a
 * finite decimal number. Number() alone would also accept "0x1f", "0b1" and "0o7".
 */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return undefined;
  if (trimmed.length > 2 && trimmed.charCodeAt(0) === 48 /* 0 */ && RADIX_PREFIX.has(trimmed[1])) return undefined;
  return value;
}

const RADIX_PREFIX = new Set(['x', 'X', 'b', 'B', 'o', 'O']);

export function createLabelEncoder(problemType: ProblemType, target: string, championClasses?: readonly string[]): LabelEncoder {
  switch (problemType) {
    case 'binary':
      return binaryLabels(target);
    case 'multiclass':
      return multiclassLabels(target, championClasses ?? []);
    case 'regression':
      return regressionLabels(target);
  }
}

function binaryLabels(target: string): LabelEncoder {
  const seen = new Set<string>();
  return {
    encode(raw) {
      const text = raw.trim();
      if (text === '') return { ok: false, reason: `target "${target}" is missing` };
      const value = parseDecimal(text);
      if (value !== 0 && value !== 1) return { ok: false, reason: `target "${target}" must be 0 or 1, got ${JSON.stringify(raw)}` };
      const label = value === 0 ? '0' : '1';
      seen.add(label);
      return { ok: true, value: label };
    },
    classes: () => ['0', '1'],
    distinctSeen: () => seen.size,
  };
}

function multiclassLabels(target: string, championClasses: readonly string[]): LabelEncoder {
  const encoder = new CategoryEncoder(championClasses);
  const seen = new Set<number>();
  return {
    encode(raw) {
      const text = raw.trim();
      if (text === '') return { ok: false, reason: `target "${target}" is missing` };
      const code = encoder.encode(text);
      seen.add(code);
      return { ok: true, value: String(code) };
    },
    classes: () => encoder.categories,
    distinctSeen: () => seen.size,
  };
}

function regressionLabels(target: string): LabelEncoder {
  let first: number | undefined;
  let distinct = 0;
  return {
    encode(raw) {
      if (raw.trim() === '') return { ok: false, reason: `target "${target}" is missing` };
      const value = parseDecimal(raw);
      if (value === undefined) return { ok: false, reason: `target "${target}" is not a finite number: ${JSON.stringify(raw)}` };
      if (distinct === 0) {
        first = value;
        distinct = 1;
      } else if (distinct === 1 && value !== first) {
        distinct = 2;
      }
      return { ok: true, value: String(value) };
    },
    classes: () => undefined,
    distinctSeen: () => distinct,
  };
}

/** A feature as the ETL resolved it: its kind and, when categorical, its encoder. */
export type EncodedFeature =
  | { readonly name: string; readonly kind: 'numeric' }
  | { readonly name: string; readonly kind: 'categorical'; readonly encoder: CategoryEncoder };

/** schema.json for the features and labels as encoded. */
export function buildModelSchema(args: {
  runId: string;
  problemType: ProblemType;
  target: string;
  features: readonly EncodedFeature[];
  labels: LabelEncoder;
}): ModelSchema {
  const features: FeatureSpec[] = args.features.map((f) =>
    f.kind === 'numeric' ? { name: f.name, kind: 'numeric' } : { name: f.name, kind: 'categorical', categories: f.encoder.categories },
  );
  const classes = args.labels.classes();
  return {
    version: 1,
    runId: args.runId,
    problemType: args.problemType,
    target: args.target,
    ...(classes === undefined ? {} : { classes }),
    features,
  };
}
