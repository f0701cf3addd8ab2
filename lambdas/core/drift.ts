/**
 * Drift of a window of model inputs against the champion's baseline (DESIGN.md section 4).
 *
 * A CurrentWindow accumulates the window's values in bounded memory: per numeric feature a
 * seeded uniform reservoir of up to CURRENT_SAMPLE_SIZE values (the KS test and the Wasserstein
 * effect use it; beyond that many rows they are computed on a uniform sample, which keeps
 * them unbiased) and exact counts in the baseline's decile bins (PSI); per categorical feature
 * exact counts of the baseline's values, and of values the baseline never had.
 *
 * compareToBaseline then tests every feature, adjusts the p-values across the window's features
 * (Benjamini–Hochberg) and decides whether the dataset drifted.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors';
import { FrequentValues, byCountThenValue } from './profile';
import {
  MIN_STD,
  Reservoir,
  benjaminiHochberg,
  binIndex,
  chiSquareTest,
  deriveSeed,
  jensenShannonDistance,
  ksTest,
  lInfinity,
  proportions,
  psi,
  wasserstein1,
} from './stats';
import { OTHER_CATEGORY, type Baseline, type CategoricalProfile, type FeatureProfile, type NumericProfile } from './types';

/** Values per numeric feature the window keeps for the KS test and the Wasserstein effect. */
export const CURRENT_SAMPLE_SIZE = 50_000;
/** Seed of the window's reservoirs when none is given. */
export const DEFAULT_WINDOW_SEED = 4_242;
/** Unseen categories listed per feature in a report (the most frequent ones). */
export const MAX_UNSEEN_LISTED = 20;
/** A change of the missing rate by at least this much (absolute) is listed as an anomaly. */
export const MISSING_RATE_ANOMALY = 0.1;

export interface DriftSettings {
  /** Effect from which a feature counts as drifted (Wasserstein/std for numeric, JS distance for categorical). */
  readonly featureThreshold: number;
  /** Benjamini–Hochberg adjusted p-value below which a difference is significant. */
  readonly pValue: number;
  /** Share of drifted features from which the dataset drifted. */
  readonly driftedShare: number;
  /** Any of these drifting is dataset drift. */
  readonly criticalFeatures: readonly string[];
  /** Fewer current rows than this: INSUFFICIENT_DATA, never drift. */
  readonly minRows: number;
}

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  featureThreshold: 0.1,
  pValue: 0.05,
  driftedShare: 0.5,
  criticalFeatures: [],
  minRows: 100,
};

export type DriftStatus = 'OK' | 'DRIFT' | 'INSUFFICIENT_DATA' | 'NO_CHAMPION';

export interface FeatureDrift {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  /** ks: two-sample Kolmogorov–Smirnov (numeric); chi2: Pearson chi-square (categorical). */
  readonly method: 'ks' | 'chi2';
  /** Wasserstein-1 ÷ baseline std (numeric), Jensen–Shannon distance base 2 (categorical). */
  readonly effect: number;
  /** KS D, or χ². */
  readonly statistic: number;
  readonly pValue: number;
  /** Benjamini–Hochberg adjusted across the features of the window. */
  readonly adjustedPValue: number;
  /** Chi-square only. */
  readonly degreesOfFreedom?: number;
  /** PSI over the baseline's deciles (numeric) or values (categorical). */
  readonly psi: number;
  /** Largest absolute frequency difference (categorical only). */
  readonly linf?: number;
  readonly missingRate: { readonly baseline: number; readonly current: number };
  /** Non-missing values compared on each side. */
  readonly values: { readonly baseline: number; readonly current: number };
  /** Values the baseline never had (categorical features whose baseline counts are complete), most frequent first. */
  readonly unseenCategories: ReadonlyArray<{ readonly value: string; readonly count: number }>;
  /** Current rows whose value was unseen (all of them, also beyond the ones listed). */
  readonly unseenRows: number;
  /** Current values of a numeric feature that are not numbers (left out of the tests). */
  readonly invalidValues: number;
  readonly drifted: boolean;
}

/** The document written to monitoring/drift/<windowEnd>.json (and printed by `retrain drift --json`, abridged). */
export interface DriftReport {
  readonly version: 1;
  readonly status: DriftStatus;
  /** Dataset drift: the drifted share reached the setting, or a critical feature drifted. */
  readonly drifted: boolean;
  readonly driftedShare: number;
  readonly driftedFeatures: string[];
  readonly rows: { readonly baseline: number; readonly current: number };
  /** ISO 8601; null for offline comparisons. */
  readonly window: { readonly start: string | null; readonly end: string | null };
  readonly championRunId: string | null;
  readonly settings: DriftSettings;
  readonly features: FeatureDrift[];
  /** Schema anomalies in words: unseen categories, values that are not numbers, missing-rate jumps. */
  readonly anomalies: string[];
  /** What reading the capture found (monitor reports only). */
  readonly capture?: Readonly<Record<string, unknown>>;
}

export type WindowValue = number | string | undefined;

/** The current window's values of every baseline feature, in bounded memory. */
export class CurrentWindow {
  readonly start: string | null;
  readonly end: string | null;
  private readonly accumulators: Array<NumericWindow | CategoricalWindow>;
  private count = 0;

  constructor(
    readonly baseline: Baseline,
    options: { start?: string | null; end?: string | null; seed?: number; sampleSize?: number } = {},
  ) {
    this.start = options.start ?? null;
    this.end = options.end ?? null;
    const seed = options.seed ?? DEFAULT_WINDOW_SEED;
    const sampleSize = options.sampleSize ?? CURRENT_SAMPLE_SIZE;
    this.accumulators = baseline.features.map((f, i) =>
      f.type === 'numeric' ? new NumericWindow(f, new Reservoir(sampleSize, deriveSeed(seed, i))) : new CategoricalWindow(f),
    );
  }

  /** Rows added. */
  get rows(): number {
    return this.count;
  }

  /**
   * One row's values in the baseline's feature order: numbers or numeric text for numeric
   * features, text (or numbers, for numeric features the baseline treats as categories) for
   * categorical ones; undefined or "" = missing.
   */
  add(values: ReadonlyArray<WindowValue>): void {
    if (values.length !== this.accumulators.length) {
      throw new InvalidInputError(`window row ${this.count + 1} has ${values.length} values, expected ${this.accumulators.length}`);
    }
    this.count += 1;
    for (let i = 0; i < values.length; i++) this.accumulators[i].add(values[i]);
  }

  /** @internal the accumulator of feature i, for compareToBaseline. */
  feature(i: number): NumericWindow | CategoricalWindow {
    return this.accumulators[i];
  }
}

class NumericWindow {
  readonly type = 'numeric';
  missing = 0;
  invalid = 0;
  readonly bins: number[];

  constructor(
    readonly profile: NumericProfile,
    readonly reservoir: Reservoir,
  ) {
    this.bins = new Array<number>(profile.deciles.edges.length + 1).fill(0);
  }

  add(raw: WindowValue): void {
    if (raw === undefined || (typeof raw === 'number' ? Number.isNaN(raw) : raw.trim() === '')) {
      this.missing += 1;
      return;
    }
    const value = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(value)) {
      this.invalid += 1;
      return;
    }
    this.reservoir.add(value);
    this.bins[binIndex(this.profile.deciles.edges, value)] += 1;
  }
}

class CategoricalWindow {
  readonly type = 'categorical';
  missing = 0;
  readonly counts = new Map<string, number>();
  readonly unseen = new FrequentValues(2_000, 1_000);
  private readonly hasOther: boolean;

  constructor(readonly profile: CategoricalProfile) {
    for (const value of Object.keys(profile.counts)) this.counts.set(value, 0);
    this.hasOther = OTHER_CATEGORY in profile.counts;
  }

  add(raw: WindowValue): void {
    if (raw === undefined || raw === '' || (typeof raw === 'number' && Number.isNaN(raw))) {
      this.missing += 1;
      return;
    }
    const text = typeof raw === 'number' ? String(raw) : raw;
    const key = this.known(text) ?? (typeof raw === 'string' ? this.known(canonicalNumber(text)) : undefined);
    if (key !== undefined) {
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    } else if (this.hasOther) {
      // Outside the baseline's top values: it may or may not have been seen, so it is not an anomaly.
      this.counts.set(OTHER_CATEGORY, (this.counts.get(OTHER_CATEGORY) ?? 0) + 1);
    } else {
      this.unseen.add(text);
    }
  }

  private known(value: string | undefined): string | undefined {
    return value !== undefined && value !== OTHER_CATEGORY && this.counts.has(value) ? value : undefined;
  }
}

/** "1.0" → "1", so values of numeric features profiled as categories match the baseline's String(number) keys. */
function canonicalNumber(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? String(n) : undefined;
}

interface TestedFeature extends Omit<FeatureDrift, 'adjustedPValue' | 'drifted'> {
  readonly anomalies: string[];
}

/** Compares a window to the baseline it was built for (DESIGN.md section 4). */
export function compareToBaseline(baseline: Baseline, current: CurrentWindow, settings: DriftSettings): DriftReport {
  if (current.baseline !== baseline) {
    const same =
      current.baseline.features.length === baseline.features.length &&
      current.baseline.features.every((f, i) => f.name === baseline.features[i].name && f.type === baseline.features[i].type);
    if (!same) throw new InvalidInputError('the current window was built for another baseline (features differ)');
  }
  const tested = baseline.features.map((profile, i) => testFeature(profile, current.feature(i), current.rows));
  const adjusted = benjaminiHochberg(tested.map((f) => f.pValue));
  const insufficient = current.rows < settings.minRows;
  const features: FeatureDrift[] = tested.map(({ anomalies: _anomalies, ...f }, i) => ({
    ...f,
    adjustedPValue: adjusted[i],
    drifted: !insufficient && f.effect >= settings.featureThreshold && adjusted[i] < settings.pValue,
  }));
  const driftedFeatures = features.filter((f) => f.drifted).map((f) => f.name);
  const driftedShare = features.length > 0 ? driftedFeatures.length / features.length : 0;
  const critical = driftedFeatures.some((name) => settings.criticalFeatures.includes(name));
  const drifted = !insufficient && (driftedShare >= settings.driftedShare || critical);
  return {
    version: 1,
    status: insufficient ? 'INSUFFICIENT_DATA' : drifted ? 'DRIFT' : 'OK',
    drifted,
    driftedShare,
    driftedFeatures,
    rows: { baseline: baseline.rows, current: current.rows },
    window: { start: current.start, end: current.end },
    championRunId: baseline.runId,
    settings: { ...settings, criticalFeatures: [...settings.criticalFeatures] },
    features,
    anomalies: tested.flatMap((f) => f.anomalies),
  };
}

function testFeature(profile: FeatureProfile, window: NumericWindow | CategoricalWindow, rows: number): TestedFeature {
  const baselineTotal = profile.count + profile.missing;
  const missingRate = { baseline: baselineTotal > 0 ? profile.missing / baselineTotal : 0, current: rows > 0 ? window.missing / rows : 0 };
  const anomalies: string[] = [];
  if (rows > 0 && Math.abs(missingRate.current - missingRate.baseline) >= MISSING_RATE_ANOMALY) {
    anomalies.push(
      `feature "${profile.name}": missing rate ${percent(missingRate.current)} in the window, ${percent(missingRate.baseline)} in the baseline`,
    );
  }
  return window.type === 'numeric'
    ? testNumeric(profile as NumericProfile, window, missingRate, anomalies)
    : testCategorical(profile as CategoricalProfile, window, missingRate, anomalies);
}

function testNumeric(
  profile: NumericProfile,
  window: NumericWindow,
  missingRate: FeatureDrift['missingRate'],
  anomalies: string[],
): TestedFeature {
  const sample = profile.sample;
  const current = window.reservoir.sorted();
  if (window.invalid > 0) anomalies.push(`feature "${profile.name}": ${window.invalid} values are not numbers`);
  const base = {
    name: profile.name,
    type: 'numeric' as const,
    method: 'ks' as const,
    missingRate,
    values: { baseline: profile.count, current: window.reservoir.count },
    unseenCategories: [],
    unseenRows: 0,
    invalidValues: window.invalid,
    anomalies,
  };
  if (sample.length === 0 || current.length === 0) return { ...base, effect: 0, statistic: 0, pValue: 1, psi: 0 };
  const ks = ksTest(sample, current);
  return {
    ...base,
    effect: wasserstein1(sample, current) / Math.max(profile.std, MIN_STD),
    statistic: ks.statistic,
    pValue: ks.pValue,
    psi: psi(proportions(profile.deciles.counts), proportions(window.bins)),
  };
}

function testCategorical(
  profile: CategoricalProfile,
  window: CategoricalWindow,
  missingRate: FeatureDrift['missingRate'],
  anomalies: string[],
): TestedFeature {
  const categories = Object.keys(profile.counts);
  const baselineCounts = categories.map((c) => profile.counts[c]);
  const currentCounts = categories.map((c) => window.counts.get(c) ?? 0);
  const unseenRows = window.unseen.total;
  if (unseenRows > 0) {
    baselineCounts.push(0);
    currentCounts.push(unseenRows);
  }
  const unseenCategories = [...window.unseen.entries()]
    .sort(byCountThenValue)
    .slice(0, MAX_UNSEEN_LISTED)
    .map(([value, count]) => ({ value, count }));
  if (unseenRows > 0) {
    const distinct = window.unseen.distinct();
    const examples = unseenCategories.slice(0, 3).map((u) => JSON.stringify(u.value));
    anomalies.push(
      `feature "${profile.name}": ${distinct} value${distinct === 1 ? '' : 's'} never seen in the baseline, in ${unseenRows} rows (e.g. ${examples.join(', ')})`,
    );
  }
  const base = {
    name: profile.name,
    type: 'categorical' as const,
    method: 'chi2' as const,
    missingRate,
    values: { baseline: sum(baselineCounts), current: sum(currentCounts) },
    unseenCategories,
    unseenRows,
    invalidValues: 0,
    anomalies,
  };
  if (sum(baselineCounts) === 0 || sum(currentCounts) === 0) {
    return { ...base, effect: 0, statistic: 0, pValue: 1, degreesOfFreedom: 0, psi: 0, linf: 0 };
  }
  const chi2 = chiSquareTest(baselineCounts, currentCounts);
  return {
    ...base,
    effect: jensenShannonDistance(baselineCounts, currentCounts),
    statistic: chi2.statistic,
    pValue: chi2.pValue,
    degreesOfFreedom: chi2.degreesOfFreedom,
    psi: psi(proportions(baselineCounts), proportions(currentCounts)),
    linf: lInfinity(baselineCounts, currentCounts),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

const finite = z.number().refine(Number.isFinite, { message: 'expected a finite number' });
const numericProfileSchema = z.object({
  name: z.string().min(1),
  type: z.literal('numeric'),
  count: z.number().int().min(0),
  missing: z.number().int().min(0),
  mean: finite,
  std: finite.refine((v) => v >= 0, { message: 'expected a non-negative std' }),
  min: finite,
  max: finite,
  sample: z.array(finite),
  deciles: z.object({ edges: z.array(finite).length(9), counts: z.array(z.number().int().min(0)).length(10) }),
});
const categoricalProfileSchema = z.object({
  name: z.string().min(1),
  type: z.literal('categorical'),
  count: z.number().int().min(0),
  missing: z.number().int().min(0),
  distinct: z.number().int().min(0),
  counts: z.record(z.string(), z.number().int().min(0)),
});
const baselineSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  createdAt: z.string(),
  rows: z.number().int().min(0),
  seed: z.number(),
  features: z.array(z.discriminatedUnion('type', [numericProfileSchema, categoricalProfileSchema])).min(1),
});

/** Parses and validates baseline.json; `source` names it in errors. */
export function parseBaseline(text: string, source: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${source}: not JSON (${(error as Error).message})`, { cause: error, context: { source } });
  }
  const result = baselineSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidInputError(`${source}: not a baseline: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { context: { source } });
  }
  const baseline = result.data as Baseline;
  for (const f of baseline.features) {
    if (f.type === 'numeric' && !isAscending(f.sample)) {
      throw new InvalidInputError(`${source}: not a baseline: the sample of feature "${f.name}" is not sorted`, { context: { source } });
    }
  }
  return baseline;
}

function isAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] < values[i - 1]) return false;
  return true;
}
