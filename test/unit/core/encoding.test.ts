import {
  buildModelSchema,
  CategoryEncoder,
  createLabelEncoder,
  encodeModelInput,
  MISSING_CATEGORY_CODE,
  parseDecimal,
  type EncodedFeature,
} from '../../../lambdas/core/encoding';
import { InvalidInputError } from '../../../lambdas/core/errors';
import type { ModelSchema } from '../../../lambdas/core/types';

describe('encoding: categories', () => {
  it('gives codes in order of first appearance', () => {
    const encoder = new CategoryEncoder();

    expect(['red', 'blue', 'red', 'green', 'blue'].map((v) => encoder.encode(v))).toEqual([0, 1, 0, 2, 1]);
    expect(encoder.categories).toEqual(['red', 'blue', 'green']);
  });

  it("keeps the champion's codes and appends new values after them", () => {
    const encoder = new CategoryEncoder(['paris', 'lyon']);

    expect(encoder.encode('nice')).toBe(2);
    expect(encoder.encode('lyon')).toBe(1);
    expect(encoder.encode('paris')).toBe(0);
    expect(encoder.categories).toEqual(['paris', 'lyon', 'nice']);
  });

  it('gives the same codes for the same data', () => {
    const values = ['b', 'a', 'c', 'a', 'b'];
    const first = new CategoryEncoder(['z']);
    const second = new CategoryEncoder(['z']);

    expect(values.map((v) => first.encode(v))).toEqual(values.map((v) => second.encode(v)));
    expect(first.categories).toEqual(second.categories);
  });

  it('rejects a champion list with a duplicate', () => {
    expect(() => new CategoryEncoder(['a', 'a'])).toThrow(InvalidInputError);
  });
});

describe('encoding: numbers', () => {
  it.each([
    ['1', 1],
    [' 2.5 ', 2.5],
    ['-3e2', -300],
    ['+4', 4],
    ['.5', 0.5],
    ['7.', 7],
    ['0', 0],
  ])('reads %j as %d', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });

  it.each(['', '  ', 'abc', '1,5', '0x1f', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', '1e400', '1 2', 'n/a'])('rejects %j', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });
});

describe('encoding: labels', () => {
  it('accepts 0 and 1 for binary problems, also written as decimals', () => {
    const labels = createLabelEncoder('binary', 'label');

    expect(['0', '1', ' 1 ', '1.0', '0.0'].map((v) => labels.encode(v))).toEqual([
      { ok: true, value: '0' },
      { ok: true, value: '1' },
      { ok: true, value: '1' },
      { ok: true, value: '1' },
      { ok: true, value: '0' },
    ]);
    expect(labels.classes()).toEqual(['0', '1']);
  });

  it.each([
    ['2', 'target "label" must be 0 or 1, got "2"'],
    ['yes', 'target "label" must be 0 or 1, got "yes"'],
    ['', 'target "label" is missing'],
  ])('rejects the binary label %j', (raw, reason) => {
    expect(createLabelEncoder('binary', 'label').encode(raw)).toEqual({ ok: false, reason });
  });

  it('encodes multiclass labels as class indexes, champion classes first', () => {
    const labels = createLabelEncoder('multiclass', 'species', ['setosa', 'virginica']);

    expect(['versicolor', 'setosa', 'virginica', 'versicolor'].map((v) => labels.encode(v))).toEqual([
      { ok: true, value: '2' },
      { ok: true, value: '0' },
      { ok: true, value: '1' },
      { ok: true, value: '2' },
    ]);
    expect(labels.classes()).toEqual(['setosa', 'virginica', 'versicolor']);
    expect(labels.distinctSeen()).toBe(3);
  });

  it('rejects an empty multiclass label without adding a class', () => {
    const labels = createLabelEncoder('multiclass', 'species');

    expect(labels.encode('  ')).toEqual({ ok: false, reason: 'target "species" is missing' });
    expect(labels.classes()).toEqual([]);
  });

  it('accepts any finite number for regression and has no classes', () => {
    const labels = createLabelEncoder('regression', 'price');

    expect(labels.encode('12.5')).toEqual({ ok: true, value: '12.5' });
    expect(labels.encode('abc')).toEqual({ ok: false, reason: 'target "price" is not a finite number: "abc"' });
    expect(labels.classes()).toBeUndefined();
  });

  it('counts the distinct labels seen', () => {
    const labels = createLabelEncoder('binary', 'label');
    labels.encode('1');
    labels.encode('1');

    expect(labels.distinctSeen()).toBe(1);
  });
});

describe('encoding: schema', () => {
  it('lists the features in model order with the categories as encoded', () => {
    const city = new CategoryEncoder(['paris']);
    city.encode('lyon');
    const features: EncodedFeature[] = [
      { name: 'age', kind: 'numeric' },
      { name: 'city', kind: 'categorical', encoder: city },
    ];

    const schema = buildModelSchema({ runId: 'r2', problemType: 'binary', target: 'label', features, labels: createLabelEncoder('binary', 'label') });

    expect(schema).toEqual({
      version: 1,
      runId: 'r2',
      problemType: 'binary',
      target: 'label',
      classes: ['0', '1'],
      features: [
        { name: 'age', kind: 'numeric' },
        { name: 'city', kind: 'categorical', categories: ['paris', 'lyon'] },
      ],
    });
  });

  it('has no classes for regression', () => {
    const schema = buildModelSchema({
      runId: 'r1',
      problemType: 'regression',
      target: 'price',
      features: [{ name: 'size', kind: 'numeric' }],
      labels: createLabelEncoder('regression', 'price'),
    });

    expect(schema).not.toHaveProperty('classes');
  });
});

describe('encoding: model input at inference', () => {
  const schema: Pick<ModelSchema, 'features'> = {
    features: [
      { name: 'age', kind: 'numeric' },
      { name: 'plan', kind: 'categorical', categories: ['basic', 'premium'] },
    ],
  };

  it('encodes numbers as written and categories as their codes', () => {
    expect(encodeModelInput(schema, [' 42 ', 'premium'])).toBe('42,1');
  });

  it('gives a missing category and a category the model never saw the missing code, and leaves a missing number empty', () => {
    expect(encodeModelInput(schema, ['', ''])).toBe(`,${MISSING_CATEGORY_CODE}`);
    expect(encodeModelInput(schema, ['42', 'gold'])).toBe(`42,${MISSING_CATEGORY_CODE}`);
  });

  it('refuses a value that is not a number for a numeric feature, naming the feature', () => {
    expect(() => encodeModelInput(schema, ['0x2a', 'basic'])).toThrow(new InvalidInputError('feature "age" is not a finite number: "0x2a"'));
  });
});
