/** MetricsSink on a JSON Lines file (local mode): one line per datum, timestamps as ISO strings. */
import { validateMetricDatum } from '../lambdas/adapters/cloudwatch-metrics';
import { systemClock } from '../lambdas/adapters/clock';
import type { Clock, MetricDatum, MetricsSink } from '../lambdas/adapters/ports';
import { appendJsonLines, readJsonLines } from './jsonl-log';

/** A datum as stored: the timestamp is always set. */
interface StoredDatum {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricDatum['unit'];
  readonly dimensions?: Record<string, string>;
  readonly timestamp: string;
}

export interface FileMetrics extends MetricsSink {
  /** Every datum put so far, in order, each with its timestamp. */
  read(): Promise<MetricDatum[]>;
}

/** Datums are checked as CloudWatch would; those without a timestamp get the clock's time at the call. */
export function createFileMetrics(path: string, clock: Clock = systemClock): FileMetrics {
  return {
    async put(data: readonly MetricDatum[]): Promise<void> {
      data.forEach(validateMetricDatum);
      const now = clock.now();
      const stored = data.map(
        (datum): StoredDatum => ({
          name: datum.name,
          value: datum.value,
          unit: datum.unit,
          ...(datum.dimensions === undefined ? {} : { dimensions: { ...datum.dimensions } }),
          timestamp: (datum.timestamp ?? now).toISOString(),
        }),
      );
      await appendJsonLines(path, stored);
    },

    async read(): Promise<MetricDatum[]> {
      const stored = await readJsonLines<StoredDatum>(path);
      return stored.map(({ timestamp, ...datum }) => ({ ...datum, timestamp: new Date(timestamp) }));
    },
  };
}
