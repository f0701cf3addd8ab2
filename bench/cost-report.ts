/**
 * The cost section: the local execution's counts, the ETL and Evaluate throughput and the
 * bundles' cold initialisation put through the cost model (cost.ts) for each measured input
 * size, plus the largest input one ETL invocation can prepare.
 */
import type { BundlesResult } from './bundles';
import { ASSUMPTIONS, endpointMonthlyCost, estimateRun, maxInputBytes, outsideWaitLoops, type Assumptions, type RunEstimate } from './cost';
import type { EtlResult } from './etl';
import type { EvaluateResult } from './evaluate';
import type { LocalRunResult } from './local-run';
import { PRICES, type PriceTable } from './prices';

/** The largest Lambda function: 10,240 MB, 15 minutes. */
export const LAMBDA_MAX_MEMORY_MB = 10_240;
export const LAMBDA_MAX_SECONDS = 900;

export interface CostReport {
  readonly prices: PriceTable;
  readonly assumptions: Assumptions;
  readonly configFile: string;
  readonly config: LocalRunResult['config'];
  readonly waitLoops: string[][];
  readonly endpointPollSeconds: number;
  readonly runs: Array<{
    readonly label: string;
    readonly outcome: string;
    readonly states: number;
    readonly outsideWaitLoops: number;
    readonly invocations: Record<string, number>;
  }>;
  /** The run the estimates are based on. */
  readonly basedOn: string;
  readonly perSize: Array<RunEstimate & { readonly sizeMb: number; readonly etlSeconds: number }>;
  readonly endpointMonthly: number | undefined;
  readonly maxEtlInput: {
    /** ETL throughput on the largest input measured (its start-up included). */
    readonly bytesPerSecond: number;
    readonly measuredOnBytes: number;
    /** Memory of the ETL function in the template. */
    readonly configuredMemoryMb: number;
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    readonly bytes: number;
    /** Wall and CPU seconds, and peak RSS, of the ETL on the largest input measured. */
    readonly seconds: number;
    readonly cpuSeconds: number;
    readonly peakRssBytes: number;
  };
}

export function buildCostReport(local: LocalRunResult, etl: EtlResult, evaluate: EvaluateResult, bundles: BundlesResult | undefined): CostReport {
  if (etl.sizes.length === 0) throw new Error('the cost model needs at least one measured ETL size');
  // The steady state: a run that replaces a champion; the first run when none was deployed.
  const withChampion = local.runs.find((r) => r.withChampion && r.outcome === 'deployed');
  const base = withChampion ?? local.runs[0];
  const memoryMb = Object.fromEntries(local.functions.map((f) => [f.fn, f.memoryMb]));
  const coldInitMs = Object.fromEntries((bundles?.bundles ?? []).map((b) => [b.name, b.coldInitMs]));
  const evaluateRun = evaluate.timings.find((t) => t.id === 'run');
  if (!evaluateRun) throw new Error('the cost model needs the evaluate-run timing');

  const perSize = etl.sizes.map((size) => ({
    sizeMb: size.sizeMb,
    etlSeconds: size.etl.seconds,
    ...estimateRun(
      {
        prices: PRICES,
        assumptions: ASSUMPTIONS,
        config: local.config,
        memoryMb,
        coldInitMs,
        states: base.states,
        waitLoops: local.waitLoops,
        endpointPollSeconds: local.endpointPollSeconds,
        invocations: base.invocations,
        withChampion: withChampion !== undefined,
        split: { train: 0.7, validation: 0.15, test: 0.15 },
      },
      { inputBytes: size.generated.bytes, rows: size.generated.rows, etlSeconds: size.etl.seconds, evaluateRowsPerSecond: evaluateRun.rowsPerSecond },
    ),
  }));

  // The sustained rate: the largest input, where start-up weighs least (fitting a line through noisy sizes is less stable).
  const largest = etl.sizes[etl.sizes.length - 1];
  const bytesPerSecond = largest.generated.bytes / largest.etl.seconds;
  return {
    prices: PRICES,
    assumptions: ASSUMPTIONS,
    configFile: local.configFile,
    config: local.config,
    waitLoops: local.waitLoops,
    endpointPollSeconds: local.endpointPollSeconds,
    runs: local.runs.map((r) => ({
      label: r.label,
      outcome: r.outcome,
      states: r.states.length,
      outsideWaitLoops: outsideWaitLoops(r.states, local.waitLoops).length,
      invocations: r.invocations.reduce<Record<string, number>>((acc, i) => ({ ...acc, [i.fn]: (acc[i.fn] ?? 0) + 1 }), {}),
    })),
    basedOn: base.label,
    perSize,
    endpointMonthly: local.config.serverless ? undefined : endpointMonthlyCost(PRICES, local.config.endpointInstanceType, local.config.endpointInstanceCount),
    maxEtlInput: {
      bytesPerSecond,
      measuredOnBytes: largest.generated.bytes,
      configuredMemoryMb: memoryMb.etl ?? 0,
      memoryMb: LAMBDA_MAX_MEMORY_MB,
      timeoutSeconds: LAMBDA_MAX_SECONDS,
      bytes: maxInputBytes(bytesPerSecond, LAMBDA_MAX_SECONDS),
      seconds: largest.etl.seconds,
      cpuSeconds: largest.etl.cpuSeconds,
      peakRssBytes: largest.etl.peakRssBytes,
    },
  };
}
