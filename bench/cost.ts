/**
 * The cost model of one happy-path run: pure arithmetic on what was measured (states entered and
 * Lambda invocations of a local execution, ETL and evaluation throughput, cold initialisation of
 * the bundles) and on stated assumptions for what cannot be measured on one machine (SageMaker
 * job times, AWS API latency). Every assumption is a named field of ASSUMPTIONS, shown in the
 * report next to the figures it produces.
 */
import { instancePrice, type PriceTable } from './prices';

// ----------------------------------------------------------------- the definition

export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<string, DefinitionState>;
}

interface DefinitionState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Choices?: ReadonlyArray<{ readonly Next?: string }>;
  readonly Branches?: readonly StateMachineDefinition[];
}

/**
 * The wait loops of a definition: for every Wait state, the states on a cycle through it
 * (following Next, Choices and Default, not Catch), the Wait state first. A run passes through
 * such a loop as many times as the thing it waits for takes, so its states are counted apart.
 */
export function waitLoopStates(definition: StateMachineDefinition): string[][] {
  const loops: string[][] = [];
  const visit = (machine: StateMachineDefinition) => {
    const next = (name: string): string[] => {
      const state = machine.States[name];
      if (!state) return [];
      return [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined);
    };
    const reachable = (from: string): string[] => {
      const seen: string[] = [];
      const queue = next(from);
      while (queue.length > 0) {
        const name = queue.shift()!;
        if (seen.includes(name)) continue;
        seen.push(name);
        queue.push(...next(name));
      }
      return seen;
    };
    for (const [name, state] of Object.entries(machine.States)) {
      if (state.Type === 'Wait') {
        const onCycle = reachable(name).filter((other) => other !== name && reachable(other).includes(name));
        if (reachable(name).includes(name)) loops.push([name, ...onCycle]);
      }
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(definition);
  return loops;
}

/** States entered outside every wait loop. */
export function outsideWaitLoops(states: readonly string[], loops: readonly (readonly string[])[]): string[] {
  const inLoop = new Set(loops.flat());
  return states.filter((s) => !inLoop.has(s));
}

// ----------------------------------------------------------------- Lambda

/** Memory at which a function gets one full vCPU; below it, CPU time is a proportional share. */
export const FULL_VCPU_MB = 1769;

/** Share of one vCPU a function of this memory size gets (single-threaded work cannot use more than one). */
export function cpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / FULL_VCPU_MB);
}

export function gbSeconds(memoryMb: number, ms: number): number {
  return (memoryMb / 1024) * (ms / 1000);
}

/** Largest input one invocation can prepare before its timeout at `bytesPerSecond` (start-up included in the rate). */
export function maxInputBytes(bytesPerSecond: number, timeoutSeconds: number): number {
  return bytesPerSecond * timeoutSeconds;
}

// ----------------------------------------------------------------- assumptions

/** What the model assumes where one machine cannot measure AWS. Each is shown in the report. */
export interface Assumptions {
  /** Per Lambda invocation: AWS API round trips (DynamoDB, SageMaker, SNS, EventBridge) that local mode answers from files. */
  readonly apiOverheadMs: number;
  /** Cold initialisation billed per run and function when the bundle figure is missing (functions run hours apart, so each run starts cold). */
  readonly defaultColdInitMs: number;
  /** Billable seconds of a training job before it reads data: container start, algorithm set-up, model upload. */
  readonly trainingStartupSeconds: number;
  /** The built-in XGBoost reading CSV into its matrix, bytes per second. */
  readonly trainingReadBytesPerSecond: number;
  /** Histogram boosting throughput on the training instance: rows × rounds per second (25 features, depth 5). */
  readonly trainingRowRoundsPerSecond: number;
  /** Unbilled wall time before a training job starts (instance provisioning). */
  readonly trainingProvisioningSeconds: number;
  /** Billable seconds of a batch transform job besides scoring: instance and container start. */
  readonly transformStartupSeconds: number;
  /** Rows per second the XGBoost container scores in a batch transform (MultiRecord, 6 MB batches). */
  readonly transformRowsPerSecond: number;
  /** Wall time from CreateEndpoint/UpdateEndpoint until the endpoint is InService again. */
  readonly endpointSettleSeconds: number;
}

export const ASSUMPTIONS: Assumptions = {
  apiOverheadMs: 100,
  defaultColdInitMs: 300,
  trainingStartupSeconds: 60,
  trainingReadBytesPerSecond: 50e6,
  trainingRowRoundsPerSecond: 1e7,
  trainingProvisioningSeconds: 120,
  transformStartupSeconds: 150,
  transformRowsPerSecond: 20_000,
  endpointSettleSeconds: 480,
};

// ----------------------------------------------------------------- one run

export interface RunInputs {
  readonly prices: PriceTable;
  readonly assumptions: Assumptions;
  readonly config: {
    readonly trainingInstanceType: string;
    readonly trainingInstanceCount: number;
    readonly numRound: number;
    readonly transformInstanceType: string;
    readonly endpointInstanceType: string;
    readonly endpointInstanceCount: number;
    readonly serverless: boolean;
    readonly terminationWaitSeconds: number;
  };
  /** Memory of every function (folder name → MB). */
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Cold initialisation per function, ms (bundle benchmark). */
  readonly coldInitMs: Readonly<Record<string, number>>;
  /** States the local happy-path run entered (one pass through each wait loop it met). */
  readonly states: readonly string[];
  readonly waitLoops: readonly (readonly string[])[];
  readonly endpointPollSeconds: number;
  /** Lambda invocations of the local run with their measured durations. */
  readonly invocations: ReadonlyArray<{ readonly fn: string; readonly ms: number }>;
  /** Whether the run has a champion (two batch transforms, a blue/green update instead of a create). */
  readonly withChampion: boolean;
  readonly split: { readonly train: number; readonly validation: number; readonly test: number };
}

export interface RunSize {
  readonly inputBytes: number;
  readonly rows: number;
  /** ETL wall seconds for this input (measured, or from the fitted rate). */
  readonly etlSeconds: number;
  /** Evaluate core throughput (rows per second, candidate and champion scored). */
  readonly evaluateRowsPerSecond: number;
}

export interface InstanceUse {
  readonly use: 'training' | 'batch transform' | 'endpoint overlap during deploy';
  readonly instanceType: string;
  readonly instances: number;
  /** Billable seconds per instance, summed over the run's jobs. */
  readonly seconds: number;
  /** Undefined when the price table has no price for the instance type. */
  readonly cost: number | undefined;
}

export interface RunEstimate {
  readonly inputBytes: number;
  readonly rows: number;
  readonly stateTransitions: number;
  readonly endpointPolls: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly lambdaByFunction: Array<{ readonly fn: string; readonly invocations: number; readonly billedMs: number; readonly gbSeconds: number }>;
  readonly sagemaker: InstanceUse[];
  readonly costs: {
    readonly stepFunctions: number;
    readonly lambda: number;
    readonly sagemaker: number;
    readonly total: number;
  };
  /** Wall time of the run, start to Finalize (estimate). */
  readonly wallSeconds: number;
}

/** Polls of the endpoint until it is InService: the first right after Deploy, then one per interval. */
export function endpointPolls(settleSeconds: number, pollSeconds: number): number {
  return Math.max(1, Math.ceil(settleSeconds / pollSeconds));
}

export function estimateRun(inputs: RunInputs, size: RunSize): RunEstimate {
  const a = inputs.assumptions;
  const c = inputs.config;
  const trainRows = size.rows * inputs.split.train;
  const testRows = size.rows * inputs.split.test;

  // State transitions: the local run polled the endpoint once; in AWS every further poll passes the loop again.
  const polls = endpointPolls(a.endpointSettleSeconds, inputs.endpointPollSeconds);
  // The loop the run waited in (its Wait state was entered): the endpoint poll. A manual run skips the debounce loop.
  const pollLoop = inputs.waitLoops.find((loop) => inputs.states.includes(loop[0])) ?? [];
  const stateTransitions = inputs.states.length + (polls - 1) * pollLoop.length;

  // Lambda: local durations scaled to each function's CPU share, plus API latency; ETL and Evaluate from the benchmarks.
  const byFunction = new Map<string, { invocations: number; billedMs: number }>();
  const add = (fn: string, ms: number) => {
    const entry = byFunction.get(fn) ?? { invocations: 0, billedMs: inputs.coldInitMs[fn] ?? a.defaultColdInitMs };
    entry.invocations += 1;
    entry.billedMs += ms;
    byFunction.set(fn, entry);
  };
  let describeMs: number | undefined;
  for (const invocation of inputs.invocations) {
    const memory = inputs.memoryMb[invocation.fn] ?? 512;
    let ms = invocation.ms / cpuShare(memory);
    if (invocation.fn === 'etl') ms = size.etlSeconds * 1000;
    // Measured with a champion's predictions too; the first run reads one predictions file less (a slight overestimate).
    if (invocation.fn === 'evaluate') ms = Math.max(ms, (testRows * 1000) / size.evaluateRowsPerSecond);
    if (invocation.fn === 'deploy') describeMs = Math.min(describeMs ?? Infinity, ms);
    add(invocation.fn, ms + a.apiOverheadMs);
  }
  for (let i = 1; i < polls; i++) add('deploy', (describeMs ?? 0) + a.apiOverheadMs);
  const lambdaByFunction = [...byFunction].map(([fn, e]) => ({ fn, ...e, gbSeconds: gbSeconds(inputs.memoryMb[fn] ?? 512, e.billedMs) }));
  const lambdaInvocations = lambdaByFunction.reduce((s, f) => s + f.invocations, 0);
  const lambdaGbSeconds = lambdaByFunction.reduce((s, f) => s + f.gbSeconds, 0);

  // SageMaker: training, one or two batch transforms, and the old and new fleets side by side during a blue/green update.
  const trainingSeconds =
    a.trainingStartupSeconds +
    (size.inputBytes * (inputs.split.train + inputs.split.validation)) / a.trainingReadBytesPerSecond +
    (trainRows * c.numRound) / (a.trainingRowRoundsPerSecond * c.trainingInstanceCount);
  const transformSeconds = a.transformStartupSeconds + testRows / a.transformRowsPerSecond;
  const transforms = inputs.withChampion ? 2 : 1;
  const overlapSeconds = inputs.withChampion && !c.serverless ? a.endpointSettleSeconds + c.terminationWaitSeconds : 0;
  const use = (
    kind: InstanceUse['use'],
    priceUse: 'training' | 'batchTransform' | 'realTimeInference',
    instanceType: string,
    instances: number,
    seconds: number,
  ): InstanceUse => {
    const price = instancePrice(inputs.prices, priceUse, instanceType);
    return { use: kind, instanceType, instances, seconds, cost: price === undefined ? undefined : (price * instances * seconds) / 3600 };
  };
  const sagemaker = [
    use('training', 'training', c.trainingInstanceType, c.trainingInstanceCount, trainingSeconds),
    use('batch transform', 'batchTransform', c.transformInstanceType, 1, transforms * transformSeconds),
    ...(overlapSeconds > 0 ? [use('endpoint overlap during deploy', 'realTimeInference', c.endpointInstanceType, c.endpointInstanceCount, overlapSeconds)] : []),
  ];

  const p = inputs.prices;
  const stepFunctions = stateTransitions * p.stepFunctions.perStateTransition;
  const lambda = lambdaInvocations * p.lambda.perRequest + lambdaGbSeconds * p.lambda.perGbSecondArm64;
  const sagemakerCost = sagemaker.reduce((s, u) => s + (u.cost ?? 0), 0);
  const wallSeconds =
    lambdaByFunction.reduce((s, f) => s + f.billedMs, 0) / 1000 +
    a.trainingProvisioningSeconds +
    trainingSeconds +
    transformSeconds +
    polls * inputs.endpointPollSeconds;
  return {
    inputBytes: size.inputBytes,
    rows: size.rows,
    stateTransitions,
    endpointPolls: polls,
    lambdaInvocations,
    lambdaGbSeconds,
    lambdaByFunction,
    sagemaker,
    costs: { stepFunctions, lambda, sagemaker: sagemakerCost, total: stepFunctions + lambda + sagemakerCost },
    wallSeconds,
  };
}

/** Monthly cost of the endpoint that keeps serving between runs (730 hours), or undefined without a price. */
export function endpointMonthlyCost(prices: PriceTable, instanceType: string, instances: number): number | undefined {
  const price = instancePrice(prices, 'realTimeInference', instanceType);
  return price === undefined ? undefined : price * instances * 730;
}
