/**
 * MetricsSink on CloudWatch: PutMetricData with explicit timestamps (the monitors report a
 * window that ended earlier). Handlers use Powertools Metrics for plain counts instead.
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum as CloudWatchDatum } from '@aws-sdk/client-cloudwatch';
import { InvalidInputError } from '../core/errors';
import { withAwsErrors } from './aws-errors';
import { systemClock } from './clock';
import type { Clock, MetricDatum, MetricsSink } from './ports';

/** PutMetricData accepts at most this many datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000;

/** CloudWatch allows at most 30 dimensions per metric. */
const MAX_DIMENSIONS = 30;

/** Throws InvalidInputError for a datum CloudWatch would reject (no name, a non-finite value, > 30 dimensions). */
export function validateMetricDatum(datum: MetricDatum): void {
  if (typeof datum.name !== 'string' || datum.name.length === 0) {
    throw new InvalidInputError(`metric datum needs a name, got ${JSON.stringify(datum.name)}`, { context: { datum } });
  }
  if (!Number.isFinite(datum.value)) {
    throw new InvalidInputError(`metric ${datum.name}: value must be a finite number, got ${datum.value}`, { context: { metric: datum.name } });
  }
  if (datum.timestamp !== undefined && Number.isNaN(datum.timestamp.getTime())) {
    throw new InvalidInputError(`metric ${datum.name}: timestamp is an invalid date`, { context: { metric: datum.name } });
  }
  if (datum.dimensions !== undefined && Object.keys(datum.dimensions).length > MAX_DIMENSIONS) {
    throw new InvalidInputError(`metric ${datum.name}: at most ${MAX_DIMENSIONS} dimensions, got ${Object.keys(datum.dimensions).length}`, {
      context: { metric: datum.name },
    });
  }
}

function toCloudWatch(datum: MetricDatum, now: Date): CloudWatchDatum {
  return {
    MetricName: datum.name,
    Value: datum.value,
    Unit: datum.unit,
    Timestamp: datum.timestamp ?? now,
    ...(datum.dimensions === undefined ? {} : { Dimensions: Object.entries(datum.dimensions).map(([Name, Value]) => ({ Name, Value })) }),
  };
}

/** Datums without a timestamp get the clock's time at the call. Batches are sent in order. */
export function createCloudWatchMetrics(client: CloudWatchClient, namespace: string, clock: Clock = systemClock): MetricsSink {
  return {
    async put(data: readonly MetricDatum[]): Promise<void> {
      data.forEach(validateMetricDatum);
      const now = clock.now();
      for (let start = 0; start < data.length; start += MAX_DATUMS_PER_REQUEST) {
        const batch = data.slice(start, start + MAX_DATUMS_PER_REQUEST);
        await withAwsErrors(
          { service: 'CloudWatch', operation: 'PutMetricData', context: { namespace, datums: batch.length, first: batch[0].name } },
          () => client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch.map((d) => toCloudWatch(d, now)) })),
        );
      }
    },
  };
}
