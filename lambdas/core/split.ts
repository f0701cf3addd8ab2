/**
 * Deterministic train / validation / test split. A row's split depends only on its key (the id
 * column, or its normalized fields), never on the run, the file it came in or its position, so
 * a row keeps its split across runs and the champion is never evaluated on rows it trained on.
 */
import { hash } from 'node:crypto';
import { InvalidInputError } from './errors';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Shares of rows per split; they sum to 1. */
export interface SplitRatios {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/** Separates values in a row key; a control character that does not occur in ordinary data. */
const UNIT_SEPARATOR = '\u001f';
const TWO_POW_48 = 2 ** 48;

/** A number in [0, 1) from the SHA-1 of the key (UTF-8; its first 48 bits), the same on every machine. */
export function unitInterval(key: string): number {
  return parseInt(hash('sha1', key, 'hex').slice(0, 12), 16) / TWO_POW_48;
}

/** The split for a position in [0, 1): train below `train`, then validation, then test. */
export function splitOf(unit: number, ratios: SplitRatios): SplitName {
  if (unit < ratios.train) return 'train';
  if (unit < ratios.train + ratios.validation) return 'validation';
  return 'test';
}

/** Throws InvalidInputError unless every ratio is in (0, 1) and they sum to 1. */
export function validateSplitRatios(ratios: SplitRatios): void {
  for (const name of SPLIT_NAMES) {
    const value = ratios[name];
    if (!(value > 0 && value < 1)) {
      throw new InvalidInputError(`split.${name}: expected a share between 0 and 1, got ${value}`, { context: { ratios } });
    }
  }
  const sum = ratios.train + ratios.validation + ratios.test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new InvalidInputError(`split: expected train + validation + test = 1, got ${sum}`, { context: { ratios } });
  }
}

/**
 * Builds the key of rows that have no id column from the values of the `used` columns (looked
 * up in the file's `header`), trimmed, in column-name order: files listing the same columns in
 * another order give the same key, and columns the model does not use do not change it.
 */
export function rowKeyBuilder(header: readonly string[], used: readonly string[]): (fields: readonly string[]) => string {
  const names = [...used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const prefixes = names.map((name) => `${name}=`);
  const indexes = names.map((name) => header.indexOf(name));
  const absent = names.find((_, i) => indexes[i] < 0);
  if (absent !== undefined) throw new InvalidInputError(`column "${absent}" is not in the header`, { context: { column: absent } });
  return (fields) => {
    let key = '';
    for (let i = 0; i < indexes.length; i++) {
      if (i > 0) key += UNIT_SEPARATOR;
      key += prefixes[i] + (fields[indexes[i]] ?? '').trim();
    }
    return key;
  };
}

/** The split of a row from its key (see rowKeyBuilder) or its id value. */
export function splitForKey(key: string, ratios: SplitRatios): SplitName {
  return splitOf(unitInterval(key), ratios);
}
