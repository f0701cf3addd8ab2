import {
  EndpointBusyError,
  EndpointStateError,
  deployEndpoint,
  endpointStatus,
  type DeployRequest,
  type DeployStrategy,
} from '../../../lambdas/core/deploy';
import { FakeHosting } from '../../helpers/fakes';

const ENDPOINT = 'retrain';

const canary: DeployStrategy = { type: 'canary', canaryPercent: 10, linearStepPercent: 20, waitIntervalSeconds: 300, terminationWaitSeconds: 120 };

function request(overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    endpointName: ENDPOINT,
    endpointConfigName: 'retrain-r2',
    serverless: false,
    strategy: canary,
    rollbackAlarmNames: ['retrain-errors', 'retrain-latency'],
    maxWaitSeconds: 3600,
    ...overrides,
  };
}

/** A hosting whose endpoint serves retrain-r1. */
function serving(status = 'InService', failureReason?: string): FakeHosting {
  return new FakeHosting().withEndpoint({ name: ENDPOINT, status, endpointConfigName: 'retrain-r1', ...(failureReason ? { failureReason } : {}) });
}

describe('deploy: deployEndpoint', () => {
  it('creates the endpoint when it does not exist yet', async () => {
    const hosting = new FakeHosting();

    const result = await deployEndpoint(hosting, request());

    expect(result).toEqual({ endpointName: ENDPOINT, endpointConfigName: 'retrain-r2', action: 'created', previousEndpointConfigName: null });
    expect(hosting.calls).toEqual([{ op: 'createEndpoint', name: ENDPOINT, endpointConfigName: 'retrain-r2' }]);
  });

  it('updates blue/green with a canary, the termination wait and the rollback alarms', async () => {
    const hosting = serving();

    const result = await deployEndpoint(hosting, request());

    expect(result).toEqual({ endpointName: ENDPOINT, endpointConfigName: 'retrain-r2', action: 'updated', previousEndpointConfigName: 'retrain-r1' });
    expect(hosting.calls).toEqual([
      {
        op: 'updateEndpoint',
        name: ENDPOINT,
        endpointConfigName: 'retrain-r2',
        deployment: {
          routing: { type: 'CANARY', percent: 10, waitIntervalSeconds: 300 },
          terminationWaitSeconds: 120,
          maximumExecutionTimeoutSeconds: 3600,
          rollbackAlarmNames: ['retrain-errors', 'retrain-latency'],
        },
      },
    ]);
  });

  it('shifts traffic linearly by the step percent', async () => {
    const hosting = serving();

    await deployEndpoint(hosting, request({ strategy: { ...canary, type: 'linear' } }));

    expect(hosting.calls[0]).toMatchObject({ deployment: { routing: { type: 'LINEAR', percent: 20, waitIntervalSeconds: 300 } } });
  });

  it('shifts all traffic at once with no wait interval and no percent', async () => {
    const hosting = serving();

    await deployEndpoint(hosting, request({ strategy: { ...canary, type: 'all-at-once' } }));

    expect(hosting.calls).toEqual([
      {
        op: 'updateEndpoint',
        name: ENDPOINT,
        endpointConfigName: 'retrain-r2',
        deployment: {
          routing: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 0 },
          terminationWaitSeconds: 120,
          maximumExecutionTimeoutSeconds: 3600,
          rollbackAlarmNames: ['retrain-errors', 'retrain-latency'],
        },
      },
    ]);
  });

  it.each([
    [60, 600],
    [600, 600],
    [5400, 5400],
    [14_400, 14_400],
    [86_400, 14_400],
  ])('clamps the execution timeout of a %i s wait to %i s (blue/green accepts 600 to 14400)', async (maxWaitSeconds, expected) => {
    const hosting = serving();

    await deployEndpoint(hosting, request({ maxWaitSeconds }));

    expect(hosting.calls[0]).toMatchObject({ deployment: { maximumExecutionTimeoutSeconds: expected } });
  });

  it('updates a serverless endpoint without deployment guardrails', async () => {
    const hosting = serving();

    const result = await deployEndpoint(hosting, request({ serverless: true }));

    expect(result.action).toBe('updated');
    expect(hosting.calls).toEqual([{ op: 'updateEndpoint', name: ENDPOINT, endpointConfigName: 'retrain-r2' }]);
  });

  it('does nothing when a redriven run finds the endpoint already on its config', async () => {
    const hosting = new FakeHosting().withEndpoint({ name: ENDPOINT, status: 'Updating', endpointConfigName: 'retrain-r2' });

    const result = await deployEndpoint(hosting, request());

    expect(result).toEqual({ endpointName: ENDPOINT, endpointConfigName: 'retrain-r2', action: 'already-current', previousEndpointConfigName: null });
    expect(hosting.calls).toEqual([]);
  });

  it.each(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'])(
    'throws EndpointBusyError, which the state machine retries, while the endpoint is %s',
    async (status) => {
      const hosting = serving(status);

      const attempt = deployEndpoint(hosting, request());

      await expect(attempt).rejects.toBeInstanceOf(EndpointBusyError);
      await expect(attempt).rejects.toMatchObject({
        name: 'EndpointBusyError',
        message: `endpoint retrain is ${status}; the update waits and retries`,
        context: { endpoint: ENDPOINT, status },
      });
      expect(hosting.calls).toEqual([]);
    },
  );

  it('throws EndpointStateError saying what to do when the endpoint Failed', async () => {
    const hosting = serving('Failed', 'The primary container did not pass the ping health check');

    const attempt = deployEndpoint(hosting, request());

    await expect(attempt).rejects.toBeInstanceOf(EndpointStateError);
    await expect(attempt).rejects.toThrow(
      'endpoint retrain is Failed (The primary container did not pass the ping health check); ' +
        'it cannot be updated — fix or delete it in the SageMaker console, then start a run',
    );
    expect(hosting.calls).toEqual([]);
  });

  it('throws EndpointStateError without a reason when SageMaker gives none', async () => {
    const hosting = serving('OutOfService');

    await expect(deployEndpoint(hosting, request())).rejects.toThrow(/^endpoint retrain is OutOfService; it cannot be updated/);
  });
});

describe('deploy: endpointStatus', () => {
  it('reports the status, the config and the failure reason the poll loop reads', async () => {
    const hosting = serving('RollingBack', 'alarm retrain-errors in ALARM');

    await expect(endpointStatus(hosting, ENDPOINT)).resolves.toEqual({
      name: ENDPOINT,
      status: 'RollingBack',
      endpointConfigName: 'retrain-r1',
      failureReason: 'alarm retrain-errors in ALARM',
    });
  });

  it('reports a null failure reason for a healthy endpoint (the Choice state reads the field)', async () => {
    await expect(endpointStatus(serving(), ENDPOINT)).resolves.toMatchObject({ status: 'InService', failureReason: null });
  });

  it('reports a missing endpoint as Failed with a reason, so the run ends instead of polling', async () => {
    await expect(endpointStatus(new FakeHosting(), ENDPOINT)).resolves.toEqual({
      name: ENDPOINT,
      status: 'Failed',
      endpointConfigName: '',
      failureReason: 'the endpoint does not exist (deleted during the deployment?)',
    });
  });
});
