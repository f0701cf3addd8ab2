import { CHAMPION_KEY, promoteChampion, type PromoteRequest } from '../../../lambdas/core/promote';
import type { Champion } from '../../../lambdas/core/types';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeHosting, modelPackageArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const ENDPOINT = 'retrain';

function request(overrides: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    runId: 'r5',
    endpointName: ENDPOINT,
    endpointConfigName: 'retrain-r5',
    modelName: 'retrain-r5',
    modelPackageArn: modelPackageArn('retrain-models', 5),
    metric: { name: 'auc', value: 0.93 },
    baselineUri: 's3://data-bucket/runs/r5/baseline.json',
    schemaUri: 's3://data-bucket/runs/r5/schema.json',
    configPrefix: 'retrain-',
    keepConfigs: 3,
    ...overrides,
  };
}

function setup(configs: string[] = [], serving = 'retrain-r5') {
  const state = new MemoryStateStore();
  const clock = new FakeClock('2026-11-27T15:00:00.000Z');
  const hosting = new FakeHosting().withEndpoint({ name: ENDPOINT, status: 'InService', endpointConfigName: serving }).withConfigs(...configs);
  return { state, clock, hosting, ports: { state, clock, hosting } };
}

describe('promote: the champion pointer', () => {
  it('writes the champion with what the monitors and the next run read', async () => {
    const { ports, state } = setup();

    const result = await promoteChampion(ports, request());

    const expected: Champion = {
      runId: 'r5',
      modelPackageArn: modelPackageArn('retrain-models', 5),
      modelName: 'retrain-r5',
      endpointConfigName: 'retrain-r5',
      metric: { name: 'auc', value: 0.93 },
      baselineUri: 's3://data-bucket/runs/r5/baseline.json',
      schemaUri: 's3://data-bucket/runs/r5/schema.json',
      since: '2026-11-27T15:00:00.000Z',
    };
    expect(result.champion).toEqual(expected);
    expect((await state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk))?.data).toEqual(expected);
  });

  it('keeps every champion in the history, sorted by time', async () => {
    const { ports, state, clock } = setup();
    await promoteChampion(ports, request({ runId: 'r4', endpointConfigName: 'retrain-r4' }));
    clock.advanceSeconds(3600);

    await promoteChampion(ports, request());

    const history = await state.query<Champion>('CHAMPION_HISTORY');
    expect(history.map((h) => [h.sk, h.data.runId])).toEqual([
      ['2026-11-27T15:00:00.000Z#r4', 'r4'],
      ['2026-11-27T16:00:00.000Z#r5', 'r5'],
    ]);
  });

  it('returns the run id of the champion it replaced, and null on the first promotion', async () => {
    const { ports } = setup();

    const first = await promoteChampion(ports, request({ runId: 'r4' }));
    const second = await promoteChampion(ports, request());

    expect(first.previousChampionRunId).toBeNull();
    expect(second.previousChampionRunId).toBe('r4');
  });
});

describe('promote: endpoint config cleanup', () => {
  it('deletes the configs beyond the newest three', async () => {
    const { ports, hosting } = setup(['retrain-r1', 'retrain-r2', 'retrain-r3', 'retrain-r4', 'retrain-r5']);

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual(['retrain-r2', 'retrain-r1']);
    expect(result.cleanupFailures).toEqual([]);
    expect(hosting.configs.map((c) => c.name)).toEqual(['retrain-r3', 'retrain-r4', 'retrain-r5']);
  });

  it('never deletes the config the endpoint serves nor the new one, however old', async () => {
    // The endpoint still serves r1 (a rollback kept it) and the new config r2 is older than
    // configs other runs created meanwhile.
    const { ports } = setup(['retrain-r1', 'retrain-r2', 'retrain-r3', 'retrain-r4', 'retrain-r5', 'retrain-r6'], 'retrain-r1');

    const result = await promoteChampion(ports, request({ endpointConfigName: 'retrain-r2', keepConfigs: 2 }));

    expect(result.deletedConfigs).toEqual(['retrain-r4', 'retrain-r3']);
  });

  it('only looks at configs with the project prefix', async () => {
    const { ports, hosting } = setup(['other-a', 'other-b', 'retrain-r4', 'retrain-r5']);

    const result = await promoteChampion(ports, request({ keepConfigs: 1 }));

    expect(result.deletedConfigs).toEqual(['retrain-r4']);
    expect(hosting.configs.map((c) => c.name)).toEqual(['other-a', 'other-b', 'retrain-r5']);
  });

  it('reports a config it could not delete in cleanupFailures and goes on with the others', async () => {
    const { ports, hosting } = setup(['retrain-r1', 'retrain-r2', 'retrain-r3', 'retrain-r4', 'retrain-r5']);
    hosting.deleteFailures.set('retrain-r2', 'SageMaker DeleteEndpointConfig failed: ThrottlingException');

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual(['retrain-r1']);
    expect(result.cleanupFailures).toEqual([{ name: 'retrain-r2', error: 'SageMaker DeleteEndpointConfig failed: ThrottlingException' }]);
    expect(result.champion.runId).toBe('r5');
  });

  it('deletes nothing while there are no more configs than it keeps', async () => {
    const { ports, hosting } = setup(['retrain-r4', 'retrain-r5']);

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual([]);
    expect(hosting.calls).toEqual([]);
  });
});
