import { InvalidInputError } from '../../../lambdas/core/errors';
import { rowKeyBuilder, splitForKey, splitOf, unitInterval, validateSplitRatios } from '../../../lambdas/core/split';

const RATIOS = { train: 0.7, validation: 0.15, test: 0.15 };

describe('split: position of a key', () => {
  it('maps a key to the first 48 bits of its SHA-1 over 2^48', () => {
    // sha1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d
    expect(unitInterval('abc')).toBe(0xa9993e364706 / 2 ** 48);
  });

  it('stays in [0, 1)', () => {
    const units = Array.from({ length: 1000 }, (_, i) => unitInterval(`row-${i}`));

    expect(units.every((u) => u >= 0 && u < 1)).toBe(true);
  });

  it('hashes the UTF-8 bytes of the key', () => {
    // sha1 of the bytes c3 a9 = bf15be717ac1b080...
    expect(unitInterval('é')).toBe(0xbf15be717ac1 / 2 ** 48);
  });
});

describe('split: assignment', () => {
  it('assigns train below the train share, then validation, then test', () => {
    expect(splitOf(0, RATIOS)).toBe('train');
    expect(splitOf(0.6999, RATIOS)).toBe('train');
    expect(splitOf(0.7, RATIOS)).toBe('validation');
    expect(splitOf(0.8499, RATIOS)).toBe('validation');
    expect(splitOf(0.85, RATIOS)).toBe('test');
    expect(splitOf(0.9999, RATIOS)).toBe('test');
  });

  it('gives a row the same split on every run (it depends only on the key)', () => {
    const first = Array.from({ length: 200 }, (_, i) => splitForKey(`customer-${i}`, RATIOS));
    const second = Array.from({ length: 200 }, (_, i) => splitForKey(`customer-${i}`, RATIOS));

    expect(second).toEqual(first);
  });

  it('keeps earlier rows in their split when new rows arrive', () => {
    const before = new Map(Array.from({ length: 100 }, (_, i) => [`id-${i}`, splitForKey(`id-${i}`, RATIOS)]));
    const after = new Map(Array.from({ length: 300 }, (_, i) => [`id-${i}`, splitForKey(`id-${i}`, RATIOS)]));

    for (const [key, split] of before) expect(after.get(key)).toBe(split);
  });

  it('splits many rows close to the configured shares', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 20_000; i++) counts[splitForKey(`id-${i}`, RATIOS)] += 1;

    expect(counts.train / 20_000).toBeCloseTo(0.7, 1);
    expect(counts.validation / 20_000).toBeCloseTo(0.15, 1);
    expect(counts.test / 20_000).toBeCloseTo(0.15, 1);
  });
});

describe('split: row keys without an id column', () => {
  it('does not depend on the order of the columns in the file', () => {
    const a = rowKeyBuilder(['x', 'y', 'label'], ['label', 'x', 'y']);
    const b = rowKeyBuilder(['label', 'y', 'x'], ['label', 'x', 'y']);

    expect(a(['1', '2', '0'])).toBe(b(['0', '2', '1']));
  });

  it('ignores surrounding spaces and columns the model does not use', () => {
    const key = rowKeyBuilder(['x', 'note', 'label'], ['x', 'label']);

    expect(key([' 1 ', 'first note', '0'])).toBe(key(['1', 'other note', '0']));
  });

  it('distinguishes rows whose values differ', () => {
    const key = rowKeyBuilder(['x', 'label'], ['x', 'label']);

    expect(key(['1', '0'])).not.toBe(key(['1', '1']));
    expect(key(['1,', '0'])).not.toBe(key(['1', ',0']));
  });

  it('rejects a used column that is not in the header', () => {
    expect(() => rowKeyBuilder(['x'], ['x', 'label'])).toThrow('column "label" is not in the header');
  });
});

describe('split: ratios', () => {
  it.each([
    [{ train: 0.8, validation: 0.1, test: 0.1 }, 1],
    // Binary floating point (IEEE 754 doubles) adds these to just under 1: still a split of the whole.
    [{ train: 0.7, validation: 0.2, test: 0.1 }, 0.9999999999999999],
  ])('accepts shares that sum to 1: %o (float sum %p)', (ratios, floatSum) => {
    expect(ratios.train + ratios.validation + ratios.test).toBe(floatSum);

    expect(validateSplitRatios(ratios)).toBeUndefined();
  });

  it('rejects shares that do not sum to 1', () => {
    expect(() => validateSplitRatios({ train: 0.8, validation: 0.15, test: 0.15 })).toThrow(InvalidInputError);
  });

  it('rejects a share of 0', () => {
    expect(() => validateSplitRatios({ train: 0.85, validation: 0.15, test: 0 })).toThrow('split.test: expected a share between 0 and 1, got 0');
  });
});
