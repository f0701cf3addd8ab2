import { Duration, Lazy } from 'aws-cdk-lib';
import { DRIFT_METRICS } from '../../lambdas/core/drift-monitor';
import { QUALITY_METRICS } from '../../lambdas/core/quality-monitor';
import { driftMonitorEventSchema } from '../../lambdas/drift-monitor/drift-monitor';
import { qualityMonitorEventSchema } from '../../lambdas/quality-monitor/quality-monitor';
import type { RetrainConfigInput } from '../../lib/config';
import { periodOf } from '../../lib/monitoring';
import { renderToken, synthesizeDefinition, type SynthesizedDefinition } from '../helpers/definition';
import { eventRules, onlyTarget, ruleNamed, type SynthesizedRule } from '../helpers/rules';

const CONFIG: RetrainConfigInput = {
  evaluation: { metric: 'f1' },
  triggers: {
    drift: { featureThreshold: 0.2, pValue: 0.01, driftedShare: 0.3, criticalFeatures: ['tenure'], minRows: 250 },
    degradation: { floor: 0.7, maxRelativeDrop: 0.1 },
  },
  monitoring: { driftSchedule: 'rate(30 minutes)', qualitySchedule: 'rate(6 hours)', minLabeledRows: 500 },
};

/** The whole stack with the monitors configured as above (read-only assertions). */
let synthesized: SynthesizedDefinition;
let rules: SynthesizedRule[];
beforeAll(() => {
  synthesized = synthesizeDefinition(CONFIG);
  rules = eventRules(synthesized.template, synthesized.env);
});

describe('monitoring: schedules', () => {
  it('runs the drift monitor on its schedule with the configured drift thresholds', () => {
    const rule = ruleNamed(rules, 'retrain-drift-monitor');
    const target = onlyTarget(rule);

    expect(rule.scheduleExpression).toBe('rate(30 minutes)');
    expect(target.arn).toBe(renderToken(synthesized, synthesized.stack.monitoring.driftMonitor.function.functionArn));
    expect(target.input).toEqual({
      projectName: 'retrain',
      endpointName: 'retrain',
      variantName: 'primary',
      drift: { featureThreshold: 0.2, pValue: 0.01, driftedShare: 0.3, criticalFeatures: ['tenure'], minRows: 250 },
    });
    expect(driftMonitorEventSchema.safeParse(target.input).success).toBe(true);
    expect(target.retryPolicy).toEqual({ MaximumRetryAttempts: 2 });
  });

  it('runs the quality monitor on its schedule with the gate metric and the configured degradation thresholds', () => {
    const rule = ruleNamed(rules, 'retrain-quality-monitor');
    const target = onlyTarget(rule);

    expect(rule.scheduleExpression).toBe('rate(6 hours)');
    expect(target.arn).toBe(renderToken(synthesized, synthesized.stack.monitoring.qualityMonitor.function.functionArn));
    expect(target.input).toEqual({
      projectName: 'retrain',
      endpointName: 'retrain',
      variantName: 'primary',
      metric: 'f1',
      direction: 'maximize',
      floor: 0.7,
      maxRelativeDrop: 0.1,
      minLabeledRows: 500,
    });
    expect(qualityMonitorEventSchema.safeParse(target.input).success).toBe(true);
  });

  it('leaves the floor out of the quality monitor input when none is configured', () => {
    const input = onlyTarget(ruleNamed(synthesizeDefinition().template, 'retrain-quality-monitor')).input;

    expect(input).not.toHaveProperty('floor');
    expect(qualityMonitorEventSchema.safeParse(input).success).toBe(true);
  });
});

describe('monitoring: alarms', () => {
  const decisionAlarm = {
    Namespace: 'retrain',
    Dimensions: [{ Name: 'Project', Value: 'retrain' }],
    Statistic: 'Maximum',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    TreatMissingData: 'notBreaching',
  };

  it('alarms on DriftDetected ≥ 1 in 2 of the last 3 drift windows', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...decisionAlarm,
      AlarmName: 'retrain-drift',
      MetricName: DRIFT_METRICS.driftDetected,
      Period: 1800,
    });
  });

  it('alarms on QualityDegraded ≥ 1 in 2 of the last 3 quality windows', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...decisionAlarm,
      AlarmName: 'retrain-model-quality',
      MetricName: QUALITY_METRICS.degraded,
      Period: 6 * 3600,
    });
  });

  it('reads the namespace the monitors publish to', () => {
    for (const monitor of [synthesized.stack.monitoring.driftMonitor, synthesized.stack.monitoring.qualityMonitor]) {
      const id = (synthesized.stack.resolve(monitor.function.functionArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const variables = synthesized.template.toJSON().Resources[id].Properties.Environment.Variables as Record<string, string>;

      expect(variables.METRICS_NAMESPACE).toBe(decisionAlarm.Namespace);
    }
  });

  it('lets the monitors put metric data only into their namespace', () => {
    for (const monitor of [synthesized.stack.monitoring.driftMonitor, synthesized.stack.monitoring.qualityMonitor]) {
      const roleId = (synthesized.stack.resolve(monitor.role.roleArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const policies = Object.values(synthesized.template.findResources('AWS::IAM::Policy')).filter((p) =>
        (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
      );
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Condition?: unknown }>);

      expect(statements.filter((s) => [s.Action].flat().includes('cloudwatch:PutMetricData'))).toEqual([
        expect.objectContaining({ Condition: { StringEquals: { 'cloudwatch:namespace': 'retrain' } } }),
      ]);
    }
  });

  it('starts degradation runs from the quality alarm and drift runs from the drift alarm', () => {
    const arn = (alarm: { alarmArn: string }) => renderToken(synthesized, alarm.alarmArn);
    const { qualityAlarm, driftAlarm } = synthesized.stack.monitoring;
    const resources = (name: string) => ruleNamed(rules, name).eventPattern!.resources;

    expect(resources('retrain-degradation')).toContain(arn(qualityAlarm));
    expect(resources('retrain-degradation')).not.toContain(arn(driftAlarm));
    expect(resources('retrain-drift')).toEqual([arn(driftAlarm)]);
  });
});

describe('monitoring: periodOf', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(30 minutes)', 1800],
    ['rate(1 hour)', 3600],
    ['rate(6 hours)', 6 * 3600],
  ])('gives %s an alarm period of %i seconds', (schedule, seconds) => {
    expect(periodOf(schedule).toSeconds()).toBe(seconds);
  });

  it('takes an hour for a schedule unknown until deploy', () => {
    expect(periodOf(Lazy.string({ produce: () => 'rate(5 minutes)' })).toSeconds()).toBe(3600);
  });

  // BUG (lib/monitoring.ts periodOf): the 8-hour cap assumes a one-day limit on
  // Period × EvaluationPeriods, but CloudWatch allows 7 days for periods of an hour or more
  // (PutMetricAlarm, Period). With a daily monitor the alarm sees at most one datapoint in its
  // 3 × 8 h window and can never reach 2 of 3: drift and degradation never start a run.
  // Fix: cap at 56 hours (3 × 56 h = 7 days) instead of 8, i.e.
  // `Math.min(Math.max(minutes, 1), 56 * 60)`, and update the doc comment.
  it('lets 2 of 3 windows alarm for every rate up to two days, within CloudWatch limits', () => {
    for (const schedule of ['rate(5 minutes)', 'rate(1 hour)', 'rate(12 hours)', 'rate(1 day)', 'rate(2 days)']) {
      const { runsInWindow, withinLimits } = alarmWindow(schedule, Duration.minutes(scheduleMinutes(schedule)));

      expect({ schedule, canAlarm: runsInWindow >= 2, withinLimits }).toEqual({ schedule, canAlarm: true, withinLimits: true });
    }
  });

  // BUG (lib/monitoring.ts periodOf): a cron schedule gets a 1-hour period, so a daily cron
  // monitor (one datapoint a day) can never put 2 of 3 hourly periods into ALARM. Fix: derive the
  // period from the cron's hour field (a fixed hour → 1 day; "*/n" → n hours; "*" → 1 hour).
  it('lets 2 of 3 windows alarm for a daily cron schedule', () => {
    const { runsInWindow, withinLimits } = alarmWindow('cron(0 2 * * ? *)', Duration.days(1));

    expect({ canAlarm: runsInWindow >= 2, withinLimits }).toEqual({ canAlarm: true, withinLimits: true });
  });
});

/** How many monitor runs (one every `interval`) the 3-period alarm window always holds, and whether CloudWatch accepts it. */
function alarmWindow(schedule: string, interval: Duration): { runsInWindow: number; withinLimits: boolean } {
  const period = periodOf(schedule).toSeconds();
  const window = 3 * period;
  const limit = period < 3600 ? 86_400 : 7 * 86_400;
  return { runsInWindow: Math.floor(window / interval.toSeconds()), withinLimits: window <= limit };
}

function scheduleMinutes(schedule: string): number {
  const [, n, unit] = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule)!;
  return Number(n) * { minute: 1, hour: 60, day: 1440 }[unit as 'minute' | 'hour' | 'day'];
}
