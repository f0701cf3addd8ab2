import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectInfo, ObjectStore } from '../../../lambdas/adapters/ports';
import { encodeModelInput, MISSING_CATEGORY_CODE } from '../../../lambdas/core/encoding';
import { ConditionFailedError, DataValidationError } from '../../../lambdas/core/errors';
import { prepareData, runKeys, type EtlSettings, type Manifest, type PrepareDataInput, type PreparedData, type QuarantineEntry } from '../../../lambdas/core/etl';
import { splitForKey } from '../../../lambdas/core/split';
import type { Baseline, ModelSchema } from '../../../lambdas/core/types';
import { createFsObjectStore } from '../../../local/fs-object-store';
import { BINARY_HEADER, binaryRows, csvText, etlSettings, type Cell } from '../../helpers/csv';

const NOW = new Date('2030-06-01T12:00:00Z');
const RUN = 'run-1';
const KEYS = runKeys(RUN);
const SPLIT = { train: 0.7, validation: 0.15, test: 0.15 };

let root: string;
let store: ObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'etl-'));
  store = createFsObjectStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(key: string, content: string, modified?: Date): Promise<void> {
  await store.write(key, content);
  if (modified) await utimes(join(root, ...key.split('/')), modified, modified);
}

async function text(key: string): Promise<string> {
  const { body } = await store.read(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function json<T>(key: string): Promise<T> {
  return JSON.parse(await text(key)) as T;
}

async function lines(key: string): Promise<string[]> {
  return (await text(key)).split('\n').filter((line) => line !== '');
}

async function exists(key: string): Promise<boolean> {
  return (await store.head(key)) !== undefined;
}

function prepare(settings: Partial<EtlSettings> = {}, input: Partial<PrepareDataInput> = {}): Promise<PreparedData> {
  return prepareData({ store }, { runId: RUN, now: NOW, settings: etlSettings({ minRows: 5, ...settings }), ...input });
}

/** The error prepareData throws (it must throw). */
async function failure(settings: Partial<EtlSettings> = {}, input: Partial<PrepareDataInput> = {}): Promise<Error> {
  try {
    await prepare(settings, input);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected prepareData to fail');
}

const binaryCsv = (count: number, start = 0, extra: Cell[][] = []) => csvText([BINARY_HEADER, ...binaryRows(count, start), ...extra]);
const CITY = { idColumn: 'id', categoricalFeatures: ['city'] };

describe('etl: listing', () => {
  it('reads the .csv objects under the prefix and records every other object as skipped, with a reason', async () => {
    await put('raw/a.csv', binaryCsv(30));
    await put('raw/B.CSV', binaryCsv(30, 30));
    await put('raw/_SUCCESS', '');
    await put('raw/empty.csv', '');
    await put('raw/notes.txt', 'hello');
    await put('other/c.csv', binaryCsv(5));

    const result = await prepare(CITY);
    const manifest = await json<Manifest>(KEYS.manifest);

    expect(result.files).toBe(2);
    expect(manifest.files.map((f) => f.key)).toEqual(['raw/B.CSV', 'raw/a.csv']);
    expect(manifest.skipped).toEqual([
      expect.objectContaining({ key: 'raw/_SUCCESS', size: 0, reason: 'not a .csv file' }),
      expect.objectContaining({ key: 'raw/empty.csv', size: 0, reason: 'empty object (0 bytes)' }),
      expect.objectContaining({ key: 'raw/notes.txt', size: 5, reason: 'not a .csv file' }),
    ]);
  });

  it('reads only objects modified within lookbackDays before now', async () => {
    await put('raw/old.csv', binaryCsv(30), new Date('2030-05-01T00:00:00Z'));
    await put('raw/new.csv', binaryCsv(30, 30), new Date('2030-05-30T00:00:00Z'));

    const result = await prepare({ ...CITY, lookbackDays: 7 });
    const manifest = await json<Manifest>(KEYS.manifest);

    expect(manifest.files.map((f) => f.key)).toEqual(['raw/new.csv']);
    expect(manifest.skipped).toEqual([expect.objectContaining({ key: 'raw/old.csv', reason: 'last modified before the 7-day lookback window' })]);
    expect(manifest.lookbackDays).toBe(7);
    expect(result.rows.read).toBe(30);
  });

  it('fails naming the prefix when there is no data file, and still writes the manifest', async () => {
    await put('raw/_SUCCESS', '');

    const error = await failure();

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe('no data under "raw/": no .csv object (1 other objects skipped)');
    const manifest = await json<Manifest>(KEYS.manifest);
    expect(manifest).toMatchObject({ status: 'failed', error: { name: 'DataValidationError' }, files: [], skipped: [{ key: 'raw/_SUCCESS' }] });
  });

  it('says the only .csv object is empty (0 bytes), naming it', async () => {
    await put('raw/_SUCCESS', '');
    await put('raw/2030-06-01/customers.csv', '');

    const error = await failure();

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe('no data under "raw/": raw/2030-06-01/customers.csv is empty (0 bytes) (1 other objects skipped)');
  });

  it('names the first empty .csv object and counts the others', async () => {
    await put('raw/a.csv', '');
    await put('raw/b.csv', '');

    const error = await failure();

    expect(error.message).toBe('no data under "raw/": raw/a.csv is empty (0 bytes), like 1 other .csv object (0 other objects skipped)');
  });

  it('records the snapshot time, and each file with its size, ETag and row counts', async () => {
    await put('raw/a.csv', binaryCsv(40));

    const result = await prepare(CITY);
    const manifest = await json<Manifest>(KEYS.manifest);
    const listed = await store.head('raw/a.csv');

    expect(result.snapshotAt).toBe('2030-06-01T12:00:00.000Z');
    expect(manifest).toMatchObject({ version: 1, runId: RUN, status: 'succeeded', snapshotAt: '2030-06-01T12:00:00.000Z', rawPrefix: 'raw/' });
    expect(manifest.files).toEqual([
      {
        key: 'raw/a.csv',
        size: listed!.size,
        etag: listed!.etag,
        lastModified: listed!.lastModified.toISOString(),
        rows: { read: 40, valid: 40, quarantined: 0 },
      },
    ]);
    expect(manifest.totals).toEqual({ files: 1, bytes: listed!.size, rows: result.rows });
  });
});

describe('etl: outputs', () => {
  it('writes each split as XGBoost CSV: no header, label first, then the features in model order', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ['id-1', 31, 'paris', 1000.5, 1], ['id-2', '', 'lyon', '12', 0], ['id-3', 40, '', 7, 1], ...binaryRows(30, 10)]));

    const result = await prepare(CITY);
    const all = [...(await lines(KEYS.train)), ...(await lines(KEYS.validation)), ...(await lines(KEYS.test))];

    expect(result.features).toEqual(['age', 'city', 'income']);
    // Missing numeric value: empty field (XGBoost's missing value); missing category: -1.
    expect(all).toEqual(expect.arrayContaining(['1,31,0,1000.5', '0,,1,12', '1,40,-1,7']));
    expect(all.every((line) => line.split(',').length === 4)).toBe(true);
  });

  it('puts each row in the split of its id, and the counts add up', async () => {
    await put('raw/a.csv', binaryCsv(200));

    const result = await prepare(CITY);

    const expected = { train: 0, validation: 0, test: 0 };
    for (const row of binaryRows(200)) expected[splitForKey(String(row[0]), SPLIT)] += 1;
    expect(result.rows).toEqual({ read: 200, valid: 200, quarantined: 0, ...expected });
    expect((await lines(KEYS.train)).length).toBe(expected.train);
    expect((await lines(KEYS.validation)).length).toBe(expected.validation);
    expect((await lines(KEYS.test)).length).toBe(expected.test);
  });

  it('writes schema.json and the baseline of the train split', async () => {
    await put('raw/a.csv', binaryCsv(60));

    const result = await prepare(CITY);
    const schema = await json<ModelSchema>(KEYS.schema);
    const baseline = await json<Baseline>(KEYS.baseline);

    expect(schema).toEqual({
      version: 1,
      runId: RUN,
      problemType: 'binary',
      target: 'label',
      classes: ['0', '1'],
      features: [
        { name: 'age', kind: 'numeric' },
        { name: 'city', kind: 'categorical', categories: ['paris', 'lyon', 'nice', 'lille'] },
        { name: 'income', kind: 'numeric' },
      ],
    });
    expect(baseline).toMatchObject({ version: 1, runId: RUN, rows: result.rows.train, createdAt: result.snapshotAt });
    expect(baseline.features.map((f) => f.name)).toEqual(['age', 'city', 'income']);
    expect(baseline.features[1]).toMatchObject({ type: 'categorical', count: result.rows.train });
  });

  it('profiles the raw values (categories as text, not codes)', async () => {
    await put('raw/a.csv', binaryCsv(60));

    await prepare(CITY);
    const baseline = await json<Baseline>(KEYS.baseline);
    const city = baseline.features[1];

    expect(city.type === 'categorical' && Object.keys(city.counts).sort()).toEqual(['lille', 'lyon', 'nice', 'paris']);
  });

  it('returns the keys, counts and features the state machine needs, JSON-serializable', async () => {
    await put('raw/a.csv', binaryCsv(40));

    const result = await prepare(CITY);

    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result).toMatchObject({
      runId: RUN,
      files: 1,
      keys: {
        manifest: 'runs/run-1/manifest.json',
        train: 'runs/run-1/data/train.csv',
        validation: 'runs/run-1/data/validation.csv',
        test: 'runs/run-1/data/test.csv',
        baseline: 'runs/run-1/baseline.json',
        schema: 'runs/run-1/schema.json',
      },
      ignoredColumns: [],
    });
    expect(result.keys.quarantine).toBeUndefined();
    expect(await exists(KEYS.quarantine)).toBe(false);
  });

  it('maps columns by name in every file, whatever their order', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(20)]));
    const reordered = ['label', 'income', 'id', 'city', 'age'];
    await put('raw/b.csv', csvText([reordered, ...binaryRows(20, 20).map(([id, age, city, income, label]) => [label, income, id, city, age])]));

    await prepare(CITY);
    const all = [...(await lines(KEYS.train)), ...(await lines(KEYS.validation)), ...(await lines(KEYS.test))];

    // Row 20 of binaryRows: age 40, city paris, income 1074, label 0.
    expect(all).toContain('0,40,0,1074');
  });

  it('reads files without a header using dataset.columns', async () => {
    await put('raw/a.csv', csvText(binaryRows(40)));

    const result = await prepare({ ...CITY, header: false, columns: BINARY_HEADER });

    expect(result.rows.valid).toBe(40);
    expect(result.features).toEqual(['age', 'city', 'income']);
  });

  it('handles a byte order mark, CRLF, quoted commas and quotes', async () => {
    const rows: Cell[][] = binaryRows(30).map((r, i) => (i === 0 ? [r[0], r[1], 'saint-denis, "north"', r[3], r[4]] : r));
    await put('raw/a.csv', csvText([BINARY_HEADER, ...rows], { bom: true, eol: '\r\n' }));

    const result = await prepare(CITY);
    const schema = await json<ModelSchema>(KEYS.schema);

    expect(result.rows).toMatchObject({ read: 30, valid: 30, quarantined: 0 });
    expect(schema.features[1]).toMatchObject({ categories: ['saint-denis, "north"', 'lyon', 'nice', 'lille', 'paris'] });
  });

  it('encodes multiclass labels as class indexes and returns the classes', async () => {
    const species = ['setosa', 'versicolor', 'virginica'];
    await put('raw/a.csv', csvText([['id', 'x', 'species'], ...Array.from({ length: 60 }, (_, i) => [`i${i}`, i, species[i % 3]])]));

    const result = await prepare({ idColumn: 'id', problemType: 'multiclass', targetColumn: 'species' });
    const labels = new Set([...(await lines(KEYS.train)), ...(await lines(KEYS.test))].map((l) => l.split(',')[0]));

    expect(result.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([...labels].sort()).toEqual(['0', '1', '2']);
  });

  it('writes regression targets as numbers', async () => {
    await put('raw/a.csv', csvText([['id', 'x', 'price'], ...Array.from({ length: 40 }, (_, i) => [`i${i}`, i, i * 1.5])]));

    const result = await prepare({ idColumn: 'id', problemType: 'regression', targetColumn: 'price' });

    expect(result.classes).toBeUndefined();
    expect(await json<ModelSchema>(KEYS.schema)).not.toHaveProperty('classes');
    expect((await lines(KEYS.train)).every((line) => /^\d+(\.\d+)?,\d+$/.test(line))).toBe(true);
  });

  it('splits rows without an id by their content', async () => {
    await put('raw/a.csv', csvText([['x', 'label'], ...Array.from({ length: 100 }, (_, i) => [i, i % 2])]));

    const result = await prepare();

    expect(result.rows.train + result.rows.validation + result.rows.test).toBe(100);
    expect(result.rows.train).toBeGreaterThan(result.rows.test);
  });
});

describe('etl: quarantine', () => {
  const badRows: Cell[][] = [
    ['bad-1', 'abc', 'paris', 10, 1],
    ['bad-2', 30, 'paris', 10, 2],
    ['bad-3', 30, 'paris'],
    ['bad-4', 30, 'paris', 10, ''],
    ['bad-5', 'Infinity', 'paris', 10, 0],
  ];

  it('quarantines rejected rows with file, line, reason and fields, and keeps the rest', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(100), ...badRows]));

    const result = await prepare({ ...CITY, maxQuarantineShare: 0.1 });
    const rejected = (await lines(KEYS.quarantine)).map((line) => JSON.parse(line) as QuarantineEntry);

    expect(result.rows).toMatchObject({ read: 105, valid: 100, quarantined: 5 });
    expect(result.keys.quarantine).toBe('quarantine/run-1/rejected.jsonl');
    expect(rejected).toEqual([
      { file: 'raw/a.csv', line: 102, reason: 'feature "age" is not a finite number: "abc"', fields: ['bad-1', 'abc', 'paris', '10', '1'] },
      { file: 'raw/a.csv', line: 103, reason: 'target "label" must be 0 or 1, got "2"', fields: ['bad-2', '30', 'paris', '10', '2'] },
      { file: 'raw/a.csv', line: 104, reason: 'expected 5 fields, got 3', fields: ['bad-3', '30', 'paris'] },
      { file: 'raw/a.csv', line: 105, reason: 'target "label" is missing', fields: ['bad-4', '30', 'paris', '10', ''] },
      { file: 'raw/a.csv', line: 106, reason: 'feature "age" is not a finite number: "Infinity"', fields: ['bad-5', 'Infinity', 'paris', '10', '0'] },
    ]);
    const manifest = await json<Manifest>(KEYS.manifest);
    expect(manifest.files[0].rows).toEqual({ read: 105, valid: 100, quarantined: 5 });
    expect(manifest.quarantineKey).toBe(KEYS.quarantine);
  });

  it('does not let a rejected row add a category or a class', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(40), ['bad', 'abc', 'marseille', 1, 0]]));

    await prepare({ ...CITY, maxQuarantineShare: 0.1 });

    expect((await json<ModelSchema>(KEYS.schema)).features[1]).toMatchObject({ categories: ['paris', 'lyon', 'nice', 'lille'] });
  });

  it('fails when the rejected share is above the limit, naming the share, the first bad row and the quarantine', async () => {
    await put('raw/a.csv', binaryCsv(40));
    await put('raw/b.csv', csvText([BINARY_HEADER, ...binaryRows(10, 40), ...badRows]));

    const error = await failure({ ...CITY, maxQuarantineShare: 0.05 });

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe(
      '5 of 55 rows (9.09%) were rejected, more than the allowed 5% (maxQuarantineShare); ' +
        'first rejected row: raw/b.csv line 12: feature "age" is not a finite number: "abc"; ' +
        'rejected rows are in quarantine/run-1/rejected.jsonl',
    );
    expect(await lines(KEYS.quarantine)).toHaveLength(5);
    expect(await exists(KEYS.train)).toBe(false);
    expect(await exists(KEYS.schema)).toBe(false);
    const manifest = await json<Manifest>(KEYS.manifest);
    expect(manifest).toMatchObject({ status: 'failed', error: { name: 'DataValidationError', message: error.message } });
    expect(manifest.totals.rows).toMatchObject({ read: 55, valid: 50, quarantined: 5 });
  });

  it('fails when fewer valid rows than minRows remain', async () => {
    await put('raw/a.csv', binaryCsv(8));

    const error = await failure({ ...CITY, minRows: 10 });

    expect(error.message).toBe('only 8 valid rows (of 8 read), fewer than the 10 required (minRows)');
    expect(await exists(KEYS.train)).toBe(false);
  });

  it('counts a file with only bad rows and takes the good rows of the others', async () => {
    await put('raw/a.csv', binaryCsv(300));
    await put('raw/b.csv', csvText([BINARY_HEADER, ['x', 'abc', 'paris', 1, 0], ['y', 1, 'paris', 1, 5]]));

    const result = await prepare(CITY);
    const manifest = await json<Manifest>(KEYS.manifest);

    expect(result.rows).toMatchObject({ read: 302, valid: 300, quarantined: 2 });
    expect(manifest.files[1]).toMatchObject({ key: 'raw/b.csv', rows: { read: 2, valid: 0, quarantined: 2 } });
  });

  it('fails when every row is bad', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ['x', 'abc', 'paris', 1, 0]]));

    const error = await failure(CITY);

    expect(error.message).toMatch(/^1 of 1 rows \(100%\) were rejected/);
  });

  it('accepts a header-only file next to others', async () => {
    await put('raw/a.csv', binaryCsv(30));
    await put('raw/b.csv', csvText([BINARY_HEADER]));

    const result = await prepare(CITY);
    const manifest = await json<Manifest>(KEYS.manifest);

    expect(result.rows.read).toBe(30);
    expect(manifest.files[1]).toMatchObject({ key: 'raw/b.csv', rows: { read: 0, valid: 0, quarantined: 0 } });
  });

  it('fails with only header-only files: no valid rows', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER]));

    expect((await failure(CITY)).message).toBe('only 0 valid rows (of 0 read), fewer than the 5 required (minRows)');
  });

  it('skips a non-empty file without any record (blank lines only)', async () => {
    await put('raw/a.csv', binaryCsv(30));
    await put('raw/blank.csv', '\n\r\n\n');

    await prepare(CITY);
    const manifest = await json<Manifest>(KEYS.manifest);

    expect(manifest.skipped).toEqual([expect.objectContaining({ key: 'raw/blank.csv', reason: 'no header row (the file has no records)' })]);
  });

  it('fails naming the file and line of a quote that is never closed', async () => {
    await put('raw/a.csv', `${binaryCsv(20)}id-x,1,"paris,1,0\n${csvText(binaryRows(5, 30))}`);

    const error = await failure(CITY);

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/^raw\/a\.csv line 22: a quoted field that starts in this record is not closed/);
  });

  it('quarantines rows without an id value', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(40), ['', 30, 'paris', 1, 0]]));

    await prepare({ ...CITY, maxQuarantineShare: 0.1 });

    expect(JSON.parse((await lines(KEYS.quarantine))[0])).toMatchObject({ line: 42, reason: 'id "id" is missing' });
  });
});

describe('etl: training and serving encode alike', () => {
  it('gives a row with a missing category the same model input as `retrain local invoke` (encodeModelInput)', async () => {
    // One row without a city, and an age no other row has, to find it in whichever split it lands.
    await put('raw/a.csv', binaryCsv(40, 0, [['id-missing', 99, '', 1234.5, 1]]));

    await prepare(CITY);

    const schema = await json<ModelSchema>(KEYS.schema);
    const written = (await Promise.all([KEYS.train, KEYS.validation, KEYS.test].map(lines))).flat();
    const trained = written.map((line) => line.split(',')).find((fields) => fields[1] === '99');
    expect(trained?.slice(1).join(',')).toBe(encodeModelInput(schema, ['99', '', '1234.5']));
    expect(trained?.[2]).toBe(String(MISSING_CATEGORY_CODE));
  });
});

describe('etl: headers', () => {
  it('fails naming the file, line and columns when the target column is missing', async () => {
    await put('raw/x.csv', csvText([['a', 'b'], [1, 2]]));

    const error = await failure();

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe('raw/x.csv line 1: header has no target column "label" (columns: a, b)');
    expect((await json<Manifest>(KEYS.manifest)).status).toBe('failed');
  });

  it('fails when a configured feature is missing from a file', async () => {
    await put('raw/a.csv', binaryCsv(20));

    expect((await failure({ ...CITY, features: ['age', 'zip'] })).message).toMatch(/^raw\/a\.csv line 1: header has no feature column "zip"/);
  });

  it('fails naming the file whose columns differ from the first file', async () => {
    await put('raw/a.csv', binaryCsv(20));
    await put('raw/b.csv', csvText([['id', 'age', 'city', 'zip', 'label'], ['z', 1, 'paris', 75, 0]]));

    const error = await failure(CITY);

    expect(error.message).toBe('raw/b.csv line 1: the columns differ from those of raw/a.csv (missing "income"; extra "zip")');
    expect(await exists(KEYS.train)).toBe(false);
  });

  it('fails naming the object, line and byte offset of a header byte that is not UTF-8, instead of a feature named "b\uFFFD"', async () => {
    // A header saved as Windows-1252: "ü" is the single byte FC.
    await store.write('raw/a.csv', Buffer.concat([Buffer.from('id,age,city,income,label,b'), Buffer.from([0xfc]), Buffer.from('\n')]));

    const error = await failure(CITY);

    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe('raw/a.csv line 1, byte offset 26: byte FC is not UTF-8; save the file as UTF-8');
    expect(await json<Manifest>(KEYS.manifest)).toMatchObject({ status: 'failed', error: { message: error.message } });
  });

  it('fails naming the line and byte offset of a category value that is not UTF-8, and writes no split', async () => {
    const good = binaryCsv(20);
    await store.write('raw/a.csv', Buffer.concat([Buffer.from(good), Buffer.from('id-x,30,n'), Buffer.from([0xee]), Buffer.from('mes,1000,0\n')]));

    const error = await failure(CITY);

    expect(error.message).toBe(`raw/a.csv line 22, byte offset ${Buffer.byteLength(good) + 'id-x,30,n'.length}: byte EE is not UTF-8; save the file as UTF-8`);
    expect(await exists(KEYS.train)).toBe(false);
  });

  it('says a raw file is UTF-16', async () => {
    await store.write('raw/a.csv', Buffer.from(`\ufeff${binaryCsv(20)}`, 'utf16le'));

    expect((await failure(CITY)).message).toBe('raw/a.csv is UTF-16 (little-endian, byte order mark FF FE), not UTF-8: save it as UTF-8');
  });

  it('fails when every valid row has the same binary label', async () => {
    await put('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(30).map((r) => [...r.slice(0, 4), 0])]));

    expect((await failure(CITY)).message).toBe('every valid row has the same target "label": a binary model needs at least 2 classes');
  });
});

describe('etl: champion schema', () => {
  const champion: ModelSchema = {
    version: 1,
    runId: 'run-0',
    problemType: 'binary',
    target: 'label',
    classes: ['0', '1'],
    features: [
      { name: 'city', kind: 'categorical', categories: ['nice', 'rome'] },
      { name: 'age', kind: 'numeric' },
    ],
  };

  it("uses the champion's feature order and category codes, appends new categories, reports extra columns", async () => {
    await put('raw/a.csv', binaryCsv(40));

    const result = await prepare(CITY, { champion: { schema: champion } });
    const schema = await json<ModelSchema>(KEYS.schema);

    expect(result.features).toEqual(['city', 'age']);
    expect(result.ignoredColumns).toEqual(['income']);
    expect(schema.features).toEqual([
      { name: 'city', kind: 'categorical', categories: ['nice', 'rome', 'paris', 'lyon', 'lille'] },
      { name: 'age', kind: 'numeric' },
    ]);
  });

  it('fails before writing any data when a champion feature is missing, and writes the manifest', async () => {
    await put('raw/a.csv', csvText([['id', 'city', 'label'], ['a', 'nice', 1]]));

    const error = await failure(CITY, { champion: { schema: champion } });

    expect(error.message).toBe('raw/a.csv line 1: schema changed: feature "age" is missing; the champion was trained on it');
    expect(await exists(KEYS.train)).toBe(false);
    expect(await json<Manifest>(KEYS.manifest)).toMatchObject({ status: 'failed', files: [{ key: 'raw/a.csv' }] });
  });

  it('fails when a champion feature changed kind', async () => {
    await put('raw/a.csv', binaryCsv(20));

    const error = await failure({ idColumn: 'id', categoricalFeatures: [] }, { champion: { schema: champion } });

    expect(error.message).toBe('schema changed: feature "city" changed from categorical to numeric');
  });

  it('fails when the configured features differ from the champion features', async () => {
    await put('raw/a.csv', binaryCsv(20));

    const error = await failure({ ...CITY, features: ['age', 'city', 'income'] }, { champion: { schema: champion } });

    expect(error.message).toMatch(/^schema changed: dataset\.features \(age, city, income\) differ from the champion's features \(city, age\)/);
  });

  it('keeps the champion classes first for multiclass', async () => {
    await put('raw/a.csv', csvText([['id', 'x', 'y'], ...Array.from({ length: 40 }, (_, i) => [`i${i}`, i, i % 2 ? 'cat' : 'dog'])]));
    const multiclass: ModelSchema = { ...champion, problemType: 'multiclass', target: 'y', classes: ['bird', 'dog'], features: [{ name: 'x', kind: 'numeric' }] };

    const result = await prepare({ idColumn: 'id', problemType: 'multiclass', targetColumn: 'y' }, { champion: { schema: multiclass } });

    expect(result.classes).toEqual(['bird', 'dog', 'cat']);
  });
});

describe('etl: consistency', () => {
  it('produces the same outputs from the same data', async () => {
    await put('raw/a.csv', binaryCsv(120));

    await prepare(CITY);
    const first = await Promise.all([KEYS.train, KEYS.validation, KEYS.test, KEYS.schema, KEYS.baseline].map(text));
    await prepare(CITY);
    const second = await Promise.all([KEYS.train, KEYS.validation, KEYS.test, KEYS.schema, KEYS.baseline].map(text));

    expect(second).toEqual(first);
  });

  it('keeps every earlier row in its split when new data arrives', async () => {
    await put('raw/a.csv', csvText([['x', 'label'], ...Array.from({ length: 100 }, (_, i) => [i, i % 2])]));
    await prepare();
    const before = { test: await lines(KEYS.test), train: await lines(KEYS.train) };

    await put('raw/b.csv', csvText([['label', 'x'], ...Array.from({ length: 100 }, (_, i) => [i % 2, i + 100])]));
    await prepare();
    const after = { test: await lines(KEYS.test), train: await lines(KEYS.train) };

    expect(after.test).toEqual(expect.arrayContaining(before.test));
    expect(after.train).toEqual(expect.arrayContaining(before.train));
  });

  it('fails clearly when an object changes between listing and reading', async () => {
    await put('raw/a.csv', binaryCsv(30));
    const racing: ObjectStore = {
      ...store,
      list: async function* (prefix: string): AsyncIterable<ObjectInfo> {
        const listed: ObjectInfo[] = [];
        for await (const object of store.list(prefix)) listed.push(object);
        await store.write('raw/a.csv', binaryCsv(31));
        yield* listed;
      },
      read: (key, options) => store.read(key, options),
      head: (key) => store.head(key),
      write: (key, body, options) => store.write(key, body, options),
    };

    const attempt = prepareData({ store: racing }, { runId: RUN, now: NOW, settings: etlSettings(CITY) });

    await expect(attempt).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(attempt).rejects.toThrow(/raw\/a\.csv changed since it was listed/);
    expect((await json<Manifest>(KEYS.manifest)).status).toBe('failed');
  });
});
