import { createHash } from 'node:crypto';
import { parseCaptureLine } from '../../../lambdas/core/capture';
import {
  binaryPredictions,
  captureBaseline,
  captureChunks,
  captureSchema,
  CATEGORY_VALUES,
  csvChunks,
  CSV_HEADER,
  FEATURES,
  multiclassPredictions,
  newStats,
  predictionChunks,
  regressionPredictions,
  testSplitChunks,
} from '../../../bench/data';

function text(chunks: Iterable<Buffer>): string {
  return Buffer.concat([...chunks]).toString('latin1');
}

function digest(chunks: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

describe('bench data: raw CSV', () => {
  it('produces the same bytes for the same options, other bytes for another seed', () => {
    const options = { bytes: 300_000, badEvery: 100, chunkBytes: 16_384 };

    const first = digest(csvChunks({ ...options, seed: 1 }));
    const second = digest(csvChunks({ ...options, seed: 1 }));
    const otherSeed = digest(csvChunks({ ...options, seed: 2 }));

    expect(second).toBe(first);
    expect(otherSeed).not.toBe(first);
  });

  it('produces the same first row in every process (the seeded generator has no other input)', () => {
    const [, first] = text(csvChunks({ bytes: 1_000, seed: 42 })).split('\n');

    expect(first).toBe(
      'r0,-1,11.4,18.30,30.002,37,47.3,59.40,67.830,87,72.8,103.73,100.770,123,130.6,136.60,118.386,156,158.9,217.08,209.863,' +
        'c0_v000,c1_v002,c2_v032,c3_v077,c4_v046,0',
    );
  });

  it('stops before the requested size and counts the bytes and rows it wrote', () => {
    const stats = newStats();

    const csv = text(csvChunks({ bytes: 100_000, chunkBytes: 10_000 }, stats));

    const lines = csv.split('\n').filter((l) => l !== '');
    expect(stats.bytes).toBe(Buffer.byteLength(csv));
    expect(stats.bytes).toBeLessThanOrEqual(100_000);
    expect(stats.bytes).toBeGreaterThan(100_000 - 300);
    expect(stats.rows).toBe(lines.length - 1);
  });

  it('writes the header, then rows of an id, 20 numbers, 5 categories and a 0/1 label', () => {
    const csv = text(csvChunks({ bytes: 50_000 }));

    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header.split(',')).toEqual(CSV_HEADER);
    expect(CSV_HEADER).toHaveLength(27);
    for (const [i, row] of rows.entries()) {
      const fields = row.split(',');
      expect(fields).toHaveLength(27);
      expect(fields[0]).toBe(`r${i}`);
      expect(fields.slice(1, 21).every((v) => v === '' || Number.isFinite(Number(v)))).toBe(true);
      fields.slice(21, 26).forEach((v, f) => expect(v === '' || CATEGORY_VALUES[f].includes(v)).toBe(true));
      expect(['0', '1']).toContain(fields[26]);
    }
  });

  it('puts "n/a" in n03 of every badEvery-th row and counts those rows', () => {
    const stats = newStats();

    const rows = text(csvChunks({ bytes: 200_000, badEvery: 50 }, stats)).trimEnd().split('\n').slice(1);

    const bad = rows.map((r, i) => [i, r.split(',')[4]] as const).filter(([, v]) => v === 'n/a');
    expect(bad.map(([i]) => i % 50)).toEqual(new Array(bad.length).fill(49));
    expect(stats.badRows).toBe(bad.length);
    expect(bad.length).toBe(Math.floor(rows.length / 50));
  });
});

describe('bench data: capture and champion documents', () => {
  const options = { rows: 500, first: 1_000, inferenceTime: '2026-03-02T10:00:00.000Z', chunkBytes: 8_192 };

  it('produces the same capture lines for the same options', () => {
    expect(digest(captureChunks(options))).toBe(digest(captureChunks(options)));
    expect(digest(captureChunks({ ...options, seed: 9 }))).not.toBe(digest(captureChunks(options)));
  });

  it('writes one single-row request per line that the capture reader accepts, ids numbered from `first`', () => {
    const stats = newStats();

    const lines = text(captureChunks(options, stats)).trimEnd().split('\n');

    expect(lines).toHaveLength(500);
    expect(stats.rows).toBe(500);
    lines.forEach((line, i) => {
      const parsed = parseCaptureLine(line);
      if (!('records' in parsed)) throw new Error(`line ${i + 1}: ${parsed.problem}`);
      expect(parsed.records).toHaveLength(1);
      expect(parsed.records[0]).toMatchObject({ inferenceId: `inf-${1_000 + i}`, time: options.inferenceTime });
      expect(parsed.records[0].features).toHaveLength(FEATURES.length);
    });
  });

  it('gives the baseline and the schema the same features in model order', () => {
    const schema = captureSchema('champion');
    const baseline = captureBaseline('champion', { rows: 2_000 });

    expect(schema.features.map((f) => f.name)).toEqual(FEATURES);
    expect(baseline.features.map((f) => f.name)).toEqual(FEATURES);
    expect(baseline.rows).toBe(2_000);
    expect(schema.features.filter((f) => f.kind === 'categorical').map((f) => (f.kind === 'categorical' ? f.categories : []))).toEqual(
      CATEGORY_VALUES,
    );
  });
});

describe('bench data: predictions', () => {
  it('gives the same labels and scores for the same seed', () => {
    expect(binaryPredictions(1_000, 5)).toEqual(binaryPredictions(1_000, 5));
    expect(regressionPredictions(1_000, 5)).toEqual(regressionPredictions(1_000, 5));
    expect(multiclassPredictions(1_000, 3, 5)).toEqual(multiclassPredictions(1_000, 3, 5));
  });

  it('keeps binary scores in [0, 1] and multiclass rows summing to 1', () => {
    const { labels, scores } = binaryPredictions(2_000);
    const { probabilities } = multiclassPredictions(2_000, 4);

    expect(labels.every((y) => y === 0 || y === 1)).toBe(true);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    for (let i = 0; i < 2_000; i++) {
      expect(probabilities.slice(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });

  it('writes a test split and a predictions file with one line per row', () => {
    const test = text(testSplitChunks(1_234, 42, 4_096)).trimEnd().split('\n');
    const predictions = text(predictionChunks(1_234, 42, 4_096)).trimEnd().split('\n');

    expect(test).toHaveLength(1_234);
    expect(predictions).toHaveLength(1_234);
    expect(test.every((l) => l.split(',').length === 1 + FEATURES.length)).toBe(true);
    expect(predictions.every((l) => Number(l) >= 0 && Number(l) <= 1)).toBe(true);
  });
});
