import { CHAMPION_KEY, promoteChampion, type PromoteRequest } from '../../../lambdas/core/promote';
import type { Champion } from '../../../lambdas/core/types';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeHosting, modelPackageArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';

/** The run id of run n and the name of its endpoint config, as the pipeline writes them. */
const run = (n: number) => `2026110${n}-120000-abcdef`;
const cfg = (n: number) => `retrain-${run(n)}`;

const ENDPOINT = 'retrain';

function request(overrides: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    runId: run(5),
    endpointName: ENDPOINT,
    endpointConfigName: cfg(5),
    modelName: cfg(5),
    modelPackageArn: modelPackageArn('retrain-models', 5),
    metric: { name: 'auc', value: 0.93 },
    baselineUri: 's3://data-bucket/runs/r5/baseline.json',
    schemaUri: 's3://data-bucket/runs/r5/schema.json',
    configPrefix: 'retrain-',
    keepConfigs: 3,
    ...overrides,
  };
}

function setup(configs: string[] = [], serving = cfg(5)) {
  const clock = new FakeClock('2026-11-27T15:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const hosting = new FakeHosting().withEndpoint({ name: ENDPOINT, status: 'InService', endpointConfigName: serving }).withConfigs(...configs);
  return { state, clock, hosting, ports: { state, clock, hosting } };
}

describe('promote: the champion pointer', () => {
  it('writes the champion with what the monitors and the next run read', async () => {
    const { ports, state } = setup();

    const result = await promoteChampion(ports, request());

    const expected: Champion = {
      runId: run(5),
      modelPackageArn: modelPackageArn('retrain-models', 5),
      modelName: cfg(5),
      endpointConfigName: cfg(5),
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
    await promoteChampion(ports, request({ runId: run(4), endpointConfigName: cfg(4) }));
    clock.advanceSeconds(3600);

    await promoteChampion(ports, request());

    const history = await state.query<Champion>('CHAMPION_HISTORY');
    expect(history.map((h) => [h.sk, h.data.runId])).toEqual([
      [`2026-11-27T15:00:00.000Z#${run(4)}`, run(4)],
      [`2026-11-27T16:00:00.000Z#${run(5)}`, run(5)],
    ]);
  });

  it('returns the run id of the champion it replaced, and null on the first promotion', async () => {
    const { ports } = setup();

    const first = await promoteChampion(ports, request({ runId: run(4) }));
    const second = await promoteChampion(ports, request());

    expect(first.previousChampionRunId).toBeNull();
    expect(second.previousChampionRunId).toBe(run(4));
  });
});

describe('promote: endpoint config cleanup', () => {
  it('deletes the configs beyond the newest three', async () => {
    const { ports, hosting } = setup([cfg(1), cfg(2), cfg(3), cfg(4), cfg(5)]);

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual([cfg(2), cfg(1)]);
    expect(result.cleanupFailures).toEqual([]);
    expect(hosting.configs.map((c) => c.name)).toEqual([cfg(3), cfg(4), cfg(5)]);
  });

  it('never deletes the config the endpoint serves nor the new one, however old', async () => {
    // The endpoint still serves r1 (a rollback kept it) and the new config r2 is older than
    // configs other runs created meanwhile.
    const { ports } = setup([cfg(1), cfg(2), cfg(3), cfg(4), cfg(5), cfg(6)], cfg(1));

    const result = await promoteChampion(ports, request({ endpointConfigName: cfg(2), keepConfigs: 2 }));

    expect(result.deletedConfigs).toEqual([cfg(4), cfg(3)]);
  });

  it('only looks at configs with the project prefix', async () => {
    const { ports, hosting } = setup(['other-a', 'other-b', cfg(4), cfg(5)]);

    const result = await promoteChampion(ports, request({ keepConfigs: 1 }));

    expect(result.deletedConfigs).toEqual([cfg(4)]);
    expect(hosting.configs.map((c) => c.name)).toEqual(['other-a', 'other-b', cfg(5)]);
  });

  it("never deletes a config of another project whose name extends this one's (retrain-staging for retrain)", async () => {
    const otherProject = `retrain-staging-${run(1)}`;
    const { ports, hosting } = setup([otherProject, `retrain-prod-${run(2)}`, cfg(4), cfg(5)]);

    const result = await promoteChampion(ports, request({ keepConfigs: 1 }));

    expect(result.deletedConfigs).toEqual([cfg(4)]);
    expect(hosting.configs.map((c) => c.name)).toEqual([otherProject, `retrain-prod-${run(2)}`, cfg(5)]);
  });

  it('reports a config it could not delete in cleanupFailures and goes on with the others', async () => {
    const { ports, hosting } = setup([cfg(1), cfg(2), cfg(3), cfg(4), cfg(5)]);
    hosting.deleteFailures.set(cfg(2), 'SageMaker DeleteEndpointConfig failed: ThrottlingException');

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual([cfg(1)]);
    expect(result.cleanupFailures).toEqual([{ name: cfg(2), error: 'SageMaker DeleteEndpointConfig failed: ThrottlingException' }]);
    expect(result.champion.runId).toBe(run(5));
  });

  it('deletes nothing while there are no more configs than it keeps', async () => {
    const { ports, hosting } = setup([cfg(4), cfg(5)]);

    const result = await promoteChampion(ports, request());

    expect(result.deletedConfigs).toEqual([]);
    expect(hosting.calls).toEqual([]);
  });
});
