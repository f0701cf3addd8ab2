/**
 * Published on-demand list prices the cost model uses: one region, one date. They are typed in
 * here, not fetched (the benchmark makes no network calls); check them against the pages below
 * before quoting a figure, and update `asOf` when you do.
 */
export interface PriceTable {
  readonly region: string;
  /** When these prices were taken from the pages below (YYYY-MM-DD). */
  readonly asOf: string;
  readonly currency: 'USD';
  readonly stepFunctions: {
    /** Standard workflows, per state transition (retries included), beyond the free tier. */
    readonly perStateTransition: number;
    readonly source: string;
  };
  readonly lambda: {
    readonly perRequest: number;
    /** arm64, first pricing tier (up to 7.5 billion GB-seconds a month). */
    readonly perGbSecondArm64: number;
    readonly source: string;
  };
  readonly sagemaker: {
    /** Per instance-hour, by instance type. */
    readonly training: Readonly<Record<string, number>>;
    readonly batchTransform: Readonly<Record<string, number>>;
    readonly realTimeInference: Readonly<Record<string, number>>;
    readonly source: string;
  };
}

export const PRICES: PriceTable = {
  region: 'us-east-1',
  asOf: '2026-11-27',
  currency: 'USD',
  stepFunctions: {
    perStateTransition: 0.025 / 1000,
    source: 'https://aws.amazon.com/step-functions/pricing/ (US East (N. Virginia): $0.0250 per 1,000 state transitions)',
  },
  lambda: {
    perRequest: 0.2 / 1_000_000,
    perGbSecondArm64: 0.0000133334,
    source: 'https://aws.amazon.com/lambda/pricing/ (Arm: $0.20 per 1M requests, $0.0000133334 per GB-second)',
  },
  sagemaker: {
    training: { 'ml.m5.large': 0.115, 'ml.m5.xlarge': 0.23, 'ml.m5.2xlarge': 0.461, 'ml.m5.4xlarge': 0.922 },
    batchTransform: { 'ml.m5.large': 0.115, 'ml.m5.xlarge': 0.23, 'ml.m5.2xlarge': 0.461, 'ml.m5.4xlarge': 0.922 },
    realTimeInference: { 'ml.m5.large': 0.115, 'ml.m5.xlarge': 0.23, 'ml.m5.2xlarge': 0.461, 'ml.m5.4xlarge': 0.922 },
    source: 'https://aws.amazon.com/sagemaker/pricing/ (on-demand, per instance-hour, billed per second)',
  },
};

/** The hourly price of an instance type for a use, or undefined when the table does not list it. */
export function instancePrice(prices: PriceTable, use: 'training' | 'batchTransform' | 'realTimeInference', instanceType: string): number | undefined {
  return prices.sagemaker[use][instanceType];
}
