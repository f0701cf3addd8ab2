import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { configHash, type RetrainConfig } from './config';
import { Notifications } from './notifications';
import { StateTable } from './state-table';
import { Storage } from './storage';
import { Triggers } from './triggers';
import { Monitoring } from './monitoring';
import { Dashboard } from './dashboard';
import { CONFIG_HASH_METADATA, PROJECT_TAG, resourceNames } from './types';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { TrainingPipeline } from './training-pipeline';

export interface RetrainStackProps extends StackProps {
  /** The validated configuration (see lib/config.ts). */
  readonly config: RetrainConfig;
  /**
   * A throwaway stack: its buckets are emptied when it is deleted (with retention.removalPolicy
   * "destroy"). Only for the real-account integration test (test/integ).
   * @default false
   */
  readonly disposable?: boolean;
}

/** Everything retrain deploys into one account and region. */
export class RetrainStack extends Stack {
  readonly storage: Storage;
  readonly notifications: Notifications;
  readonly state: StateTable;
  readonly pipeline: TrainingPipeline;
  readonly monitoring: Monitoring;
  readonly triggers: Triggers;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RetrainStackProps) {
    super(scope, id, props);
    const { config } = props;
    const projectName = config.project.name;
    const removalPolicy = config.retention.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    Tags.of(this).add(PROJECT_TAG, projectName);
    this.templateOptions.metadata = { [CONFIG_HASH_METADATA]: configHash(config) };

    this.storage = new Storage(this, 'Storage', {
      projectName,
      removalPolicy,
      autoDeleteObjects: props.disposable === true && removalPolicy === RemovalPolicy.DESTROY,
      lifecycle: {
        captureDays: config.retention.captureDays,
        runsDays: config.retention.runsDays,
        monitoringDays: config.retention.monitoringDays,
        noncurrentVersionDays: config.retention.noncurrentVersionDays,
      },
    });
    this.notifications = new Notifications(this, 'Notifications', {
      projectName,
      key: this.storage.key,
      email: config.notifications.email,
    });
    this.state = new StateTable(this, 'State', { projectName, key: this.storage.key, removalPolicy });
    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      config,
      bucket: this.storage.dataBucket,
      key: this.storage.key,
      table: this.state.table,
      topic: this.notifications.topic,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      bucket: this.storage.dataBucket,
      key: this.storage.key,
      table: this.state.table,
    });
    this.triggers = new Triggers(this, 'Triggers', {
      projectName,
      stateMachine: this.pipeline.stateMachine,
      bucket: this.storage.dataBucket,
      key: this.storage.key,
      topic: this.notifications.topic,
      schedule: config.triggers.schedule,
      newDataEnabled: config.triggers.newData.enabled,
      newDataPrefix: config.triggers.newData.prefix,
      newDataSuffix: config.triggers.newData.suffix,
      qualityAlarms: [this.monitoring.qualityAlarm],
      extraDegradationAlarmArns: config.triggers.extraAlarmArns,
      driftAlarms: [this.monitoring.driftAlarm],
      ...(config.deployment.manualApproval
        ? { approvalFunction: this.pipeline.functions.approval.function, modelPackageGroupName: resourceNames(projectName).modelPackageGroup }
        : {}),
    });
    for (const alarm of this.pipeline.endpointAlarms) alarm.addAlarmAction(new cwActions.SnsAction(this.notifications.topic));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      projectName,
      outcomes: ['deployed', 'rejected', 'rolled-back', 'failed', 'dry-run', 'awaiting-approval'],
      triggerTypes: ['manual', 'schedule', 'new-data', 'degradation', 'drift'],
      monitorMetrics: this.monitoring.metrics,
      alarms: [this.monitoring.driftAlarm, this.monitoring.qualityAlarm, ...this.pipeline.endpointAlarms, this.triggers.deadLetterAlarm],
      deadLetterDepth: this.triggers.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
    });

    new CfnOutput(this, 'DataBucketName', { value: this.storage.dataBucket.bucketName, description: 'Drop CSV files under raw/' });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'StateTableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.storage.key.keyArn });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn, description: 'Start a run: Start execution with {}' });
    new CfnOutput(this, 'EndpointName', { value: this.pipeline.endpointName });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url(this.region) });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.triggers.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.pipeline.modelPackageGroup.modelPackageGroupName });
  }
}
