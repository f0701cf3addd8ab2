import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { createFileMetrics } from '../../../local/file-metrics';
import { VirtualClock } from '../../../local/virtual-clock';

describe('file-metrics', () => {
  let dir: string;
  let path: string;
  const clock = new VirtualClock('2024-06-01T08:00:00.000Z');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-file-metrics-'));
    path = join(dir, 'nested', 'metrics.jsonl');
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads back every datum in order, with its dimensions and timestamp', async () => {
    const metrics = createFileMetrics(path, clock);
    const windowEnd = new Date('2024-06-01T07:00:00.000Z');

    await metrics.put([{ name: 'DriftShare', value: 0.25, unit: 'None', dimensions: { Endpoint: 'e' }, timestamp: windowEnd }]);
    await metrics.put([{ name: 'Runs', value: 1, unit: 'Count' }]);

    await expect(metrics.read()).resolves.toEqual([
      { name: 'DriftShare', value: 0.25, unit: 'None', dimensions: { Endpoint: 'e' }, timestamp: windowEnd },
      { name: 'Runs', value: 1, unit: 'Count', timestamp: new Date('2024-06-01T08:00:00.000Z') },
    ]);
  });

  it('writes one JSON line per datum', async () => {
    await createFileMetrics(path, clock).put([
      { name: 'A', value: 1, unit: 'Count' },
      { name: 'B', value: 2, unit: 'Count' },
    ]);

    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toEqual([
      '{"name":"A","value":1,"unit":"Count","timestamp":"2024-06-01T08:00:00.000Z"}',
      '{"name":"B","value":2,"unit":"Count","timestamp":"2024-06-01T08:00:00.000Z"}',
      '',
    ]);
  });

  it('reads nothing before anything was put', async () => {
    await expect(createFileMetrics(path, clock).read()).resolves.toEqual([]);
  });

  it('rejects a datum CloudWatch would reject, writing none of the batch', async () => {
    const metrics = createFileMetrics(path, clock);

    await expect(metrics.put([{ name: 'A', value: 1, unit: 'Count' }, { name: 'B', value: Number.POSITIVE_INFINITY, unit: 'Count' }])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(metrics.read()).resolves.toEqual([]);
  });

  it('keeps every datum of concurrent puts from two sinks on the same file', async () => {
    const first = createFileMetrics(path, clock);
    const second = createFileMetrics(path, clock);

    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? first : second).put([{ name: `M${i}`, value: i, unit: 'Count' }])));

    const values = (await first.read()).map((d) => d.value).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
