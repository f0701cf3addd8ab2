import {
  ASSUMPTIONS,
  cpuShare,
  endpointMonthlyCost,
  endpointPolls,
  estimateRun,
  gbSeconds,
  maxInputBytes,
  outsideWaitLoops,
  waitLoopStates,
  type RunInputs,
  type StateMachineDefinition,
} from '../../../bench/cost';
import { PRICES, type PriceTable } from '../../../bench/prices';

/** Round prices so that expected costs can be worked out by hand. */
const PRICES_FOR_TESTS: PriceTable = {
  ...PRICES,
  stepFunctions: { perStateTransition: 0.001, source: 'test' },
  lambda: { perRequest: 0.01, perGbSecondArm64: 0.1, source: 'test' },
  sagemaker: { training: { 'ml.t.big': 3.6 }, batchTransform: { 'ml.t.small': 7.2 }, realTimeInference: { 'ml.t.small': 36 }, source: 'test' },
};

const DEFINITION: StateMachineDefinition = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Task', Next: 'Choose' },
    Choose: { Type: 'Choice', Choices: [{ Next: 'Sleep' }], Default: 'Work' },
    Sleep: { Type: 'Wait', Next: 'Check' },
    Check: { Type: 'Task', Next: 'Choose' },
    Work: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Task', Next: 'Done' }, Done: { Type: 'Succeed' } } }], Next: 'Poll' },
    Poll: { Type: 'Wait', Next: 'Describe' },
    Describe: { Type: 'Task', Next: 'Settled' },
    Settled: { Type: 'Choice', Choices: [{ Next: 'End' }], Default: 'Count' },
    Count: { Type: 'Pass', Next: 'Poll' },
    End: { Type: 'Succeed' },
  },
};

describe('bench cost: the definition', () => {
  it('finds each wait loop: the Wait state first, then the states on its cycle', () => {
    expect(waitLoopStates(DEFINITION)).toEqual([
      ['Sleep', 'Check', 'Choose'],
      ['Poll', 'Describe', 'Settled', 'Count'],
    ]);
  });

  it('does not follow Catch into a loop, and ignores a Wait state on no cycle', () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Next: 'Task' },
        Task: { Type: 'Task', Next: 'End', Catch: [{ Next: 'Pause' }] } as never,
        End: { Type: 'Succeed' },
      },
    };

    expect(waitLoopStates(definition)).toEqual([]);
  });

  it('counts the states entered outside every wait loop', () => {
    const entered = ['Start', 'Choose', 'Work', 'A', 'Done', 'Poll', 'Describe', 'Settled', 'Count', 'Poll', 'Describe', 'Settled', 'End'];

    expect(outsideWaitLoops(entered, waitLoopStates(DEFINITION))).toEqual(['Start', 'Work', 'A', 'Done', 'End']);
  });
});

describe('bench cost: Lambda and limits', () => {
  it('gives a function a CPU share proportional to memory up to one vCPU at 1,769 MB', () => {
    expect(cpuShare(512)).toBeCloseTo(512 / 1769, 12);
    expect(cpuShare(1769)).toBe(1);
    expect(cpuShare(10_240)).toBe(1);
  });

  it('counts GB-seconds as memory in GiB times seconds', () => {
    expect(gbSeconds(2048, 1500)).toBe(3);
    expect(gbSeconds(512, 100)).toBe(0.05);
  });

  it('gives the largest input that one invocation prepares before its timeout', () => {
    expect(maxInputBytes(5e6, 900)).toBe(4.5e9);
  });

  it('polls the endpoint at least once, then once per interval until it settles', () => {
    expect(endpointPolls(480, 30)).toBe(16);
    expect(endpointPolls(481, 30)).toBe(17);
    expect(endpointPolls(0, 30)).toBe(1);
  });

  it('prices a standing endpoint for 730 hours, and has no price for an unlisted instance type', () => {
    expect(endpointMonthlyCost(PRICES_FOR_TESTS, 'ml.t.small', 2)).toBe(36 * 2 * 730);
    expect(endpointMonthlyCost(PRICES_FOR_TESTS, 'ml.unknown', 1)).toBeUndefined();
  });
});

describe('bench cost: one run', () => {
  const inputs: RunInputs = {
    prices: PRICES_FOR_TESTS,
    assumptions: {
      ...ASSUMPTIONS,
      apiOverheadMs: 100,
      defaultColdInitMs: 200,
      trainingStartupSeconds: 60,
      trainingReadBytesPerSecond: 1e6,
      trainingRowRoundsPerSecond: 1e5,
      trainingProvisioningSeconds: 100,
      transformStartupSeconds: 30,
      transformRowsPerSecond: 100,
      endpointSettleSeconds: 90,
    },
    config: {
      trainingInstanceType: 'ml.t.big',
      trainingInstanceCount: 1,
      numRound: 10,
      transformInstanceType: 'ml.t.small',
      endpointInstanceType: 'ml.t.small',
      endpointInstanceCount: 1,
      serverless: false,
      terminationWaitSeconds: 60,
    },
    memoryMb: { etl: 2048, deploy: 1024 },
    coldInitMs: { etl: 400 },
    states: ['Start', 'Poll', 'Describe', 'Settled', 'End'],
    waitLoops: [
      ['Sleep', 'Check', 'Choose'],
      ['Poll', 'Describe', 'Settled', 'Count'],
    ],
    endpointPollSeconds: 30,
    invocations: [
      { fn: 'etl', ms: 5 },
      { fn: 'deploy', ms: 1769 * 0.3 },
    ],
    withChampion: true,
    split: { train: 0.5, validation: 0.25, test: 0.25 },
  };
  const size = { inputBytes: 4e6, rows: 2_000, etlSeconds: 8, evaluateRowsPerSecond: 1_000 };

  it('adds one pass through the endpoint poll loop per further poll', () => {
    const run = estimateRun(inputs, size);

    // 90 s to settle at one poll per 30 s: 3 polls, the local run made 1.
    expect(run.endpointPolls).toBe(3);
    expect(run.stateTransitions).toBe(5 + 2 * 4);
  });

  it('bills Lambda for the ETL time measured, scaled local time, API calls, one cold init per function and the extra polls', () => {
    const run = estimateRun(inputs, size);

    const etl = run.lambdaByFunction.find((f) => f.fn === 'etl')!;
    const deploy = run.lambdaByFunction.find((f) => f.fn === 'deploy')!;
    expect(etl).toMatchObject({ invocations: 1, billedMs: 400 + 8000 + 100 });
    // 1024 MB is 1024/1769 of a vCPU: 530.7 ms of local CPU takes 916.8 ms; two more polls.
    const deployMs = (1769 * 0.3) / (1024 / 1769) + 100;
    expect(deploy.invocations).toBe(3);
    expect(deploy.billedMs).toBeCloseTo(200 + 3 * deployMs, 9);
    expect(run.lambdaGbSeconds).toBeCloseTo(2 * 8.5 + (deploy.billedMs / 1000) * 1, 9);
    expect(run.costs.lambda).toBeCloseTo(4 * 0.01 + run.lambdaGbSeconds * 0.1, 12);
  });

  it('estimates SageMaker instance time per instance type and prices it by the hour', () => {
    const run = estimateRun(inputs, size);

    // training: 60 s + 3 MB at 1 MB/s + 1,000 rows × 10 rounds at 100,000/s
    expect(run.sagemaker).toEqual([
      { use: 'training', instanceType: 'ml.t.big', instances: 1, seconds: 63.1, cost: (3.6 * 63.1) / 3600 },
      // two transforms (candidate and champion) of 30 s + 500 rows at 100/s
      { use: 'batch transform', instanceType: 'ml.t.small', instances: 1, seconds: 70, cost: (7.2 * 70) / 3600 },
      // both fleets while the endpoint settles and during the termination wait
      { use: 'endpoint overlap during deploy', instanceType: 'ml.t.small', instances: 1, seconds: 150, cost: (36 * 150) / 3600 },
    ]);
    expect(run.costs.stepFunctions).toBeCloseTo(13 * 0.001, 12);
    expect(run.costs.total).toBeCloseTo(run.costs.stepFunctions + run.costs.lambda + run.costs.sagemaker, 12);
  });

  it('runs one transform and no overlap on the first run, and leaves unpriced instance time out of the total', () => {
    const run = estimateRun({ ...inputs, withChampion: false, config: { ...inputs.config, trainingInstanceType: 'ml.unlisted' } }, size);

    expect(run.sagemaker.map((u) => [u.use, u.seconds, u.cost])).toEqual([
      ['training', 63.1, undefined],
      ['batch transform', 35, (7.2 * 35) / 3600],
    ]);
    expect(run.costs.sagemaker).toBeCloseTo((7.2 * 35) / 3600, 12);
  });
});
