import { KEYS, LockLostError } from '../../../lambdas/core/admission';
import { EndpointBusyError } from '../../../lambdas/core/deploy';
import { InvalidInputError, NotFoundError } from '../../../lambdas/core/errors';
import { createDeployHandler } from '../../../lambdas/deploy/deploy';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeHosting, FakeRegistry, modelPackage, modelPackageArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const ENDPOINT = 'retrain';
const RUN = '20261127-120000-abcdef';
const GROUP = 'retrain-models';

/** The Deploy and Describe endpoint states' payload. */
function deployEvent(action: 'deploy' | 'describe', overrides: Record<string, unknown> = {}) {
  return {
    action,
    runId: RUN,
    endpointName: ENDPOINT,
    endpointConfigName: `retrain-${RUN}`,
    serverless: false,
    strategy: { type: 'linear', canaryPercent: 10, linearStepPercent: 25, waitIntervalSeconds: 120, terminationWaitSeconds: 60 },
    rollbackAlarmNames: ['retrain-errors'],
    maxWaitSeconds: 1800,
    ...overrides,
  };
}

/** Run RUN holds the pipeline lock, as it does when its execution reaches Deploy. */
function setup() {
  const hosting = new FakeHosting();
  const registry = new FakeRegistry();
  const clock = new FakeClock();
  const state = new MemoryStateStore(clock);
  void state.put({ ...KEYS.lock, data: { runId: RUN, executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e' } }, { ifAbsent: true });
  return { hosting, registry, state, handler: createDeployHandler({ hosting, registry, state }) };
}

describe('deploy handler: only the lock holder deploys', () => {
  it('refuses with LockLostError, changing nothing, when another run holds the lock (a redriven execution whose lock was taken over)', async () => {
    const { handler, hosting, state } = setup();
    const lock = await state.get(KEYS.lock.pk, KEYS.lock.sk);
    await state.put({ ...KEYS.lock, data: { runId: '20261127-130000-ffffff', executionArn: 'arn:x' } }, { ifVersion: lock!.version });

    await expect(handler(deployEvent('deploy'))).rejects.toThrow(
      new LockLostError(`run ${RUN} no longer holds the pipeline lock (run 20261127-130000-ffffff does); deploying retrain-${RUN} changes nothing`),
    );
    expect(hosting.calls).toEqual([]);
  });

  it('still answers the status check of the poll loop without the lock', async () => {
    const { handler, hosting, state } = setup();
    hosting.withEndpoint({ name: ENDPOINT, status: 'Updating', endpointConfigName: `retrain-${RUN}` });
    const lock = await state.get(KEYS.lock.pk, KEYS.lock.sk);
    await state.delete(KEYS.lock.pk, KEYS.lock.sk, { ifVersion: lock!.version });

    await expect(handler(deployEvent('describe'))).resolves.toEqual({ name: ENDPOINT, status: 'Updating', endpointConfigName: `retrain-${RUN}`, failureReason: null });
  });
});

describe('deploy handler: deploy', () => {
  it('creates the endpoint on the first deployment', async () => {
    const { handler, hosting } = setup();

    const result = await handler(deployEvent('deploy'));

    expect(result).toEqual({ endpointName: ENDPOINT, endpointConfigName: `retrain-${RUN}`, action: 'created', previousEndpointConfigName: null });
    expect(hosting.calls).toEqual([{ op: 'createEndpoint', name: ENDPOINT, endpointConfigName: `retrain-${RUN}` }]);
  });

  it('updates an endpoint in service blue/green with the strategy of the event', async () => {
    const { handler, hosting } = setup();
    hosting.withEndpoint({ name: ENDPOINT, status: 'InService', endpointConfigName: 'retrain-old' });

    const result = await handler(deployEvent('deploy'));

    expect(result).toMatchObject({ action: 'updated', previousEndpointConfigName: 'retrain-old' });
    expect(hosting.calls).toEqual([
      {
        op: 'updateEndpoint',
        name: ENDPOINT,
        endpointConfigName: `retrain-${RUN}`,
        deployment: {
          routing: { type: 'LINEAR', percent: 25, waitIntervalSeconds: 120 },
          terminationWaitSeconds: 60,
          maximumExecutionTimeoutSeconds: 1800,
          rollbackAlarmNames: ['retrain-errors'],
        },
      },
    ]);
  });

  it('lets EndpointBusyError through for the state machine to retry', async () => {
    const { handler, hosting } = setup();
    hosting.withEndpoint({ name: ENDPOINT, status: 'Updating', endpointConfigName: 'retrain-old' });

    await expect(handler(deployEvent('deploy'))).rejects.toBeInstanceOf(EndpointBusyError);
  });
});

describe('deploy handler: describe', () => {
  it('reports the endpoint status for the poll loop without changing anything', async () => {
    const { handler, hosting } = setup();
    hosting.withEndpoint({ name: ENDPOINT, status: 'Updating', endpointConfigName: 'retrain-old' });

    const result = await handler(deployEvent('describe'));

    expect(result).toEqual({ name: ENDPOINT, status: 'Updating', endpointConfigName: 'retrain-old', failureReason: null });
    expect(hosting.calls).toEqual([]);
  });
});

describe('deploy handler: prepare-rollback', () => {
  it('reads the approved package and returns the run ready for the deploy path', async () => {
    const arn = modelPackageArn(GROUP, 3);
    const { handler, registry } = setup();
    registry.withPackage(modelPackage({ arn, group: GROUP, version: 3 }));
    const run = { runId: RUN, options: { dryRun: false, force: true, rollbackTo: arn }, trigger: { type: 'manual' } };

    const result = await handler({ action: 'prepare-rollback', run, modelPackageGroup: GROUP });

    expect(result).toMatchObject({
      ...run,
      registration: { modelPackageArn: arn },
      evaluation: { approvalStatus: 'Approved', decision: { metric: 'auc', candidate: 0.91 } },
    });
  });

  it('fails with NotFoundError for a package that does not exist', async () => {
    const { handler } = setup();
    const run = { runId: RUN, options: { rollbackTo: modelPackageArn(GROUP, 99) } };

    await expect(handler({ action: 'prepare-rollback', run, modelPackageGroup: GROUP })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects a run without options.rollbackTo with InvalidInputError naming the field', async () => {
    const { handler } = setup();

    const attempt = handler({ action: 'prepare-rollback', run: { runId: RUN, options: {} }, modelPackageGroup: GROUP });

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/^prepare-rollback event: run\.options\.rollbackTo: /);
  });
});

describe('deploy handler: event validation', () => {
  it.each([
    ['an unknown action', deployEvent('deploy', { action: 'delete' }), /^deploy event: action: /],
    ['an unknown strategy', deployEvent('deploy', { strategy: { type: 'shadow' } }), /strategy\.type: /],
    ['a wait that is not positive', deployEvent('deploy', { maxWaitSeconds: 0 }), /maxWaitSeconds: /],
    ['alarm names that are not a list', deployEvent('deploy', { rollbackAlarmNames: 'retrain-errors' }), /rollbackAlarmNames: /],
    ['no event at all', undefined, /^deploy event: \(root\): /],
  ])('rejects %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler, hosting } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(hosting.calls).toEqual([]);
  });
});
