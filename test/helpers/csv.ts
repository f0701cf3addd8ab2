/**
 * CSV fixtures: small files built from rows, ETL settings with test defaults, and a streaming
 * generator of large, deterministic CSV files (never held in memory).
 */
import { Readable } from 'node:stream';
import type { EtlSettings } from '../../lambdas/core/etl';

export type Cell = string | number | undefined;

/** One CSV field, quoted when it contains a delimiter, a quote or a line break. */
export function csvField(value: Cell): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV file from rows (the first one is usually the header). */
export function csvText(
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  options: { eol?: '\n' | '\r\n'; bom?: boolean; trailingEol?: boolean } = {},
): string {
  const eol = options.eol ?? '\n';
  const body = rows.map((row) => row.map(csvField).join(',')).join(eol);
  return `${options.bom ? '\ufeff' : ''}${body}${options.trailingEol === false || rows.length === 0 ? '' : eol}`;
}

/** ETL settings as the default configuration gives them, with the small-data limits tests need. */
export function etlSettings(overrides: Partial<EtlSettings> = {}): EtlSettings {
  return {
    rawPrefix: 'raw/',
    header: true,
    targetColumn: 'label',
    categoricalFeatures: [],
    problemType: 'binary',
    maxQuarantineShare: 0.01,
    minRows: 10,
    split: { train: 0.7, validation: 0.15, test: 0.15 },
    ...overrides,
  };
}

/**
 * Rows of a small binary data set: id, age (numeric), city (categorical), income (numeric),
 * label; deterministic for a given count.
 */
export function binaryRows(count: number, start = 0): Cell[][] {
  const cities = ['paris', 'lyon', 'nice', 'lille'];
  const rows: Cell[][] = [];
  for (let i = start; i < start + count; i++) {
    rows.push([`id-${i}`, 20 + (i % 50), cities[i % cities.length], 1000 + ((i * 37) % 900) / 10, i % 3 === 0 ? 1 : 0]);
  }
  return rows;
}

export const BINARY_HEADER = ['id', 'age', 'city', 'income', 'label'];

/** What a generated large CSV holds, filled in while it is produced. */
export interface GeneratedCsvStats {
  bytes: number;
  /** Data rows (header excluded). */
  rows: number;
  /** Rows written with a non-numeric value in a numeric feature (they must be quarantined). */
  badRows: number;
}

/** Columns of generated CSVs: 8 numeric features, 2 categorical ones, a binary label. */
export const LARGE_CSV_HEADER = ['id', 'f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'color', 'region', 'label'];
export const LARGE_CSV_CATEGORICAL = ['color', 'region'];

/**
 * A CSV stream of about `bytes` bytes (header, then rows until the size is reached), produced in
 * chunks on demand so it respects backpressure and is never held in memory. Rows combine a
 * unique id with one of POOL_SIZE seeded random bodies (so generating is cheap next to what is
 * measured); every `badEvery`-th row has "n/a" in f3. The same arguments give the same bytes.
 */
export function largeCsvStream(options: { bytes: number; seed?: number; badEvery?: number; chunkBytes?: number }): {
  stream: Readable;
  stats: GeneratedCsvStats;
} {
  const stats: GeneratedCsvStats = { bytes: 0, rows: 0, badRows: 0 };
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const badEvery = options.badEvery ?? 0;
  const { good, bad } = rowBodies(options.seed ?? 42);

  function* chunks(): Generator<Buffer> {
    let text = `${LARGE_CSV_HEADER.join(',')}\n`;
    while (stats.bytes + text.length < options.bytes) {
      const n = stats.rows;
      const isBad = badEvery > 0 && n % badEvery === badEvery - 1;
      // 7919 is prime, so consecutive rows walk the whole pool.
      text += `r${n},${(isBad ? bad : good)[(n * 7919) % POOL_SIZE]}\n`;
      stats.rows += 1;
      if (isBad) stats.badRows += 1;
      if (text.length >= chunkBytes) {
        stats.bytes += text.length;
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
    stats.bytes += text.length;
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }

  return { stream: Readable.from(chunks(), { objectMode: false }), stats };
}

const POOL_SIZE = 4096;

/** Row bodies (everything after the id): numeric features with 2% missing, two categoricals, a 0/1 label. */
function rowBodies(seed: number): { good: string[]; bad: string[] } {
  const random = mulberry32(seed);
  const colors = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black'];
  const regions = ['north', 'south', 'east', 'west', 'center', '"overseas, far"', 'unknown'];
  const good: string[] = [];
  const bad: string[] = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    const numbers: string[] = [];
    for (let f = 0; f < 8; f++) numbers.push(random() < 0.02 ? '' : (random() * 1000 - 500).toFixed(f % 3 === 0 ? 0 : 4));
    const pick = (values: string[]) => values[Math.floor(random() * values.length)];
    const rest = `${pick(colors)},${pick(regions)},${random() < 0.3 ? 1 : 0}`;
    good.push(`${numbers.join(',')},${rest}`);
    bad.push(`${numbers.map((v, f) => (f === 3 ? 'n/a' : v)).join(',')},${rest}`);
  }
  return { good, bad };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
