import { InvalidInputError } from '../../../lambdas/core/errors';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import type { Champion } from '../../../lambdas/core/types';
import { createPromoteHandler } from '../../../lambdas/promote/promote';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeHosting, modelPackageArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';

/** Endpoint configs of four earlier runs, oldest first. */
const OLD_CONFIGS = ['20261101', '20261102', '20261103', '20261104'].map((day) => `retrain-${day}-120000-0a0b0c`);

const RUN = '20261127-120000-abcdef';

/** The Promote champion state's payload. */
function promoteEvent(overrides: Record<string, unknown> = {}) {
  return {
    runId: RUN,
    endpointName: 'retrain',
    endpointConfigName: `retrain-${RUN}`,
    modelName: `retrain-${RUN}`,
    modelPackageArn: modelPackageArn('retrain-models', 8),
    metric: { name: 'auc', value: 0.93 },
    baselineUri: `s3://data-bucket/runs/${RUN}/baseline.json`,
    schemaUri: `s3://data-bucket/runs/${RUN}/schema.json`,
    configPrefix: 'retrain-',
    keepConfigs: 3,
    ...overrides,
  };
}

function setup() {
  const clock = new FakeClock('2026-11-27T14:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const hosting = new FakeHosting()
    .withEndpoint({ name: 'retrain', status: 'InService', endpointConfigName: `retrain-${RUN}` })
    .withConfigs(...OLD_CONFIGS, `retrain-${RUN}`);
  return { state, hosting, handler: createPromoteHandler({ state, hosting, clock }) };
}

describe('promote handler', () => {
  it('makes the run the champion and deletes the old endpoint configs', async () => {
    const { handler, state } = setup();

    const result = await handler(promoteEvent());

    expect(result.champion).toMatchObject({ runId: RUN, endpointConfigName: `retrain-${RUN}`, since: '2026-11-27T14:00:00.000Z' });
    expect((await state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk))?.data.runId).toBe(RUN);
    expect(result.deletedConfigs).toEqual([OLD_CONFIGS[1], OLD_CONFIGS[0]]);
    expect(result.cleanupFailures).toEqual([]);
  });

  it('returns failed deletions instead of failing the run', async () => {
    const { handler, hosting } = setup();
    hosting.deleteFailures.set(OLD_CONFIGS[0], 'AccessDenied');

    const result = await handler(promoteEvent());

    expect(result.cleanupFailures).toEqual([{ name: OLD_CONFIGS[0], error: 'AccessDenied' }]);
  });

  it.each([
    ['a baseline that is not an s3 URI', promoteEvent({ baselineUri: 'runs/x/baseline.json' }), /^promote event: baselineUri: /],
    ['a schema that is not an s3 URI', promoteEvent({ schemaUri: 'https://example.com/schema.json' }), /schemaUri: /],
    ['a metric value that is a string', promoteEvent({ metric: { name: 'auc', value: '0.93' } }), /metric\.value: /],
    ['keeping no config at all', promoteEvent({ keepConfigs: 0 }), /keepConfigs: /],
    ['a missing package ARN', promoteEvent({ modelPackageArn: undefined }), /modelPackageArn: /],
  ])('rejects %s with InvalidInputError naming the field, before writing anything', async (_what, event, message) => {
    const { handler, state, hosting } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(state.writes).toBe(0);
    expect(hosting.calls).toEqual([]);
  });
});
