/**
 * Documents and values shared by the Lambdas, the state machine and local mode. The JSON
 * documents written to the bucket (baseline.json, schema.json, evaluation.json, ...) have
 * their shape defined here and only here.
 */

export type TriggerType = 'manual' | 'schedule' | 'new-data' | 'degradation' | 'drift';
export const TRIGGER_TYPES: readonly TriggerType[] = ['manual', 'schedule', 'new-data', 'degradation', 'drift'];

/** Every trigger ends in exactly one of these (DESIGN.md section 1). */
export type TriggerOutcome = 'started' | 'queued' | 'covered' | 'cooldown' | 'duplicate';

/** The normalized trigger every state after Admit sees. */
export interface Trigger {
  readonly type: TriggerType;
  /** In words, for people: "3 new objects under raw/", "alarm retrain-drift in ALARM". */
  readonly reason: string;
  /** Source specifics: bucket/key/size, alarm name/reason/time, ... */
  readonly detail: Record<string, unknown>;
  /** Id of the source event (EventBridge id, or the execution name for console starts). */
  readonly eventId: string;
  /** When the source event happened (ISO 8601). */
  readonly time: string;
}

/** Options a person can give a run. */
export interface RunOptions {
  /** Train and evaluate, but neither register nor deploy. */
  readonly dryRun: boolean;
  /** Bypass the cooldown. */
  readonly force: boolean;
  /** Redeploy this approved model package instead of training (`retrain rollback`). */
  readonly rollbackTo?: string;
}

export type ProblemType = 'binary' | 'multiclass' | 'regression';

/** Metrics the evaluation gate can use: their direction and the problem types they apply to. */
export const METRICS = {
  auc: { direction: 'maximize', problems: ['binary'] },
  logloss: { direction: 'minimize', problems: ['binary', 'multiclass'] },
  accuracy: { direction: 'maximize', problems: ['binary', 'multiclass'] },
  precision: { direction: 'maximize', problems: ['binary'] },
  recall: { direction: 'maximize', problems: ['binary'] },
  f1: { direction: 'maximize', problems: ['binary'] },
  macro_f1: { direction: 'maximize', problems: ['multiclass'] },
  rmse: { direction: 'minimize', problems: ['regression'] },
  mae: { direction: 'minimize', problems: ['regression'] },
  r2: { direction: 'maximize', problems: ['regression'] },
} as const;
export type MetricName = keyof typeof METRICS;
export type Direction = 'maximize' | 'minimize';

/** The metrics that apply to a problem type. */
export function metricsFor(problem: ProblemType): MetricName[] {
  return (Object.keys(METRICS) as MetricName[]).filter((m) => (METRICS[m].problems as readonly string[]).includes(problem));
}

/** ----- baseline.json (DESIGN.md section 4) ----- */

export const BASELINE_SAMPLE_SIZE = 10_000;
export const BASELINE_TOP_CATEGORIES = 50;
export const OTHER_CATEGORY = '__OTHER__';
/** A numeric column with at most this many distinct values is treated as categorical. */
export const MAX_DISTINCT_FOR_CATEGORICAL = 5;

export interface NumericProfile {
  readonly name: string;
  readonly type: 'numeric';
  /** Non-missing values. */
  readonly count: number;
  readonly missing: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Uniform reservoir sample of up to BASELINE_SAMPLE_SIZE values, seeded, sorted ascending. */
  readonly sample: number[];
  /** Decile edges e1..e9 from the sample (linear interpolation) and the count in each of the 10 bins. */
  readonly deciles: { readonly edges: number[]; readonly counts: number[] };
}

export interface CategoricalProfile {
  readonly name: string;
  readonly type: 'categorical';
  readonly count: number;
  readonly missing: number;
  /** Distinct non-missing values seen. */
  readonly distinct: number;
  /** Counts of the top BASELINE_TOP_CATEGORIES values, the rest summed under OTHER_CATEGORY. */
  readonly counts: Record<string, number>;
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

export interface Baseline {
  readonly version: 1;
  /** Run whose training data this describes (or "offline" for `retrain drift`). */
  readonly runId: string;
  readonly createdAt: string;
  /** Rows profiled (the training split). */
  readonly rows: number;
  readonly seed: number;
  /** In model order. */
  readonly features: FeatureProfile[];
}

/** ----- schema.json: what the model was trained on and how inputs are encoded ----- */

export interface NumericFeature {
  readonly name: string;
  readonly kind: 'numeric';
}

export interface CategoricalFeature {
  readonly name: string;
  readonly kind: 'categorical';
  /** Code of a value = its index here. A value not listed (or missing) is encoded as -1. */
  readonly categories: string[];
}

export type FeatureSpec = NumericFeature | CategoricalFeature;

export interface ModelSchema {
  readonly version: 1;
  readonly runId: string;
  readonly problemType: ProblemType;
  readonly target: string;
  /** Multiclass: class label of each index. Binary: ["0", "1"]. Regression: absent. */
  readonly classes?: string[];
  /** Model input columns, in order (the training CSV is label first, then these). */
  readonly features: FeatureSpec[];
}

/** ----- the champion pointer (state table) ----- */

export interface Champion {
  readonly runId: string;
  readonly modelPackageArn: string;
  readonly modelName: string;
  readonly endpointConfigName: string;
  readonly metric: { readonly name: string; readonly value: number };
  /** s3:// URIs */
  readonly baselineUri: string;
  readonly schemaUri: string;
  readonly since: string;
}

/** ----- evaluation.json ----- */

export type Metrics = Record<string, number>;

export interface GateDecision {
  readonly passed: boolean;
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly candidate: number;
  /** Undefined on the first run (no champion). */
  readonly champion?: number;
  readonly minimum?: number;
  readonly minImprovement: number;
  /** In words: "auc 0.912 beats the champion's 0.887 by 0.025 (needed 0.005)". */
  readonly reason: string;
}

export interface Evaluation {
  readonly version: 1;
  readonly runId: string;
  readonly rows: number;
  readonly candidate: Metrics;
  readonly champion?: Metrics;
  readonly decision: GateDecision;
}
