import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../../../lambdas/adapters/ports';
import { DataValidationError, InvalidInputError } from '../../../lambdas/core/errors';
import { readText } from '../../../lambdas/core/lines';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import type { Champion, ModelSchema } from '../../../lambdas/core/types';
import { createEtlHandler } from '../../../lambdas/etl/etl';
import { createFsObjectStore } from '../../../local/fs-object-store';
import { BINARY_HEADER, binaryRows, csvText, etlSettings } from '../../helpers/csv';
import { FakeClock } from '../../helpers/fake-clock';
import { modelPackageArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const BUCKET = 'data-bucket';

let root: string;
let store: ObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'etl-handler-'));
  store = createFsObjectStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The lines of a text object of the store. */
async function lines(key: string): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.read(key)).body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
}

function setup() {
  const clock = new FakeClock('2030-06-01T12:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const handler = createEtlHandler({ store, state, clock, bucket: BUCKET });
  return { state, clock, handler };
}

/** The Prepare data state's payload. */
function etlEvent(runId: string, overrides: Record<string, unknown> = {}, hyperparameters: Record<string, unknown> = { max_depth: 5, eta: 0.2 }) {
  return { runId, settings: { ...etlSettings({ idColumn: 'id', categoricalFeatures: ['city'] }), ...overrides }, hyperparameters };
}

function champion(runId: string, schemaUri = `s3://${BUCKET}/runs/${runId}/schema.json`): Champion {
  return {
    runId,
    modelPackageArn: modelPackageArn('retrain-models', 1),
    modelName: `retrain-${runId}`,
    endpointConfigName: `retrain-${runId}`,
    metric: { name: 'auc', value: 0.9 },
    baselineUri: `s3://${BUCKET}/runs/${runId}/baseline.json`,
    schemaUri,
    since: '2030-05-01T00:00:00.000Z',
  };
}

describe('etl handler: the first run', () => {
  it('prepares the data and returns the s3 URIs of every output', async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler } = setup();

    const result = await handler(etlEvent('r1'));

    expect(result.rows).toMatchObject({ read: 60, valid: 60, quarantined: 0 });
    expect(result.features).toEqual(['age', 'city', 'income']);
    expect(result.uris).toEqual({
      train: 's3://data-bucket/runs/r1/data/train.csv',
      validation: 's3://data-bucket/runs/r1/data/validation.csv',
      test: 's3://data-bucket/runs/r1/data/test.csv',
      baseline: 's3://data-bucket/runs/r1/baseline.json',
      schema: 's3://data-bucket/runs/r1/schema.json',
    });
    // Every input row lands in exactly one split file, label first, then age, city, income.
    const splits = await Promise.all(['train', 'validation', 'test'].map((split) => lines(`runs/r1/data/${split}.csv`)));
    expect(splits.map((split) => split.length)).toEqual([result.rows.train, result.rows.validation, result.rows.test]);
    const labelAgeIncome = (fields: readonly unknown[]) => `${fields[0]},${fields[1]},${fields[3]}`;
    expect(splits.flat().map((line) => labelAgeIncome(line.split(','))).sort()).toEqual(
      binaryRows(60).map(([, age, , income, label]) => labelAgeIncome([label, age, undefined, income])).sort(),
    );
  });

  it('computes the training hyperparameters as strings, with the objective of the problem type', async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler } = setup();

    const result = await handler(etlEvent('r1'));

    expect(result.hyperParameters).toEqual({ max_depth: '5', eta: '0.2', objective: 'binary:logistic', eval_metric: 'auc' });
  });

  it('has no champion and no classes for a binary first run', async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler } = setup();

    const result = await handler(etlEvent('r1'));

    expect(result.champion).toBeNull();
    expect(result.classes).toBeUndefined();
  });

  it('returns the classes and sets num_class for multiclass', async () => {
    const species = ['setosa', 'versicolor', 'virginica'];
    await store.write('raw/a.csv', csvText([['id', 'x', 'species'], ...Array.from({ length: 60 }, (_, i) => [`i${i}`, i, species[i % 3]])]));
    const { handler } = setup();

    const result = await handler(etlEvent('r1', { problemType: 'multiclass', targetColumn: 'species', categoricalFeatures: [] }, {}));

    expect(result.classes).toEqual(species);
    expect(result.hyperParameters).toEqual({ objective: 'multi:softprob', eval_metric: 'mlogloss', num_class: '3' });
  });
});

describe("etl handler: the champion's schema", () => {
  it('reads the schema of the champion and returns who the champion is', async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler, state } = setup();
    await handler(etlEvent('r1'));
    await state.put({ ...CHAMPION_KEY, data: champion('r1') }, { always: true });

    const result = await handler(etlEvent('r2'));

    expect(result.champion).toEqual({ runId: 'r1', modelName: 'retrain-r1', modelPackageArn: modelPackageArn('retrain-models', 1), metric: { name: 'auc', value: 0.9 } });
    expect(result.features).toEqual(['age', 'city', 'income']);
  });

  it("fails the run when the data lost a feature the champion was trained on", async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler, state } = setup();
    await handler(etlEvent('r1'));
    await state.put({ ...CHAMPION_KEY, data: champion('r1') }, { always: true });
    await store.write('raw/a.csv', csvText([['id', 'age', 'income', 'label'], ...binaryRows(60).map(([id, age, , income, label]) => [id, age, income, label])]));

    const attempt = handler(etlEvent('r2', { categoricalFeatures: [] }));

    await expect(attempt).rejects.toBeInstanceOf(DataValidationError);
    await expect(attempt).rejects.toThrow(/schema changed: feature "city" is missing; the champion was trained on it/);
  });

  it("names the champion's schema when it is not valid JSON", async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    await store.write('runs/r1/schema.json', '{"version": 1, "features": [');
    const { handler, state } = setup();
    await state.put({ ...CHAMPION_KEY, data: champion('r1') }, { always: true });

    const attempt = handler(etlEvent('r2'));

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/^the champion's schema runs\/r1\/schema\.json \(run r1\): not JSON \(/);
  });

  it("names the champion's schema when it is JSON but not a model schema (a categorical feature without categories)", async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const broken = { version: 1, runId: 'r1', problemType: 'binary', target: 'label', features: [{ name: 'city', kind: 'categorical' }] };
    await store.write('runs/r1/schema.json', JSON.stringify(broken));
    const { handler, state } = setup();
    await state.put({ ...CHAMPION_KEY, data: champion('r1') }, { always: true });

    const attempt = handler(etlEvent('r2'));

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      "the champion's schema runs/r1/schema.json (run r1): not a model schema: features.0.categories: Invalid input: expected array, received undefined",
    );
  });

  it("keeps a category whose multi-byte character is split between two chunks of the champion's schema", async () => {
    const cities = ['zürich', 'lyon', 'nice', 'lille'];
    const rows = binaryRows(60).map(([id, age, city, income, label]) => [id, age, city === 'paris' ? 'zürich' : city, income, label]);
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...rows]));
    const schema = {
      version: 1,
      runId: 'r1',
      problemType: 'binary',
      target: 'label',
      features: [{ name: 'age', kind: 'numeric' }, { name: 'city', kind: 'categorical', categories: cities }, { name: 'income', kind: 'numeric' }],
    };
    const bytes = Buffer.from(JSON.stringify(schema));
    const ü = bytes.indexOf(Buffer.from('ü')); // C3 BC in UTF-8
    await store.write('runs/r1/schema.json', bytes);
    const { state } = setup();
    await state.put({ ...CHAMPION_KEY, data: champion('r1') }, { always: true });
    // The schema arrives in two chunks that split "ü" between its two bytes, as an S3 stream may.
    const chunked: ObjectStore = {
      list: (prefix) => store.list(prefix),
      head: (key) => store.head(key),
      write: (key, body, options) => store.write(key, body, options),
      read: async (key, options) =>
        key === 'runs/r1/schema.json' ? { body: Readable.from([bytes.subarray(0, ü + 1), bytes.subarray(ü + 1)]) } : store.read(key, options),
    };
    const handler = createEtlHandler({ store: chunked, state, clock: new FakeClock('2030-06-01T12:00:00.000Z'), bucket: BUCKET });

    await handler(etlEvent('r2'));

    const written = JSON.parse(await readText((await store.read('runs/r2/schema.json')).body)) as ModelSchema;
    expect(written.features[1]).toEqual({ name: 'city', kind: 'categorical', categories: cities });
  });

  it("refuses a champion whose schema is in another bucket", async () => {
    await store.write('raw/a.csv', csvText([BINARY_HEADER, ...binaryRows(60)]));
    const { handler, state } = setup();
    await state.put({ ...CHAMPION_KEY, data: champion('r1', 's3://other-bucket/runs/r1/schema.json') }, { always: true });

    await expect(handler(etlEvent('r2'))).rejects.toThrow('expected an object of bucket data-bucket, got s3://other-bucket/runs/r1/schema.json');
  });
});

describe('etl handler: event validation', () => {
  it.each([
    ['no run id', { ...etlEvent('r1'), runId: '' }, /^prepare-data event: runId: /],
    ['no target column', etlEvent('r1', { targetColumn: undefined }), /settings\.targetColumn: /],
    ['an unknown problem type', etlEvent('r1', { problemType: 'ranking' }), /settings\.problemType: /],
    ['a quarantine share above 1', etlEvent('r1', { maxQuarantineShare: 1.5 }), /settings\.maxQuarantineShare: /],
    ['a hyperparameter that is an object', etlEvent('r1', {}, { max_depth: { value: 5 } }), /hyperparameters\.max_depth: /],
    ['an unknown setting', etlEvent('r1', { delimiter: ';' }), /settings.*delimiter/],
  ])('rejects an event with %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
  });
});
