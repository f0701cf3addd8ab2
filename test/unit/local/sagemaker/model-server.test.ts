import { request } from 'node:http';
import { seededRandom } from '../../../../lambdas/core/stats';
import { DEFAULT_PARAMS, matrixFromRows, trainGbdt, type GbdtModel } from '../../../../local/sagemaker/gbdt';
import { modelFrom, pythonFloat } from '../../../../local/sagemaker/inference';
import { startModelServer, type ModelServer } from '../../../../local/sagemaker/model-server';
import { csvRow, referencePrediction } from '../../../helpers/reference-gbdt';

function call(server: ModelServer, method: string, path: string, body?: string, contentType = 'text/csv'): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, agent: false, headers: body === undefined ? {} : { 'Content-Type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function model(objective: GbdtModel['objective'], numClass = 1): GbdtModel {
  const random = seededRandom(2);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 600; i++) {
    const row = [random() * 3, random()];
    rows.push(row);
    labels.push(objective === 'multi:softprob' ? Math.floor(row[0]) : objective === 'binary:logistic' ? (row[0] > 1.5 ? 1 : 0) : row[0] * 2);
  }
  return trainGbdt({ train: { x: matrixFromRows(rows, 2), y: Float64Array.from(labels) } }, { ...DEFAULT_PARAMS, objective, numClass, numRound: 10, maxDepth: 3 }).model;
}

describe('local sagemaker: model server (SageMaker container contract)', () => {
  const servers: ModelServer[] = [];
  let binary: ModelServer;
  const binaryModel = model('binary:logistic');
  /** The probability the binary model gives a text/csv row, computed independently. */
  const expected = (line: string): string => String(referencePrediction(binaryModel, csvRow(line))[0]);

  beforeAll(async () => {
    binary = await startModelServer({ model: modelFrom(binaryModel), healthy: true });
    servers.push(binary);
  });
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('binds 127.0.0.1 on a free port and answers GET /ping with 200', async () => {
    expect(binary.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call(binary, 'GET', '/ping')).toMatchObject({ status: 200 });
  });

  it('answers POST /invocations with one probability per row, comma-joined like the built-in XGBoost container', async () => {
    const response = await call(binary, 'POST', '/invocations', '0.2,0.5\n2.8,0.1\n1.4,0.9');
    expect(response.status).toBe(200);
    expect(response.type).toBe('text/csv; charset=utf-8');
    const values = response.text.split(',').map(Number);
    expect(values).toHaveLength(3);
    expect(values[0]).toBeLessThan(0.5);
    expect(values[1]).toBeGreaterThan(0.5);
    expect(response.text).toBe(['0.2,0.5', '2.8,0.1', '1.4,0.9'].map(expected).join(','));
  });

  it('treats an empty field as a missing value', async () => {
    expect(await call(binary, 'POST', '/invocations', ',0.5')).toMatchObject({ status: 200, text: expected(',0.5') });
  });

  it('writes one prediction per line in batch mode (SAGEMAKER_BATCH)', async () => {
    const batch = await startModelServer({ model: modelFrom(binaryModel), healthy: true, batch: true });
    servers.push(batch);
    const response = await call(batch, 'POST', '/invocations', '0.2,0.5\n2.8,0.1');
    expect(response.text).toBe(`${expected('0.2,0.5')}\n${expected('2.8,0.1')}\n`);
  });

  it('writes the class probabilities of multi:softprob as a Python list', async () => {
    const multiModel = model('multi:softprob', 3);
    const multi = await startModelServer({ model: modelFrom(multiModel), healthy: true });
    servers.push(multi);
    const response = await call(multi, 'POST', '/invocations', '0.5,0.5\n2.5,0.5');
    expect(response.text).toMatch(/^\[[^\]]+, [^\]]+, [^\]]+\],\[[^\]]+, [^\]]+, [^\]]+\]$/);
    expect(response.text).toBe(['0.5,0.5', '2.5,0.5'].map((line) => `[${referencePrediction(multiModel, csvRow(line)).join(', ')}]`).join(','));
  });

  it.each([
    ['a content type other than text/csv', '0.2,0.5', 'application/json', 415, /Content-type application\/json not supported/],
    ['a value that is not a number', '0.2,abc', 'text/csv', 415, /could not convert string to float: 'abc'/],
    ['a row with the wrong number of features', '0.2,0.5,7', 'text/csv', 400, /Feature size of csv inference data 3 is not consistent with feature size of trained model 2/],
  ])('answers %s with the container\'s status and message', async (_, body, type, status, message) => {
    const response = await call(binary, 'POST', '/invocations', body, type);
    expect(response.status).toBe(status);
    expect(response.text).toMatch(message);
  });

  it('answers an empty body with 204', async () => {
    expect(await call(binary, 'POST', '/invocations', '')).toMatchObject({ status: 204 });
  });

  it('fails /ping with 500 when the model could not be loaded or the health check is made to fail', async () => {
    const broken = await startModelServer({ model: { loadError: 'model.tar.gz has no model.json' }, healthy: true });
    const unhealthy = await startModelServer({ model: modelFrom(model('binary:logistic')), healthy: false });
    servers.push(broken, unhealthy);
    expect(await call(broken, 'GET', '/ping')).toMatchObject({ status: 500, text: expect.stringContaining('has no model.json') });
    expect(await call(unhealthy, 'GET', '/ping')).toMatchObject({ status: 500 });
  });
});

describe('local sagemaker: prediction formatting', () => {
  it.each([
    [0.5, '0.5'],
    [0.1, '0.10000000149011612'],
    [3, '3.0'],
    [1.5e-5, '1.4999999621068127e-05'],
    [0, '0.0'],
    [-2.25, '-2.25'],
  ])('writes %p as Python writes the float32 value: %s', (value, text) => {
    expect(pythonFloat(value)).toBe(text);
  });
});
