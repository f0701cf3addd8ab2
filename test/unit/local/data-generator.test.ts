import { text } from 'node:stream/consumers';
import { computeMetrics } from '../../../lambdas/core/metrics';
import type { ModelSchema } from '../../../lambdas/core/types';
import {
  CATEGORY_WEIGHTS,
  COLUMNS,
  DataGenerator,
  NUMERIC_SIGMA,
  groundTruthJsonl,
  toModelInput,
  type DataRow,
  type NumericFeatureName,
} from '../../../local/data-generator';
import { DEFAULT_PARAMS, matrixFromRows, predictGbdt, trainGbdt } from '../../../local/sagemaker/gbdt';

const PLANS = ['basic', 'standard', 'premium'];
const REGIONS = ['north', 'south', 'east', 'west'];
const encode = (r: DataRow) => [r.age ?? NaN, r.income ?? NaN, r.tenure_months ?? NaN, r.usage_hours ?? NaN, r.support_calls ?? NaN, PLANS.indexOf(r.plan), REGIONS.indexOf(r.region)];
const mean = (rows: DataRow[], name: NumericFeatureName) => rows.reduce((sum, r) => sum + (r[name] as number), 0) / rows.length;
const share = (rows: DataRow[], predicate: (r: DataRow) => boolean) => rows.filter(predicate).length / rows.length;

describe('local: data generator', () => {
  it('gives the same file for the same seed and another one for another seed', () => {
    expect(new DataGenerator({ seed: 1 }).csv(200)).toBe(new DataGenerator({ seed: 1 }).csv(200));
    expect(new DataGenerator({ seed: 1 }).csv(200)).not.toBe(new DataGenerator({ seed: 2 }).csv(200));
  });

  it('writes a header with id and label and one row per line, ids continuing across calls', () => {
    const generator = new DataGenerator({ seed: 3 });
    const lines = generator.csv(3).trimEnd().split('\n');
    expect(lines[0]).toBe('id,age,income,tenure_months,usage_hours,support_calls,plan,region,label');
    expect(lines).toHaveLength(4);
    lines.slice(1).forEach((line) => expect(line.split(',')).toHaveLength(COLUMNS.length));
    expect(lines[1]).toMatch(/^c0000001,\d+,\d+,\d+,[\d.]+,\d+,(basic|standard|premium),(north|south|east|west),[01]$/);
    expect(generator.row().id).toBe('c0000004');
  });

  it('streams the same bytes as the text version', async () => {
    expect(await text(new DataGenerator({ seed: 4 }).csvStream(2500, 1000))).toBe(new DataGenerator({ seed: 4 }).csv(2500));
  });

  it('draws plausible values: adult ages, positive incomes, the category mix, a churn rate between 15 % and 45 %', () => {
    const rows = new DataGenerator({ seed: 5 }).rows(10_000);
    expect(Math.min(...rows.map((r) => r.age as number))).toBeGreaterThanOrEqual(18);
    expect(mean(rows, 'age')).toBeCloseTo(42, 0);
    expect(Math.min(...rows.map((r) => r.income as number))).toBeGreaterThan(0);
    expect(share(rows, (r) => r.plan === 'premium')).toBeCloseTo(CATEGORY_WEIGHTS.plan.premium, 1);
    const churn = share(rows, (r) => r.label === 1);
    expect(churn).toBeGreaterThan(0.15);
    expect(churn).toBeLessThan(0.45);
  });

  it.each([
    ['age', 1],
    ['income', 0.5],
    ['usage_hours', 2],
    ['tenure_months', 1.5],
  ] as const)('moves the mean of %s by the requested %p σ', (feature, sigmas) => {
    const before = new DataGenerator({ seed: 6 }).rows(5000);
    const after = new DataGenerator({ seed: 6, shift: { numeric: { [feature]: sigmas } } }).rows(5000);
    const moved = (mean(after, feature) - mean(before, feature)) / NUMERIC_SIGMA[feature];
    expect(Math.abs(moved - sigmas)).toBeLessThan(0.1);
  });

  it('changes the category mix as asked', () => {
    const rows = new DataGenerator({ seed: 7, shift: { categories: { plan: { basic: 0.2, standard: 0.3, premium: 0.5 } } } }).rows(10_000);
    expect(share(rows, (r) => r.plan === 'premium')).toBeCloseTo(0.5, 1);
  });

  it('makes a model trained before a concept shift score clearly worse after it', () => {
    const train = new DataGenerator({ seed: 8 }).rows(3000);
    const { model } = trainGbdt(
      { train: { x: matrixFromRows(train.map(encode), 7), y: Float64Array.from(train.map((r) => r.label)) } },
      { ...DEFAULT_PARAMS, objective: 'binary:logistic', numClass: 1, numRound: 40, maxDepth: 4, eta: 0.2 },
    );
    const auc = (rows: DataRow[]) =>
      computeMetrics({ kind: 'binary', labels: Float64Array.from(rows.map((r) => r.label)), scores: predictGbdt(model, matrixFromRows(rows.map(encode), 7)) }).auc;
    const unshifted = auc(new DataGenerator({ seed: 9 }).rows(3000));
    const shifted = auc(new DataGenerator({ seed: 9, shift: { concept: 1 } }).rows(3000));
    expect(unshifted).toBeGreaterThan(0.75);
    expect(shifted).toBeLessThan(unshifted - 0.15);
  });

  it('produces traffic with deterministic, unique inference ids and the matching ground truth', () => {
    const traffic = new DataGenerator({ seed: 10 }).traffic(100);
    expect(new DataGenerator({ seed: 10 }).traffic(100)).toEqual(traffic);
    expect(new Set(traffic.map((t) => t.inferenceId)).size).toBe(100);
    expect(traffic[0].inferenceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(traffic[0].row).not.toHaveProperty('label');
    const lines = groundTruthJsonl(traffic).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(100);
    expect(lines[0]).toEqual({ inferenceId: traffic[0].inferenceId, label: traffic[0].label });
  });

  it('encodes a row as the model input of a schema (categories as their index, -1 when not listed)', () => {
    const schema: Pick<ModelSchema, 'features'> = {
      features: [
        { name: 'age', kind: 'numeric' },
        { name: 'plan', kind: 'categorical', categories: ['basic', 'premium'] },
      ],
    };
    const row = { id: 'c1', age: 30, income: 1, tenure_months: 1, usage_hours: 1, support_calls: 0, plan: 'standard', region: 'north' };
    expect(toModelInput(row, schema)).toBe('30,-1');
    expect(toModelInput({ ...row, plan: 'premium', age: undefined }, schema)).toBe(',1');
    expect(() => toModelInput(row, { features: [{ name: 'height', kind: 'numeric' }] })).toThrow(/"height" is not produced by the data generator/);
  });

  it('leaves numeric values empty at the missing rate', () => {
    const csv = new DataGenerator({ seed: 11, missingRate: 0.2 }).csv(500);
    const empty = csv.split('\n').slice(1, -1).flatMap((line) => line.split(',').slice(1, 6)).filter((v) => v === '').length;
    expect(empty / (500 * 5)).toBeCloseTo(0.2, 1);
  });

  it('writes a malformed file whose bad lines are where it says, for the demo', () => {
    const file = new DataGenerator({ seed: 12 }).malformedCsv(100);
    const lines = file.csv.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 100 + 5);
    expect(file.badLines.map((b) => b.reason)).toEqual(['income is not a number', 'too few fields', 'too many fields', 'label is not 0 or 1', 'age is not a number']);
    const isGood = (line: string) => {
      const fields = line.split(',');
      return fields.length === COLUMNS.length && fields.slice(1, 6).every((v) => v === '' || Number.isFinite(Number(v))) && /^[01]$/.test(fields[8]);
    };
    const bad = lines.map((line, i) => ({ line: i + 1, good: i === 0 || isGood(line) })).filter((l) => !l.good).map((l) => l.line);
    expect(bad).toEqual(file.badLines.map((b) => b.line));
  });
});
