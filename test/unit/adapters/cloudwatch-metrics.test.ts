import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidInputError, TransientError } from '../../../lambdas/core/errors';
import { createCloudWatchMetrics } from '../../../lambdas/adapters/cloudwatch-metrics';
import type { MetricDatum } from '../../../lambdas/adapters/ports';
import { VirtualClock } from '../../../local/virtual-clock';
import { sentCommandProblems } from '../../helpers/api-model';

const NOW = new Date('2024-03-01T12:00:00.000Z');
const cloudwatch = mockClient(CloudWatchClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(cloudwatch)).toEqual([]));

describe('cloudwatch-metrics', () => {
  const sink = createCloudWatchMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'Retrain', new VirtualClock(NOW));

  beforeEach(() => {
    cloudwatch.reset();
    cloudwatch.on(PutMetricDataCommand).resolves({});
  });

  it('puts datums to the namespace with their unit, dimensions and timestamp', async () => {
    const windowEnd = new Date('2024-03-01T11:00:00.000Z');

    await sink.put([
      { name: 'DriftShare', value: 0.4, unit: 'None', dimensions: { Endpoint: 'retrain', Model: 'm1' }, timestamp: windowEnd },
      { name: 'Runs', value: 1, unit: 'Count' },
    ]);

    expect(cloudwatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'Retrain',
      MetricData: [
        {
          MetricName: 'DriftShare',
          Value: 0.4,
          Unit: 'None',
          Timestamp: windowEnd,
          Dimensions: [
            { Name: 'Endpoint', Value: 'retrain' },
            { Name: 'Model', Value: 'm1' },
          ],
        },
        { MetricName: 'Runs', Value: 1, Unit: 'Count', Timestamp: NOW },
      ],
    });
  });

  it('sends at most 1000 datums per request, in order', async () => {
    const data: MetricDatum[] = Array.from({ length: 2500 }, (_, i) => ({ name: 'Rows', value: i, unit: 'Count' }));

    await sink.put(data);

    const batches = cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData ?? []);
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.map((b) => b[0].Value)).toEqual([0, 1000, 2000]);
  });

  it('sends nothing for no datums', async () => {
    await sink.put([]);

    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  });

  it('rejects a non-finite value before sending anything', async () => {
    const attempt = sink.put([
      { name: 'Ok', value: 1, unit: 'Count' },
      { name: 'Auc', value: Number.NaN, unit: 'None' },
    ]);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/metric Auc: value must be a finite number/);
    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  });

  it('maps a throttled request to a TransientError naming the namespace', async () => {
    cloudwatch.on(PutMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await expect(sink.put([{ name: 'Runs', value: 1, unit: 'Count' }])).rejects.toMatchObject({
      name: 'TransientError',
      context: expect.objectContaining({ namespace: 'Retrain' }),
    });
    await expect(sink.put([{ name: 'Runs', value: 1, unit: 'Count' }])).rejects.toBeInstanceOf(TransientError);
  });
});
