/**
 * The retraining pipeline end to end in local mode: the state machine synthesized from the CDK
 * app runs with the Lambda handlers in-process and the local SageMaker backend, on virtual time.
 * Each scenario asserts the run's outcome, the event Finalize published, and whether the
 * champion pointer (and the config the endpoint serves) changed.
 */
import type { Champion } from '../../lambdas/core/types';
import type { LocalRetrain } from '../../local/runner';
import { localRegistry } from '../../local/sagemaker-ports';
import { dataset, openLocal, type OpenedLocal } from '../helpers/local';
import { csvRow, referencePrediction, storedModel } from '../helpers/reference-gbdt';
import {
  eventsFrom,
  finishAndClose,
  MODEL_INPUT_ROW,
  namedError,
  newRun,
  runOf,
  SCENARIO_CONFIG,
  servingConfig,
  startNewDay,
} from '../helpers/local-scenarios';

/**
 * One project through eight runs. The tests build on each other and run in order: each starts
 * from the champion the previous ones left. Day 1 trains on the original concept; day 2 on
 * data whose concept has shifted (so day 1's champion scores badly on it); day 3 on the
 * original concept again (so day 2's champion scores badly on it).
 */
describe('pipeline: runs of one project, in order', () => {
  let local: LocalRetrain;
  let faults: OpenedLocal['faults'];
  /**
   * Task states as they were attempted; `throttle` makes the next Train and Evaluate fail once,
   * `reject` makes the next Train fail as SageMaker rejects a bad request.
   */
  const attempts: string[] = [];
  const throttle = { Train: false, Evaluate: false };
  const reject = { Train: false };
  let firstPackageArn: string;

  beforeAll(async () => {
    ({ local, faults } = await openLocal(SCENARIO_CONFIG, {
      beforeTask: (state) => {
        attempts.push(state);
        if (state === 'Train' && throttle.Train) {
          throttle.Train = false;
          throw namedError('SageMaker.ThrottlingException', 'Rate exceeded (throttled by the test)');
        }
        if (state === 'Train' && reject.Train) {
          reject.Train = false;
          // How the optimized integration reports a ValidationException (SageMaker has no shape for it).
          throw namedError(
            'SageMaker.AmazonSageMakerException',
            'The requested resource type ml.m5.xlarge is not supported (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)',
          );
        }
        if (state === 'Evaluate' && throttle.Evaluate) {
          throttle.Evaluate = false;
          throw namedError('TransientError', 'the evaluation read timed out (injected by the test)');
        }
      },
    }));
  });

  afterAll(async () => {
    await finishAndClose(local);
  });

  const champion = async (): Promise<Champion> => {
    const current = await local.champion();
    if (!current) throw new Error('no champion');
    return current;
  };

  /** What the champion's model answers for MODEL_INPUT_ROW, computed independently from its artifact. */
  const championAnswer = async (current: Champion): Promise<string> => {
    const artifact = (await local.sagemaker.describeModel(current.modelName)).PrimaryContainer?.ModelDataUrl as string;
    return String(referencePrediction(await storedModel(local.store, artifact), csvRow(MODEL_INPUT_ROW))[0]);
  };

  it('deploys the first candidate when there is no champion yet', async () => {
    const events = await eventsFrom(local);

    await local.upload('raw/day-1/customers.csv', dataset(1, 1500));
    await local.settle();

    const run = await newRun(local, []);
    expect(run).toMatchObject({ status: 'deployed', trigger: { type: 'new-data' }, metric: 'auc' });
    expect(run.championMetric).toBeUndefined();
    expect(run.cause).toMatch(/no champion yet/);
    const current = await champion();
    expect(current).toMatchObject({ runId: run.runId, modelPackageArn: run.modelPackageArn, metric: { name: 'auc', value: run.candidateMetric } });
    expect(await servingConfig(local)).toBe(current.endpointConfigName);
    const published = await events.all();
    expect(published.map((e) => e.detailType)).toEqual(['Model Deployed']);
    expect(published[0].detail).toMatchObject({ runId: run.runId, outcome: 'deployed', modelPackageArn: run.modelPackageArn });
    expect(await local.invoke(MODEL_INPUT_ROW)).toBe(await championAnswer(current));
    firstPackageArn = current.modelPackageArn;
  });

  it('deploys a candidate that beats the champion on data whose concept has shifted', async () => {
    const before = await champion();
    const runsBefore = await local.runs();
    const events = await eventsFrom(local);

    startNewDay(local);
    await local.upload('raw/day-2/customers.csv', dataset(2, 1500, { concept: 1 }));
    await local.settle();

    const run = await newRun(local, runsBefore);
    expect(run.status).toBe('deployed');
    // Day 1's champion, scored on day 2's shifted concept, does worse than on its own day.
    expect(run.championMetric).toBeLessThan(before.metric.value);
    expect(run.candidateMetric! - run.championMetric!).toBeGreaterThanOrEqual(0.005);
    const after = await champion();
    expect(after.runId).toBe(run.runId);
    expect(after.runId).not.toBe(before.runId);
    expect(await servingConfig(local)).toBe(after.endpointConfigName);
    expect(await events.detailTypes()).toEqual(['Model Deployed']);
  });

  it('rejects a candidate that does not beat the champion by minImprovement, and keeps the champion', async () => {
    const before = await champion();
    const events = await eventsFrom(local);

    const execution = local.startRun({ reason: 'retrain on the same data' });
    await local.settle();

    const run = await runOf(local, execution);
    expect(run).toMatchObject({ status: 'rejected', trigger: { type: 'manual', reason: 'retrain on the same data' } });
    expect(run.cause).toMatch(/does not improve on the champion's .* \(needed 0\.005 higher\)/);
    expect((await localRegistry(local.sagemaker).describePackage(run.modelPackageArn!))?.status).toBe('Rejected');
    expect(await champion()).toEqual(before);
    expect(await servingConfig(local)).toBe(before.endpointConfigName);
    expect(await events.detailTypes()).toEqual(['Candidate Rejected']);
  });

  it('evaluates a dry run without registering or deploying anything', async () => {
    const before = await champion();
    const packagesBefore = await localRegistry(local.sagemaker).listPackages(local.names.modelPackageGroup);
    const events = await eventsFrom(local);

    const execution = local.startRun({ dryRun: true });
    await local.settle();

    const run = await runOf(local, execution);
    expect(run).toMatchObject({ status: 'dry-run', options: { dryRun: true } });
    // Training is seeded, and the data is the champion's: the candidate is the champion again.
    expect({ candidate: run.candidateMetric, champion: run.championMetric }).toEqual({ candidate: before.metric.value, champion: before.metric.value });
    expect(run.modelPackageArn).toBeUndefined();
    expect(await localRegistry(local.sagemaker).listPackages(local.names.modelPackageGroup)).toHaveLength(packagesBefore.length);
    expect(await champion()).toEqual(before);
    expect(await events.detailTypes()).toEqual(['Dry Run Evaluated']);
  });

  it('fails a run whose training job fails, with a cause naming Train; the champion keeps answering', async () => {
    const before = await champion();
    const events = await eventsFrom(local);

    faults.trainingFails = true;
    const execution = local.startRun({ reason: 'training will fail' });
    try {
      await local.settle();
    } finally {
      faults.trainingFails = false;
    }

    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toMatch(/^Train failed: AlgorithmError/);
    const run = await runOf(local, execution);
    expect(run.status).toBe('failed');
    expect(run.cause).toMatch(/^Train failed: /);
    const published = await events.all();
    expect(published.map((e) => e.detailType)).toEqual(['Run Failed']);
    expect(published[0].detail).toMatchObject({ runId: run.runId, failedStep: 'Train' });
    expect(await champion()).toEqual(before);
    expect(await local.invoke(MODEL_INPUT_ROW)).toBe(await championAnswer(before));
  });

  it('rolls back when the new endpoint config fails its health check; the old config keeps serving', async () => {
    const before = await champion();
    const runsBefore = await local.runs();
    const events = await eventsFrom(local);

    startNewDay(local);
    faults.healthCheckFails = true;
    try {
      await local.upload('raw/day-3/customers.csv', dataset(3, 1500));
      await local.settle();
    } finally {
      faults.healthCheckFails = false;
    }

    const run = await newRun(local, runsBefore);
    expect(run.status).toBe('rolled-back');
    expect(run.cause).toContain(`rolled back to ${before.endpointConfigName}`);
    expect(await champion()).toEqual(before);
    expect(await servingConfig(local)).toBe(before.endpointConfigName);
    expect(await events.detailTypes()).toEqual(['Deployment Rolled Back']);
    expect(await local.invoke(MODEL_INPUT_ROW)).toBe(await championAnswer(before));
  });

  it('retries a throttled training job and a transient Evaluate error, then deploys', async () => {
    const before = await champion();
    const events = await eventsFrom(local);
    attempts.length = 0;
    throttle.Train = true;
    throttle.Evaluate = true;

    const execution = local.startRun({ reason: 'day 3 again, now that the endpoint is healthy' });
    await local.settle();

    expect(attempts.filter((s) => s === 'Train')).toHaveLength(2);
    expect(attempts.filter((s) => s === 'Evaluate')).toHaveLength(2);
    const run = await runOf(local, execution);
    expect(run.status).toBe('deployed');
    expect((await champion()).runId).toBe(run.runId);
    expect(run.runId).not.toBe(before.runId);
    expect(await events.detailTypes()).toEqual(['Model Deployed']);
  });

  it('fails a run at once when SageMaker rejects the request (no retry can fix a ValidationException), naming the step and the cause', async () => {
    const before = await champion();
    attempts.length = 0;
    reject.Train = true;

    const execution = local.startRun({ reason: 'a request SageMaker rejects' });
    await local.settle();

    expect(attempts.filter((s) => s === 'Train')).toHaveLength(1);
    const run = await runOf(local, execution);
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run)).toMatch(/Train.*ValidationException|ValidationException.*Train/s);
    expect((await champion()).runId).toBe(before.runId);
  });

  it('redeploys an earlier approved package on a rollback request, recorded as a manual trigger', async () => {
    const events = await eventsFrom(local);

    const execution = local.startRun({ rollback: { modelPackageArn: firstPackageArn, reason: 'the day-3 model misbehaves' } });
    await local.settle();

    expect(execution.states).toContain('Prepare rollback');
    expect(execution.states).not.toContain('Train');
    const run = await runOf(local, execution);
    expect(run).toMatchObject({
      status: 'deployed',
      trigger: { type: 'manual', detail: { rollbackTo: firstPackageArn } },
      options: { rollbackTo: firstPackageArn },
    });
    expect(run.trigger.reason).toContain('the day-3 model misbehaves');
    const log = (await local.triggers()).find((t) => t.trigger.eventId === run.trigger.eventId);
    expect(log).toMatchObject({ outcome: 'started', runId: run.runId });
    const after = await champion();
    expect(after).toMatchObject({ runId: run.runId, modelPackageArn: firstPackageArn });
    expect(await servingConfig(local)).toBe(after.endpointConfigName);
    expect(await events.detailTypes()).toEqual(['Model Deployed']);
  });
});
