import { InvalidInputError } from '../../../lambdas/core/errors';
import { BaselineProfiler } from '../../../lambdas/core/profile';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import type { Champion, ModelSchema } from '../../../lambdas/core/types';
import { createDriftMonitorHandler } from '../../../lambdas/drift-monitor/drift-monitor';
import { captureFile, captureLine, normalGenerator } from '../../helpers/capture';
import { FakeClock } from '../../helpers/fake-clock';
import { modelPackageArn } from '../../helpers/fakes';
import { MemoryMetrics, MemoryObjectStore } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const NOW = '2026-11-27T12:00:00.000Z';
const HOUR_11 = 'capture/retrain/AllTraffic/2026/11/27/11/';

const SCHEMA: ModelSchema = { version: 1, runId: 'r1', problemType: 'binary', target: 'label', classes: ['0', '1'], features: [{ name: 'x', kind: 'numeric' }] };

const CHAMPION: Champion = {
  runId: 'r1',
  modelPackageArn: modelPackageArn('retrain-models', 1),
  modelName: 'retrain-r1',
  endpointConfigName: 'retrain-r1',
  metric: { name: 'auc', value: 0.9 },
  baselineUri: 's3://data-bucket/runs/r1/baseline.json',
  schemaUri: 's3://data-bucket/runs/r1/schema.json',
  since: '2026-11-27T00:00:00.000Z',
};

/** The scheduled rule's input. */
function driftEvent(overrides: Record<string, unknown> = {}) {
  return {
    projectName: 'retrain',
    endpointName: 'retrain',
    variantName: 'AllTraffic',
    drift: { featureThreshold: 0.1, pValue: 0.05, driftedShare: 0.5, criticalFeatures: [], minRows: 100, ...overrides },
  };
}

async function setup(options: { champion?: boolean } = {}) {
  const objects = new MemoryObjectStore();
  const clock = new FakeClock(NOW);
  const state = new MemoryStateStore(clock);
  const metrics = new MemoryMetrics();
  if (options.champion !== false) {
    const profiler = new BaselineProfiler([{ name: 'x', declared: 'numeric' }]);
    const next = normalGenerator(1, 0, 1);
    for (let i = 0; i < 1000; i++) profiler.add([next()]);
    objects.put('runs/r1/baseline.json', JSON.stringify(profiler.finish({ runId: 'r1', createdAt: '2026-11-26T00:00:00.000Z' })));
    objects.put('runs/r1/schema.json', JSON.stringify(SCHEMA));
    await state.put({ ...CHAMPION_KEY, data: CHAMPION }, { always: true });
  }
  const handler = createDriftMonitorHandler({ objects, state, metrics, clock });
  return { objects, metrics, handler };
}

/** n captured requests of one row x ~ N(mean, 1), uploaded at 11:30. */
function putCapture(objects: MemoryObjectStore, n: number, mean: number): void {
  const next = normalGenerator(7, mean, 1);
  const lines = Array.from({ length: n }, (_, i) => captureLine({ rows: [String(next())], eventId: `e-${i}`, inferenceTime: '2026-11-27T11:20:00Z' }));
  objects.put(`${HOUR_11}a.jsonl`, captureFile(lines), new Date('2026-11-27T11:30:00Z'));
}

describe('drift monitor handler', () => {
  it('reports NO_CHAMPION before the first deployment', async () => {
    const { handler, objects } = await setup({ champion: false });

    const result = await handler(driftEvent());

    expect(result).toEqual({ reportKey: `monitoring/drift/${NOW}.json`, status: 'NO_CHAMPION', driftedShare: 0 });
    expect(objects.keys('monitoring/')).toEqual([result.reportKey]);
  });

  it('reports INSUFFICIENT_DATA when the window has fewer rows than the minimum', async () => {
    const { handler, objects } = await setup();
    putCapture(objects, 50, 0);

    const result = await handler(driftEvent());

    expect(result).toMatchObject({ status: 'INSUFFICIENT_DATA', driftedShare: 0 });
  });

  it('reports DRIFT and the drifted share when the inputs moved', async () => {
    const { handler, objects, metrics } = await setup();
    putCapture(objects, 400, 3);

    const result = await handler(driftEvent());

    expect(result).toEqual({ reportKey: `monitoring/drift/${NOW}.json`, status: 'DRIFT', driftedShare: 1 });
    expect(metrics.named('DriftDetected')[0]).toMatchObject({ value: 1 });
  });

  it('reports OK when the inputs look like the training data', async () => {
    const { handler, objects } = await setup();
    putCapture(objects, 400, 0);

    const result = await handler(driftEvent());

    expect(result).toMatchObject({ status: 'OK', driftedShare: 0 });
  });

  it.each([
    ['a p-value of 1', { ...driftEvent(), drift: { ...driftEvent().drift, pValue: 1 } }, /^drift monitor event: drift\.pValue: /],
    ['a minimum of 0 rows', { ...driftEvent(), drift: { ...driftEvent().drift, minRows: 0 } }, /drift\.minRows: /],
    ['critical features that are not a list', { ...driftEvent(), drift: { ...driftEvent().drift, criticalFeatures: 'x' } }, /drift\.criticalFeatures: /],
    ['no endpoint name', { ...driftEvent(), endpointName: undefined }, /endpointName: /],
  ])('rejects %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler, objects } = await setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(objects.keys('monitoring/')).toEqual([]);
  });
});
