import { InvalidInputError } from '../../../lambdas/core/errors';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import type { Champion, ModelSchema } from '../../../lambdas/core/types';
import { createQualityMonitorHandler } from '../../../lambdas/quality-monitor/quality-monitor';
import { captureFile, captureLine } from '../../helpers/capture';
import { FakeClock } from '../../helpers/fake-clock';
import { modelPackageArn } from '../../helpers/fakes';
import { MemoryMetrics, MemoryObjectStore } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const NOW = '2026-11-27T12:00:00.000Z';

const SCHEMA: ModelSchema = { version: 1, runId: 'r1', problemType: 'binary', target: 'label', classes: ['0', '1'], features: [{ name: 'x', kind: 'numeric' }] };

const CHAMPION: Champion = {
  runId: 'r1',
  modelPackageArn: modelPackageArn('retrain-models', 1),
  modelName: 'retrain-r1',
  endpointConfigName: 'retrain-r1',
  metric: { name: 'accuracy', value: 0.9 },
  baselineUri: 's3://data-bucket/runs/r1/baseline.json',
  schemaUri: 's3://data-bucket/runs/r1/schema.json',
  since: '2026-11-27T00:00:00.000Z',
};

/** The scheduled rule's input. */
function qualityEvent(overrides: Record<string, unknown> = {}) {
  return {
    projectName: 'retrain',
    endpointName: 'retrain',
    variantName: 'AllTraffic',
    metric: 'accuracy',
    direction: 'maximize',
    maxRelativeDrop: 0.05,
    minLabeledRows: 50,
    ...overrides,
  };
}

async function setup(options: { champion?: boolean } = {}) {
  const objects = new MemoryObjectStore();
  const clock = new FakeClock(NOW);
  const state = new MemoryStateStore(clock);
  const metrics = new MemoryMetrics();
  if (options.champion !== false) {
    objects.put('runs/r1/schema.json', JSON.stringify(SCHEMA));
    await state.put({ ...CHAMPION_KEY, data: CHAMPION }, { always: true });
  }
  const handler = createQualityMonitorHandler({ objects, state, metrics, clock });
  return { objects, metrics, handler };
}

/** n captured predictions with their ground truth; the first `wrong` predictions are wrong. */
function putTraffic(objects: MemoryObjectStore, n: number, wrong: number): void {
  const captures: string[] = [];
  const truths: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const score = (i < wrong ? 1 - label : label) === 1 ? 0.8 : 0.2;
    captures.push(captureLine({ rows: [String(i)], outputs: [String(score)], eventId: `e-${i}`, inferenceId: `inf-${i}`, inferenceTime: '2026-11-27T09:10:00Z' }));
    truths.push(JSON.stringify({ inferenceId: `inf-${i}`, label }));
  }
  objects.put('capture/retrain/AllTraffic/2026/11/27/09/a.jsonl', captureFile(captures), new Date('2026-11-27T09:15:00Z'));
  objects.put('ground-truth/2026/11/27/11/a.jsonl', captureFile(truths), new Date('2026-11-27T11:00:00Z'));
}

describe('quality monitor handler', () => {
  it('reports NO_CHAMPION with no value before the first deployment', async () => {
    const { handler } = await setup({ champion: false });

    const result = await handler(qualityEvent());

    expect(result).toEqual({ reportKey: `monitoring/quality/${NOW}.json`, status: 'NO_CHAMPION', value: null });
  });

  it('reports INSUFFICIENT_DATA with no value while too few predictions are labelled', async () => {
    const { handler, objects } = await setup();
    putTraffic(objects, 20, 0);

    const result = await handler(qualityEvent());

    expect(result).toMatchObject({ status: 'INSUFFICIENT_DATA', value: null });
  });

  it('reports OK with the live metric when the model holds up', async () => {
    const { handler, objects } = await setup();
    putTraffic(objects, 100, 5);

    const result = await handler(qualityEvent());

    expect(result).toEqual({ reportKey: `monitoring/quality/${NOW}.json`, status: 'OK', value: 0.95 });
  });

  it('reports DEGRADED with the live metric when it fell below the floor', async () => {
    const { handler, objects, metrics } = await setup();
    putTraffic(objects, 100, 30);

    const result = await handler(qualityEvent({ floor: 0.8 }));

    expect(result).toMatchObject({ status: 'DEGRADED', value: 0.7 });
    expect(metrics.named('QualityDegraded')[0]).toMatchObject({ value: 1 });
  });

  it.each([
    ['an unknown direction', qualityEvent({ direction: 'higher' }), /^quality monitor event: direction: /],
    ['a relative drop of 1', qualityEvent({ maxRelativeDrop: 1 }), /maxRelativeDrop: /],
    ['a fractional row minimum', qualityEvent({ minLabeledRows: 2.5 }), /minLabeledRows: /],
    ['a floor that is a string', qualityEvent({ floor: '0.8' }), /floor: /],
    ['no metric', qualityEvent({ metric: undefined }), /metric: /],
  ])('rejects %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler, objects } = await setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(objects.keys('monitoring/')).toEqual([]);
  });
});
