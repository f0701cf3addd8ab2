/**
 * Measured runs of one case summarized: the median time (cases run several times on small
 * inputs), the throughput that gives, and the highest peak RSS seen.
 */
import { MB, median, type Measured } from './measure';

export interface CaseRun {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly startRssBytes: number;
  readonly peakRssBytes: number;
  readonly peakHeapBytes: number;
  readonly peakBuffersBytes: number;
}

export interface CaseSummary {
  /** Every run, in order. */
  readonly runs: CaseRun[];
  /** Median wall-clock seconds. */
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly rowsPerSecond: number;
  readonly mbPerSecond: number;
  /** Highest peak RSS of the runs. */
  readonly peakRssBytes: number;
  /** Highest sampled JS heap and Buffer memory of the runs. */
  readonly peakHeapBytes: number;
  readonly peakBuffersBytes: number;
}

export function summarize(runs: ReadonlyArray<Measured<unknown> | CaseRun>, work: { bytes: number; rows: number }): CaseSummary {
  const kept = runs.map(({ seconds, cpuSeconds, startRssBytes, peakRssBytes, peakHeapBytes, peakBuffersBytes }) => ({
    seconds,
    cpuSeconds,
    startRssBytes,
    peakRssBytes,
    peakHeapBytes,
    peakBuffersBytes,
  }));
  const seconds = median(kept.map((r) => r.seconds));
  return {
    runs: kept,
    seconds,
    cpuSeconds: median(kept.map((r) => r.cpuSeconds)),
    rowsPerSecond: work.rows / seconds,
    mbPerSecond: work.bytes / MB / seconds,
    peakRssBytes: Math.max(...kept.map((r) => r.peakRssBytes)),
    peakHeapBytes: Math.max(...kept.map((r) => r.peakHeapBytes)),
    peakBuffersBytes: Math.max(...kept.map((r) => r.peakBuffersBytes)),
  };
}

/** How fast a case runs next to its limit: 1 = as fast as the limit (time_limit / time_case). */
export function ratio(work: CaseSummary, limit: CaseSummary): number {
  return limit.seconds / work.seconds;
}

/** Repetitions for an input of this size: three (noise on a shared machine) up to 600 MB, one for larger ones (minutes each). */
export function repetitions(bytes: number): number {
  return bytes <= 600 * MB ? 3 : 1;
}
