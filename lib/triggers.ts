import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { scheduleExpression } from './config';
import { grantExecutionKey } from './private/state-machine-key';

export interface TriggersProps {
  /** Prefix of rule, queue and alarm names. */
  readonly projectName: string;
  /** The pipeline every trigger starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** The data bucket whose "Object Created" events are new data. */
  readonly bucket: s3.IBucket;
  /** Encrypts the dead-letter queue. */
  readonly key: kms.IKey;
  /** Notified when a trigger cannot be delivered. */
  readonly topic: sns.ITopic;
  /** A rate(...) or cron(...) expression, or "off" for no scheduled runs. */
  readonly schedule: string;
  /** New data: objects created under this prefix. */
  readonly newDataPrefix: string;
  /**
   * New data: only keys with this suffix (a marker such as "_SUCCESS").
   * @default - any key under the prefix
   */
  readonly newDataSuffix?: string;
  /**
   * Whether new data starts runs at all.
   * @default true
   */
  readonly newDataEnabled?: boolean;
  /**
   * Alarms whose transition into ALARM means degraded model quality.
   * @default - none
   */
  readonly qualityAlarms?: cloudwatch.IAlarm[];
  /**
   * More degradation alarms, by ARN (e.g. from another stack).
   * @default - none
   */
  readonly extraDegradationAlarmArns?: string[];
  /**
   * Alarms whose transition into ALARM means the live feature distribution drifted.
   * @default - none
   */
  readonly driftAlarms?: cloudwatch.IAlarm[];
  /**
   * The function that resumes a run waiting for approval; when given, a rule sends it this
   * project's "Model Package State Change" events into Approved or Rejected.
   * @default - no approval rule
   */
  readonly approvalFunction?: lambda.IFunction;
  /** The model package group whose decisions resume waiting runs (with approvalFunction). */
  readonly modelPackageGroupName?: string;
}

/** Delivery: EventBridge retries for a day before an event goes to the dead-letter queue. */
const RETRY_ATTEMPTS = 10;
const MAX_EVENT_AGE = Duration.hours(24);

/**
 * The EventBridge rules that start retraining — on a schedule, on new data, on degraded
 * quality, on drift — each rendering the normalized trigger with an input transformer,
 * retried, and dead-lettered to an encrypted queue whose depth alarms the topic. Console and
 * CLI starts need no rule: they start the state machine directly with `{}`.
 */
export class Triggers extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The role EventBridge assumes to start runs. */
  readonly startRunRole: iam.Role;
  readonly scheduleRule?: events.Rule;
  readonly newDataRule?: events.Rule;
  readonly degradationRule?: events.Rule;
  readonly driftRule?: events.Rule;
  readonly approvalRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    validateSchedule(props.schedule);
    validatePrefix(props.newDataPrefix);
    validateApproval(props);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${props.projectName}-trigger-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the trigger rules; its depth alarms the notification topic.',
    });
    // EventBridge writes undeliverable events as the service, so it needs the queue's key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy "*" means this key
      }),
    );
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${props.projectName}-trigger-dlq`,
      alarmDescription: 'A trigger could not start the pipeline after a day of retries; it waits in the dead-letter queue (see docs/troubleshooting.md).',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new cwActions.SnsAction(props.topic));

    // One role for every rule that starts a run. The state machine is encrypted with the
    // project key, so starting an execution also needs the key (see grantExecutionKey).
    this.startRunRole = new iam.Role(this, 'StartRunRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `${props.projectName}: EventBridge rules start the retraining pipeline`,
    });
    props.stateMachine.grantStartExecution(this.startRunRole);
    grantExecutionKey(this.startRunRole, props.key, props.stateMachine.stateMachineArn, 'start');

    const target = (input: events.RuleTargetInput) =>
      new targets.SfnStateMachine(props.stateMachine, {
        input,
        role: this.startRunRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: RETRY_ATTEMPTS,
        maxEventAge: MAX_EVENT_AGE,
      });

    if (props.schedule !== 'off') {
      this.scheduleRule = new events.Rule(this, 'Schedule', {
        ruleName: `${props.projectName}-schedule`,
        description: `retrain: scheduled run (${props.schedule})`,
        schedule: events.Schedule.expression(props.schedule),
        targets: [
          target(
            trigger('schedule', `scheduled run (${props.schedule})`, {
              rule: events.EventField.fromPath('$.resources[0]'),
            }),
          ),
        ],
      });
    }

    if (props.newDataEnabled ?? true) {
      this.newDataRule = new events.Rule(this, 'NewData', {
        ruleName: `${props.projectName}-new-data`,
        description: `retrain: objects created under ${props.newDataPrefix} in the data bucket`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [props.bucket.bucketName] },
            object: { key: [keyMatcher(props.newDataPrefix, props.newDataSuffix)] },
          },
        },
        targets: [
          target(
            trigger('new-data', `object ${events.EventField.fromPath('$.detail.object.key')} created (${events.EventField.fromPath('$.detail.reason')})`, {
              bucket: events.EventField.fromPath('$.detail.bucket.name'),
              key: events.EventField.fromPath('$.detail.object.key'),
              size: events.EventField.fromPath('$.detail.object.size'),
              etag: events.EventField.fromPath('$.detail.object.etag'),
              versionId: events.EventField.fromPath('$.detail.object.version-id'),
              reason: events.EventField.fromPath('$.detail.reason'),
            }),
          ),
        ],
      });
    }

    const degradationArns = [...(props.qualityAlarms ?? []).map((a) => a.alarmArn), ...(props.extraDegradationAlarmArns ?? [])];
    if (degradationArns.length > 0) {
      this.degradationRule = this.alarmRule('Degradation', props, 'degradation', degradationArns, target);
    }
    const driftArns = (props.driftAlarms ?? []).map((a) => a.alarmArn);
    if (driftArns.length > 0) {
      this.driftRule = this.alarmRule('Drift', props, 'drift', driftArns, target);
    }

    if (props.approvalFunction && props.modelPackageGroupName) {
      this.approvalRule = new events.Rule(this, 'Approval', {
        ruleName: `${props.projectName}-approval`,
        description: 'retrain: a person approved or rejected a model package; resume the run waiting for it',
        eventPattern: {
          source: ['aws.sagemaker'],
          detailType: ['SageMaker Model Package State Change'],
          detail: {
            ModelPackageGroupName: [props.modelPackageGroupName],
            ModelApprovalStatus: ['Approved', 'Rejected'],
          },
        },
        targets: [
          new targets.LambdaFunction(props.approvalFunction, {
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: RETRY_ATTEMPTS,
            maxEventAge: MAX_EVENT_AGE,
          }),
        ],
      });
    }
  }

  private alarmRule(
    id: string,
    props: TriggersProps,
    type: 'degradation' | 'drift',
    alarmArns: string[],
    target: (input: events.RuleTargetInput) => events.IRuleTarget,
  ): events.Rule {
    const alarmName = events.EventField.fromPath('$.detail.alarmName');
    return new events.Rule(this, id, {
      ruleName: `${props.projectName}-${type}`,
      description: `retrain: ${type === 'drift' ? 'feature drift' : 'degraded model quality'} alarm into ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarmArns,
        detail: {
          state: { value: ['ALARM'] },
          previousState: { value: [{ 'anything-but': 'ALARM' }] },
        },
      },
      targets: [
        target(
          trigger(type, `alarm ${alarmName} went into ALARM: ${events.EventField.fromPath('$.detail.state.reason')}`, {
            alarmName,
            alarmArn: events.EventField.fromPath('$.resources[0]'),
            stateReason: events.EventField.fromPath('$.detail.state.reason'),
            stateTime: events.EventField.fromPath('$.detail.state.timestamp'),
          }),
        ),
      ],
    });
  }
}

/** The normalized trigger every rule renders (lambdas/core/triggers.ts reads it). */
function trigger(type: string, reason: string, detail: Record<string, string>): events.RuleTargetInput {
  return events.RuleTargetInput.fromObject({
    trigger: { type, reason, detail, eventId: events.EventField.eventId, time: events.EventField.time },
  });
}

/** prefix, or prefix*suffix (EventBridge wildcard) when a suffix is configured. */
function keyMatcher(prefix: string, suffix: string | undefined): Record<string, string> {
  if (!suffix) return { prefix };
  const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\*/g, '\\*');
  return { wildcard: `${escape(prefix)}*${escape(suffix)}` };
}

function validateSchedule(schedule: string): void {
  if (schedule === 'off' || Token.isUnresolved(schedule)) return;
  if (!scheduleExpression.safeParse(schedule).success) {
    throw new Error(`Triggers schedule: expected "off", rate(...) or cron(...), got "${schedule}"`);
  }
}

function validatePrefix(prefix: string): void {
  if (!/^(?:[^/]+\/)+$/.test(prefix)) throw new Error(`Triggers newDataPrefix: expected a key prefix ending in "/", got "${prefix}"`);
}

function validateApproval(props: TriggersProps): void {
  if (props.approvalFunction && !props.modelPackageGroupName) {
    throw new Error('Triggers approvalFunction: expected modelPackageGroupName too, got none');
  }
}
