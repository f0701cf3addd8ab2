/**
 * A seeded generator of a realistic tabular binary-classification dataset (customer churn), for
 * local mode, the demo and tests. The same seed and options give the same bytes.
 *
 * Columns: `id`, five numeric features, two categorical features, `label` (1 = churned).
 *   age            N(42, 12²), whole years, at least 18
 *   income         log-normal, median 52,000, rounded to 100
 *   tenure_months  exponential, mean 30, whole months
 *   usage_hours    gamma(shape 2, scale 10) per month, one decimal
 *   support_calls  Poisson(1.5) in the period
 *   plan           basic 50 % | standard 35 % | premium 15 %
 *   region         north 30 % | south 25 % | east 25 % | west 20 %
 *
 * The label follows a logistic model of the features (short tenure, low usage, many support
 * calls and the basic plan raise churn; income and age lower it a little), then a share of labels
 * is flipped (label noise, default 5 %). A gradient-boosted model trained on 10,000 rows reaches
 * an AUC of about 0.84 on held-out rows (the churn rate is about 37 %).
 *
 * Shifts, to exercise drift and retraining:
 * - `shift.numeric`: add k·σ to a numeric feature (σ = the unshifted population σ listed in
 *   NUMERIC_SIGMA), so its mean moves by k σ (lower bounds still apply: age ≥ 18, counts ≥ 0);
 * - `shift.categories`: new category weights for plan or region;
 * - `shift.concept` in [0, 1]: blends the label model towards a different one (usage and plan act
 *   the other way round, tenure matters less, region matters), so a model trained before the
 *   shift scores worse after it. Covariate shifts keep the label model unchanged.
 */
import { Readable } from 'node:stream';
import { InvalidInputError } from '../lambdas/core/errors';
import { seededRandom } from '../lambdas/core/stats';
import type { ModelSchema } from '../lambdas/core/types';

export const NUMERIC_FEATURES = ['age', 'income', 'tenure_months', 'usage_hours', 'support_calls'] as const;
export const CATEGORICAL_FEATURES = ['plan', 'region'] as const;
export type NumericFeatureName = (typeof NUMERIC_FEATURES)[number];
export type CategoricalFeatureName = (typeof CATEGORICAL_FEATURES)[number];

/** Column order of the files: id, features, label. */
export const COLUMNS = ['id', ...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES, 'label'] as const;
export const FEATURES = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES] as const;

/** Population standard deviation of each unshifted numeric feature (the unit of `shift.numeric`). */
export const NUMERIC_SIGMA: Readonly<Record<NumericFeatureName, number>> = {
  age: 12,
  // log-normal with σ_log = 0.5: median·√(e^{σ²}(e^{σ²} − 1))
  income: 52_000 * Math.sqrt(Math.exp(0.25) * (Math.exp(0.25) - 1)),
  tenure_months: 30,
  usage_hours: Math.sqrt(2) * 10,
  support_calls: Math.sqrt(1.5),
};

export const CATEGORY_WEIGHTS: Readonly<Record<CategoricalFeatureName, Readonly<Record<string, number>>>> = {
  plan: { basic: 0.5, standard: 0.35, premium: 0.15 },
  region: { north: 0.3, south: 0.25, east: 0.25, west: 0.2 },
};

export interface Shift {
  /** Mean shift per numeric feature, in units of its σ (NUMERIC_SIGMA). */
  readonly numeric?: Partial<Record<NumericFeatureName, number>>;
  /** New category weights (need not sum to 1) per categorical feature. */
  readonly categories?: Partial<Record<CategoricalFeatureName, Readonly<Record<string, number>>>>;
  /** 0 = the original label model, 1 = the shifted one; in between blends the coefficients. */
  readonly concept?: number;
}

export interface GeneratorOptions {
  readonly seed: number;
  readonly shift?: Shift;
  /** Share of labels flipped after drawing them. @default 0.05 */
  readonly labelNoise?: number;
  /** Share of numeric values left empty (missing), per value. @default 0 */
  readonly missingRate?: number;
}

/** One generated row; a missing numeric value is undefined. */
export interface DataRow {
  readonly id: string;
  readonly age?: number;
  readonly income?: number;
  readonly tenure_months?: number;
  readonly usage_hours?: number;
  readonly support_calls?: number;
  readonly plan: string;
  readonly region: string;
  readonly label: 0 | 1;
}

/** A row sent to the endpoint: its features (no label) and the id the caller passes as InferenceId. */
export interface TrafficRow {
  readonly inferenceId: string;
  readonly row: Omit<DataRow, 'label'>;
  /** The label, kept aside for the ground truth file. */
  readonly label: 0 | 1;
}

export interface MalformedFile {
  readonly csv: string;
  /** 1-based line numbers (the header is line 1) of the rows that are malformed, and why. */
  readonly badLines: ReadonlyArray<{ readonly line: number; readonly reason: string }>;
  /** Rows that are well formed. */
  readonly goodRows: number;
}

interface LabelModel {
  readonly intercept: number;
  readonly age: number;
  readonly income: number;
  readonly tenure: number;
  readonly usage: number;
  readonly calls: number;
  readonly plan: Readonly<Record<string, number>>;
  readonly region: Readonly<Record<string, number>>;
}

const ORIGINAL: LabelModel = {
  intercept: -1.5,
  age: -0.35,
  income: -0.45,
  tenure: -1.7,
  usage: -1.4,
  calls: 1.2,
  plan: { basic: 0.9, standard: 0, premium: -1.1 },
  region: { north: 0, south: 0.15, east: 0, west: -0.15 },
};

const SHIFTED: LabelModel = {
  intercept: -1.5,
  age: 0.6,
  income: -0.45,
  tenure: -0.3,
  usage: 1.5,
  calls: 1.2,
  plan: { basic: -0.9, standard: 0, premium: 1.2 },
  region: { north: 1.3, south: -0.9, east: 0, west: -0.9 },
};

/**
 * A generator: every call continues the same seeded sequence, and ids continue from the last
 * one, so one generator yields a training file and then traffic without repeating rows.
 */
export class DataGenerator {
  private readonly random: () => number;
  private readonly labelNoise: number;
  private readonly missingRate: number;
  private readonly labelModel: LabelModel;
  private readonly categories: Record<CategoricalFeatureName, { values: string[]; cumulative: number[] }>;
  private nextId = 1;

  constructor(private readonly options: GeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.labelNoise = options.labelNoise ?? 0.05;
    this.missingRate = options.missingRate ?? 0;
    const concept = Math.min(Math.max(options.shift?.concept ?? 0, 0), 1);
    this.labelModel = blend(ORIGINAL, SHIFTED, concept);
    const table = (feature: CategoricalFeatureName) => {
      const entries = Object.entries(options.shift?.categories?.[feature] ?? CATEGORY_WEIGHTS[feature]);
      let total = 0;
      return { values: entries.map(([value]) => value), cumulative: entries.map(([, weight]) => (total += weight)) };
    };
    this.categories = { plan: table('plan'), region: table('region') };
  }

  /** The next row. */
  row(): DataRow {
    const shift = this.options.shift?.numeric ?? {};
    const moved = (name: NumericFeatureName, value: number) => value + (shift[name] ?? 0) * NUMERIC_SIGMA[name];
    const age = Math.max(18, Math.round(moved('age', 42 + 12 * this.normal())));
    const income = Math.max(0, Math.round(moved('income', 52_000 * Math.exp(0.5 * this.normal())) / 100) * 100);
    const tenure = Math.max(0, Math.floor(moved('tenure_months', -30 * Math.log(1 - this.random()))));
    const usage = Math.max(0, Math.round(moved('usage_hours', this.gamma2() * 10) * 10) / 10);
    const calls = Math.max(0, Math.round(moved('support_calls', this.poisson(1.5))));
    const plan = this.pick('plan');
    const region = this.pick('region');

    const m = this.labelModel;
    const logit =
      m.intercept +
      m.age * ((age - 42) / 12) +
      m.income * Math.log(Math.max(income, 1000) / 52_000) * 2 +
      m.tenure * ((Math.log1p(tenure) - 2.9) / 1.1) +
      m.usage * ((usage - 20) / 14) +
      m.calls * ((calls - 1.5) / 1.2) +
      (m.plan[plan] ?? 0) +
      (m.region[region] ?? 0);
    let label: 0 | 1 = this.random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    if (this.random() < this.labelNoise) label = label === 1 ? 0 : 1;

    const id = `c${String(this.nextId++).padStart(7, '0')}`;
    return {
      id,
      age: this.maybeMissing(age),
      income: this.maybeMissing(income),
      tenure_months: this.maybeMissing(tenure),
      usage_hours: this.maybeMissing(usage),
      support_calls: this.maybeMissing(calls),
      plan,
      region,
      label,
    };
  }

  rows(count: number): DataRow[] {
    return Array.from({ length: count }, () => this.row());
  }

  /** A training file: header `id,age,...,region,label`, one row per line, ending with a newline. */
  csv(count: number): string {
    const lines = [COLUMNS.join(',')];
    for (let i = 0; i < count; i++) lines.push(rowToCsv(this.row()));
    return `${lines.join('\n')}\n`;
  }

  /** The same file as a stream, produced as it is read (memory stays flat for large counts). */
  csvStream(count: number, chunkRows = 1000): Readable {
    let produced = 0;
    let headerSent = false;
    const stream: Readable = new Readable({
      read: () => {
        const lines: string[] = [];
        if (!headerSent) {
          lines.push(COLUMNS.join(','));
          headerSent = true;
        }
        while (produced < count && lines.length < chunkRows) {
          lines.push(rowToCsv(this.row()));
          produced++;
        }
        if (lines.length > 0) stream.push(`${lines.join('\n')}\n`);
        if (produced >= count) stream.push(null);
      },
    });
    return stream;
  }

  /** Rows to send to the endpoint, each with a deterministic inference id. */
  traffic(count: number): TrafficRow[] {
    return Array.from({ length: count }, () => {
      const { label, ...row } = this.row();
      return { inferenceId: this.uuid(), row, label };
    });
  }

  /**
   * A file for the demo of quarantine: `goodRows` valid rows and, spread among them, five
   * malformed ones (a non-numeric income, too few fields, too many fields, a label that is not
   * 0 or 1, a non-numeric age). `badLines` says where they are and why.
   */
  malformedCsv(goodRows: number): MalformedFile {
    const lines = [COLUMNS.join(',')];
    const badLines: Array<{ line: number; reason: string }> = [];
    const withField = (row: DataRow, column: (typeof COLUMNS)[number], value: string) => {
      const fields = rowToCsv(row).split(',');
      fields[COLUMNS.indexOf(column)] = value;
      return fields.join(',');
    };
    const defects: Array<{ reason: string; make: (row: DataRow) => string }> = [
      { reason: 'income is not a number', make: (r) => withField(r, 'income', 'n/a') },
      { reason: 'too few fields', make: (r) => rowToCsv(r).split(',').slice(0, 5).join(',') },
      { reason: 'too many fields', make: (r) => `${rowToCsv(r)},extra` },
      { reason: 'label is not 0 or 1', make: (r) => withField(r, 'label', 'yes') },
      { reason: 'age is not a number', make: (r) => withField(r, 'age', 'forty') },
    ];
    const every = Math.max(1, Math.floor(goodRows / defects.length));
    let defect = 0;
    for (let i = 0; i < goodRows; i++) {
      lines.push(rowToCsv(this.row()));
      if ((i + 1) % every === 0 && defect < defects.length) {
        const bad = this.row();
        const { reason, make } = defects[defect++];
        lines.push(make(bad));
        badLines.push({ line: lines.length, reason });
      }
    }
    return { csv: `${lines.join('\n')}\n`, badLines, goodRows };
  }

  private maybeMissing(value: number): number | undefined {
    return this.missingRate > 0 && this.random() < this.missingRate ? undefined : value;
  }

  private normal(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(2, 1): the sum of two unit exponentials. */
  private gamma2(): number {
    return -Math.log(1 - this.random()) - Math.log(1 - this.random());
  }

  private poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.random();
    while (p > limit) {
      k++;
      p *= this.random();
    }
    return k;
  }

  private pick(feature: CategoricalFeatureName): string {
    const { values, cumulative } = this.categories[feature];
    const r = this.random() * cumulative[cumulative.length - 1];
    for (let i = 0; i < values.length; i++) if (r < cumulative[i]) return values[i];
    return values[values.length - 1];
  }

  /** A version-4-shaped UUID from the seeded sequence. */
  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** One row as a CSV line in COLUMNS order (a missing value is an empty field). */
export function rowToCsv(row: DataRow): string {
  return [row.id, ...NUMERIC_FEATURES.map((name) => row[name] ?? ''), row.plan, row.region, row.label].join(',');
}

/** Ground truth for traffic, as the users of retrain upload it: JSON Lines `{"inferenceId","label"}`. */
export function groundTruthJsonl(traffic: readonly TrafficRow[]): string {
  return traffic.map((t) => JSON.stringify({ inferenceId: t.inferenceId, label: t.label })).join('\n') + (traffic.length > 0 ? '\n' : '');
}

/**
 * The model input for a row (the CSV body of an InvokeEndpoint request, no label), in the
 * order and encoding of the schema the model was trained with: numeric values as they are
 * (missing = empty field), categories as their index in the schema's list (-1 when missing or
 * not listed). Throws when the schema names a feature the generator does not produce.
 */
export function toModelInput(row: Omit<DataRow, 'label'>, schema: Pick<ModelSchema, 'features'>): string {
  return schema.features
    .map((feature) => {
      if (!(FEATURES as readonly string[]).includes(feature.name)) {
        throw new InvalidInputError(`schema feature "${feature.name}" is not produced by the data generator (features: ${FEATURES.join(', ')})`, {
          context: { feature: feature.name },
        });
      }
      const value = row[feature.name as keyof typeof row];
      if (feature.kind === 'categorical') return String(feature.categories.indexOf(String(value)));
      return value === undefined ? '' : String(value);
    })
    .join(',');
}

function blend(a: LabelModel, b: LabelModel, t: number): LabelModel {
  const mix = (x: number, y: number) => x * (1 - t) + y * t;
  const mixRecord = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>) =>
    Object.fromEntries([...new Set([...Object.keys(x), ...Object.keys(y)])].map((k) => [k, mix(x[k] ?? 0, y[k] ?? 0)]));
  return {
    intercept: mix(a.intercept, b.intercept),
    age: mix(a.age, b.age),
    income: mix(a.income, b.income),
    tenure: mix(a.tenure, b.tenure),
    usage: mix(a.usage, b.usage),
    calls: mix(a.calls, b.calls),
    plan: mixRecord(a.plan, b.plan),
    region: mixRecord(a.region, b.region),
  };
}
