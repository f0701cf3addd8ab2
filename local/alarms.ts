/**
 * CloudWatch alarms in local mode, evaluated from their template definitions — metric,
 * namespace, dimensions, statistic, period, threshold, comparison, evaluation periods,
 * datapoints to alarm, missing-data treatment — over the metrics the functions published. A
 * change of state is put on the event bus as "CloudWatch Alarm State Change" (what the
 * trigger rules listen to) and sent to the alarm's SNS actions.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Clock, MetricDatum, Notifier } from '../lambdas/adapters/ports';
import type { CfnTemplate } from './assembly';
import type { LocalEventBus } from './event-bus';
import type { Intrinsics } from './intrinsics';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface LocalAlarm {
  readonly name: string;
  readonly arn: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  readonly actions: string[];
}

export interface AlarmChange {
  readonly alarm: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

/** Metrics the local functions publish go to one namespace (the stack's). */
const LOCAL_NAMESPACE = 'retrain';

export class LocalAlarms {
  readonly alarms: LocalAlarm[];
  private states: Record<string, AlarmState>;

  constructor(
    template: CfnTemplate,
    intrinsics: Intrinsics,
    private readonly statePath: string,
    private readonly clock: Clock,
    private readonly readMetrics: () => Promise<MetricDatum[]>,
    private readonly bus: LocalEventBus,
    private readonly notifier: Notifier,
  ) {
    this.alarms = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([logicalId, r]) => {
        const p = intrinsics.resolve(r.Properties ?? {}) as Record<string, unknown>;
        return {
          name: String(p.AlarmName ?? logicalId),
          arn: String(intrinsics.getAtt(logicalId, 'Arn')),
          namespace: String(p.Namespace),
          metricName: String(p.MetricName),
          dimensions: Object.fromEntries(((p.Dimensions as Array<{ Name: string; Value: string }>) ?? []).map((d) => [d.Name, String(d.Value)])),
          statistic: String(p.Statistic ?? p.ExtendedStatistic ?? 'Average'),
          periodSeconds: Number(p.Period ?? 300),
          threshold: Number(p.Threshold),
          comparison: String(p.ComparisonOperator),
          evaluationPeriods: Number(p.EvaluationPeriods ?? 1),
          datapointsToAlarm: Number(p.DatapointsToAlarm ?? p.EvaluationPeriods ?? 1),
          treatMissingData: (p.TreatMissingData ?? 'missing') as LocalAlarm['treatMissingData'],
          actions: ((p.AlarmActions as string[]) ?? []).map(String),
        };
      });
    this.states = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, AlarmState>) : {};
  }

  state(name: string): AlarmState {
    return this.states[name] ?? 'INSUFFICIENT_DATA';
  }

  /** Evaluates every alarm at the clock's time; emits an event for each change of state. */
  async evaluate(): Promise<AlarmChange[]> {
    const now = this.clock.now();
    const data = await this.readMetrics();
    const changes: AlarmChange[] = [];
    for (const alarm of this.alarms) {
      const { state, reason } = evaluateAlarm(alarm, data, now);
      const previous = this.state(alarm.name);
      if (state === previous) continue;
      this.states[alarm.name] = state;
      changes.push({ alarm: alarm.name, from: previous, to: state, reason });
      await this.bus.emit({
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        resources: [alarm.arn],
        detail: {
          alarmName: alarm.name,
          state: { value: state, reason, timestamp: now.toISOString() },
          previousState: { value: previous, reason: 'previous evaluation', timestamp: now.toISOString() },
          configuration: { metrics: [{ metricStat: { metric: { namespace: alarm.namespace, name: alarm.metricName, dimensions: alarm.dimensions } } }] },
        },
      });
      if (state === 'ALARM' && alarm.actions.length > 0) await this.notifier.notify(`ALARM: "${alarm.name}"`, reason);
    }
    writeFileSync(this.statePath, `${JSON.stringify(this.states, null, 2)}\n`);
    return changes;
  }
}

/** One alarm at one time: M of the last N periods breaching (with the missing-data treatment) is ALARM. */
export function evaluateAlarm(alarm: LocalAlarm, data: readonly MetricDatum[], now: Date): { state: AlarmState; reason: string } {
  if (alarm.namespace !== LOCAL_NAMESPACE) return { state: 'INSUFFICIENT_DATA', reason: `local mode has no ${alarm.namespace} metrics` };
  const matching = data.filter((d) => d.name === alarm.metricName && sameDimensions(d.dimensions ?? {}, alarm.dimensions));
  const periodMs = alarm.periodSeconds * 1000;
  const end = now.getTime();
  let breaching = 0;
  let present = 0;
  const values: string[] = [];
  for (let i = 0; i < alarm.evaluationPeriods; i++) {
    const from = end - (i + 1) * periodMs;
    const to = end - i * periodMs;
    const points = matching.filter((d) => {
      const t = (d.timestamp ? new Date(d.timestamp) : now).getTime();
      return t > from && t <= to;
    });
    if (points.length === 0) {
      values.push('missing');
      if (alarm.treatMissingData === 'breaching') breaching++;
      continue;
    }
    present++;
    const value = aggregate(alarm.statistic, points.map((p) => p.value));
    values.push(String(Number(value.toFixed(4))));
    if (compare(alarm.comparison, value, alarm.threshold)) breaching++;
  }
  const reason = `${alarm.metricName} over the last ${alarm.evaluationPeriods} periods of ${alarm.periodSeconds} s: [${values.join(', ')}]; ${breaching} breaching (needs ${alarm.datapointsToAlarm}, threshold ${alarm.comparison} ${alarm.threshold})`;
  if (present === 0 && alarm.treatMissingData === 'missing') return { state: 'INSUFFICIENT_DATA', reason };
  return { state: breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK', reason };
}

function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function aggregate(statistic: string, values: number[]): number {
  switch (statistic) {
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

function compare(operator: string, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      throw new Error(`local mode does not evaluate ${operator}`);
  }
}
