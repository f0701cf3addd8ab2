import { DataValidationError } from '../../../lambdas/core/errors';
import { checkChampionSchema, checkColumns, resolveFeatures, type FeatureSettings } from '../../../lambdas/core/schema-check';
import type { ModelSchema } from '../../../lambdas/core/types';

const WHERE = 'raw/a.csv line 1';

function settings(overrides: Partial<FeatureSettings> = {}): FeatureSettings {
  return { problemType: 'binary', target: 'label', categoricalFeatures: [], ...overrides };
}

function champion(overrides: Partial<ModelSchema> = {}): ModelSchema {
  return {
    version: 1,
    runId: 'champ',
    problemType: 'binary',
    target: 'label',
    classes: ['0', '1'],
    features: [
      { name: 'age', kind: 'numeric' },
      { name: 'city', kind: 'categorical', categories: ['paris', 'lyon'] },
    ],
    ...overrides,
  };
}

describe('schema-check: features without a champion', () => {
  it('uses every column but the target and the id, in file order', () => {
    const resolved = resolveFeatures(['id', 'b', 'label', 'a'], settings({ idColumn: 'id', categoricalFeatures: ['a'] }), undefined, WHERE);

    expect(resolved).toEqual({
      features: [
        { name: 'b', kind: 'numeric' },
        { name: 'a', kind: 'categorical' },
      ],
      ignoredColumns: [],
    });
  });

  it('uses the configured features in their order and ignores the other columns', () => {
    const resolved = resolveFeatures(['a', 'b', 'c', 'label'], settings({ features: ['c', 'a'] }), undefined, WHERE);

    expect(resolved.features.map((f) => f.name)).toEqual(['c', 'a']);
    expect(resolved.ignoredColumns).toEqual(['b']);
  });

  it('fails when only the target is left', () => {
    expect(() => resolveFeatures(['label'], settings(), undefined, WHERE)).toThrow(
      'raw/a.csv line 1: no feature columns besides the target "label" (columns: label)',
    );
  });

  it('fails when a categorical feature is not a feature', () => {
    expect(() => resolveFeatures(['a', 'label'], settings({ categoricalFeatures: ['zip'] }), undefined, WHERE)).toThrow(
      'raw/a.csv line 1: categorical feature "zip" is not a feature (features: a)',
    );
  });
});

describe('schema-check: features against the champion', () => {
  it("uses the champion's feature order and reports extra columns as ignored", () => {
    const resolved = resolveFeatures(['city', 'income', 'label', 'age'], settings({ categoricalFeatures: ['city'] }), champion(), WHERE);

    expect(resolved.features).toEqual([
      { name: 'age', kind: 'numeric' },
      { name: 'city', kind: 'categorical' },
    ]);
    expect(resolved.ignoredColumns).toEqual(['income']);
  });

  it('fails naming the feature the champion was trained on that is missing', () => {
    const attempt = () => resolveFeatures(['city', 'label'], settings({ categoricalFeatures: ['city'] }), champion(), WHERE);

    expect(attempt).toThrow(DataValidationError);
    expect(attempt).toThrow('raw/a.csv line 1: schema changed: feature "age" is missing; the champion was trained on it');
  });

  it('fails naming a feature whose kind changed', () => {
    const attempt = () => resolveFeatures(['age', 'city', 'label'], settings({ categoricalFeatures: ['age', 'city'] }), champion(), WHERE);

    expect(attempt).toThrow('schema changed: feature "age" changed from numeric to categorical');
  });

  it('fails when the configured features differ from the champion features', () => {
    const attempt = () =>
      resolveFeatures(['age', 'city', 'zip', 'label'], settings({ features: ['age', 'zip'], categoricalFeatures: [] }), champion(), WHERE);

    expect(attempt).toThrow(
      `schema changed: dataset.features (age, zip) differ from the champion's features (age, city): "city" is missing, "zip" is new`,
    );
  });

  it('fails when the configured features are the champion features in another order', () => {
    const attempt = () =>
      resolveFeatures(['age', 'city', 'label'], settings({ features: ['city', 'age'], categoricalFeatures: ['city'] }), champion(), WHERE);

    expect(attempt).toThrow(/the order differs/);
  });

  it('accepts configured features equal to the champion features', () => {
    const resolved = resolveFeatures(['age', 'city', 'label'], settings({ features: ['age', 'city'], categoricalFeatures: ['city'] }), champion(), WHERE);

    expect(resolved.features.map((f) => f.name)).toEqual(['age', 'city']);
  });

  it('fails when the problem type changed', () => {
    expect(() =>
      checkChampionSchema(champion(), { problemType: 'regression', target: 'label', features: [{ name: 'age', kind: 'numeric' }] }),
    ).toThrow('schema changed: the champion is a binary model, this run is configured as regression');
  });

  it('fails when the target changed', () => {
    expect(() => checkChampionSchema(champion(), { problemType: 'binary', target: 'y', features: [] })).toThrow(
      `schema changed: the champion predicts "label", this run's target is "y"`,
    );
  });
});

describe('schema-check: columns of a file', () => {
  it.each([
    [['id', 'a', 'label']],
    [['label', 'extra', 'a', 'id']],
  ])('accepts a header with the target, the id and every configured feature, in any order and with more columns: %j', (columns) => {
    expect(checkColumns(columns, { target: 'label', idColumn: 'id', features: ['a'] }, WHERE)).toBeUndefined();
  });

  it('fails naming the missing target and the columns', () => {
    expect(() => checkColumns(['a', 'b'], { target: 'label' }, 'raw/x.csv line 1')).toThrow(
      'raw/x.csv line 1: header has no target column "label" (columns: a, b)',
    );
  });

  it('fails naming a missing id column', () => {
    expect(() => checkColumns(['a', 'label'], { target: 'label', idColumn: 'id' }, WHERE)).toThrow('header has no id column "id"');
  });

  it('fails naming a missing configured feature', () => {
    expect(() => checkColumns(['a', 'label'], { target: 'label', features: ['a', 'b'] }, WHERE)).toThrow('header has no feature column "b"');
  });

  it('fails on a duplicate column', () => {
    expect(() => checkColumns(['a', 'a', 'label'], { target: 'label' }, WHERE)).toThrow('header has column "a" twice');
  });

  it('fails on an empty column name', () => {
    expect(() => checkColumns(['a', '', 'label'], { target: 'label' }, WHERE)).toThrow('header has an empty column name');
  });
});
