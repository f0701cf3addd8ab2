import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RetrainConfig } from './config';
import { acknowledgeWildcards, GRANT_ACTIONS } from './private/nag';
import { RetrainFunction } from './private/retrain-function';
import { resourceNames } from './types';

export interface MonitoringProps {
  /** The validated configuration (project, triggers.drift and .degradation, monitoring, evaluation). */
  readonly config: RetrainConfig;
  /** The data bucket: capture/, ground-truth/, runs/ (baselines), monitoring/. */
  readonly bucket: s3.IBucket;
  /** The project key. */
  readonly key: kms.IKey;
  /** The state table (champion pointer, monitor windows). */
  readonly table: dynamodb.ITable;
  /**
   * Where a scheduled monitor invocation goes when it cannot be delivered.
   * @default - no dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** Datapoints to alarm out of the last evaluation periods (2 of 3, DESIGN.md section 4). */
const DATAPOINTS_TO_ALARM = 2;
const EVALUATION_PERIODS = 3;

/**
 * Monitors of the deployed model, run by schedule in Lambdas (no SageMaker Model Monitor
 * instances): drift of the live feature distribution against the champion's baseline, and
 * model quality on captured predictions joined with uploaded ground truth. Each publishes a
 * decision metric (DriftDetected, QualityDegraded) whose alarm starts a retraining run.
 */
export class Monitoring extends Construct {
  readonly driftMonitor: RetrainFunction;
  readonly qualityMonitor: RetrainFunction;
  readonly driftAlarm: cloudwatch.Alarm;
  readonly qualityAlarm: cloudwatch.Alarm;
  /** Metrics the dashboard shows. */
  readonly metrics: {
    readonly driftedShare: cloudwatch.Metric;
    readonly capturedRows: cloudwatch.Metric;
    readonly modelQuality: cloudwatch.Metric;
    readonly labeledRows: cloudwatch.Metric;
  };

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    const names = resourceNames(config.project.name);
    const driftPeriod = periodOf(config.monitoring.driftSchedule);
    const qualityPeriod = periodOf(config.monitoring.qualitySchedule);
    const common = {
      projectName: config.project.name,
      key: props.key,
      logRetentionDays: config.retention.logRetentionDays as logs.RetentionDays,
      memorySize: 2048,
      timeout: Duration.minutes(15),
      unscopedActions: [`cloudwatch:PutMetricData (limited to the ${names.metricsNamespace} namespace by a condition)`],
      environment: {
        DATA_BUCKET: props.bucket.bucketName,
        STATE_TABLE: props.table.tableName,
        METRICS_NAMESPACE: names.metricsNamespace,
      },
    };
    this.driftMonitor = new RetrainFunction(this, 'DriftMonitor', {
      ...common,
      name: 'drift-monitor',
      description: "Compare the captured inputs of the window with the champion's baseline; publish DriftDetected",
    });
    this.qualityMonitor = new RetrainFunction(this, 'QualityMonitor', {
      ...common,
      name: 'quality-monitor',
      description: 'Join captured predictions with uploaded ground truth; publish ModelQuality and QualityDegraded',
    });

    for (const fn of [this.driftMonitor, this.qualityMonitor]) {
      props.table.grantReadWriteData(fn.function);
      props.bucket.grantRead(fn.function, 'capture/*');
      // The champion's baseline and schema (models/ never expires while a model may serve).
      props.bucket.grantRead(fn.function, 'models/*/baseline.json');
      props.bucket.grantRead(fn.function, 'models/*/schema.json');
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': names.metricsNamespace } },
        }),
      );
    }
    props.bucket.grantPut(this.driftMonitor.function, 'monitoring/drift/*');
    props.bucket.grantRead(this.qualityMonitor.function, 'ground-truth/*');
    props.bucket.grantPut(this.qualityMonitor.function, 'monitoring/quality/*');

    const drift = config.triggers.drift;
    new events.Rule(this, 'DriftSchedule', {
      ruleName: `${config.project.name}-drift-monitor`,
      description: `retrain: drift monitor (${config.monitoring.driftSchedule})`,
      schedule: events.Schedule.expression(config.monitoring.driftSchedule),
      targets: [
        new targets.LambdaFunction(this.driftMonitor.function, {
          event: events.RuleTargetInput.fromObject({
            projectName: config.project.name,
            endpointName: names.endpoint,
            variantName: names.variant,
            drift: {
              featureThreshold: drift.featureThreshold,
              pValue: drift.pValue,
              driftedShare: drift.driftedShare,
              criticalFeatures: drift.criticalFeatures,
              minRows: drift.minRows,
            },
          }),
          retryAttempts: 2,
          ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
        }),
      ],
    });
    const degradation = config.triggers.degradation;
    new events.Rule(this, 'QualitySchedule', {
      ruleName: `${config.project.name}-quality-monitor`,
      description: `retrain: model quality monitor (${config.monitoring.qualitySchedule})`,
      schedule: events.Schedule.expression(config.monitoring.qualitySchedule),
      targets: [
        new targets.LambdaFunction(this.qualityMonitor.function, {
          event: events.RuleTargetInput.fromObject({
            projectName: config.project.name,
            endpointName: names.endpoint,
            variantName: names.variant,
            metric: config.evaluation.metric,
            direction: config.evaluation.direction,
            ...(degradation.floor !== undefined ? { floor: degradation.floor } : {}),
            maxRelativeDrop: degradation.maxRelativeDrop,
            minLabeledRows: config.monitoring.minLabeledRows,
          }),
          retryAttempts: 2,
          ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
        }),
      ],
    });

    const metric = (metricName: string, period: Duration, statistic: string) =>
      new cloudwatch.Metric({ namespace: names.metricsNamespace, metricName, dimensionsMap: { Project: config.project.name }, period, statistic });

    this.driftAlarm = new cloudwatch.Alarm(this, 'DriftAlarm', {
      alarmName: names.alarms.drift,
      alarmDescription:
        `Dataset drift: at least ${drift.driftedShare * 100}% of the features drifted` +
        `${drift.criticalFeatures.length ? ` or a critical feature (${drift.criticalFeatures.join(', ')}) drifted` : ''} ` +
        `in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_PERIODS} windows. Going into ALARM starts a retraining run.`,
      metric: metric('DriftDetected', driftPeriod, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: EVALUATION_PERIODS,
      datapointsToAlarm: DATAPOINTS_TO_ALARM,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.qualityAlarm = new cloudwatch.Alarm(this, 'QualityAlarm', {
      alarmName: names.alarms.quality,
      alarmDescription:
        `Degraded model quality: ${config.evaluation.metric}` +
        `${degradation.floor !== undefined ? ` past the floor ${degradation.floor} or` : ''} more than ${degradation.maxRelativeDrop * 100}% ` +
        `worse than the champion's evaluation, in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_PERIODS} windows. Going into ALARM starts a retraining run.`,
      metric: metric('QualityDegraded', qualityPeriod, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: EVALUATION_PERIODS,
      datapointsToAlarm: DATAPOINTS_TO_ALARM,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.metrics = {
      driftedShare: metric('DriftedFeatureShare', driftPeriod, 'Maximum'),
      capturedRows: metric('CapturedRows', driftPeriod, 'Sum'),
      modelQuality: metric('ModelQuality', qualityPeriod, 'Average'),
      labeledRows: metric('LabeledRows', qualityPeriod, 'Sum'),
    };

    acknowledgeWildcards(this, [
      GRANT_ACTIONS,
      {
        finding: /^Resource::<\w+\.Arn>\/(capture\/\*|ground-truth\/\*|models\/\*\/(baseline|schema)\.json|monitoring\/(drift|quality)\/\*)$/,
        reason: "One key pattern of the data bucket: capture hours, uploaded labels, each run's baseline/schema, or one report folder.",
      },
    ]);
  }
}

/**
 * The alarm period of a monitor: one datapoint per monitor run — the schedule's rate, or for
 * a cron the spacing of its hour field (a fixed hour: daily; "*\/n": n hours; "*": hourly).
 * At most 56 hours, so that 3 periods fit CloudWatch's 7-day limit on periods × evaluations.
 */
export function periodOf(schedule: string): Duration {
  if (Token.isUnresolved(schedule)) return Duration.hours(1);
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  let minutes = 60;
  if (rate) {
    minutes = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day'];
  } else {
    const hourField = /^cron\((\S+) (\S+) /.exec(schedule)?.[2] ?? '*';
    const every = /^\*\/(\d+)$/.exec(hourField);
    if (every) minutes = Number(every[1]) * 60;
    else if (/^\d+$/.test(hourField)) minutes = 24 * 60;
  }
  return Duration.minutes(Math.min(Math.max(minutes, 1), 56 * 60));
}
