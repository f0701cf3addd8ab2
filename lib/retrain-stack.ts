import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { RetrainConfig } from './config';
import { Notifications } from './notifications';
import { StateTable } from './state-table';
import { Storage } from './storage';
import { TrainingPipeline } from './training-pipeline';

export interface RetrainStackProps extends StackProps {
  /** The validated configuration (see lib/config.ts). */
  readonly config: RetrainConfig;
}

/** Everything retrain deploys into one account and region. */
export class RetrainStack extends Stack {
  readonly storage: Storage;
  readonly notifications: Notifications;
  readonly state: StateTable;
  readonly pipeline: TrainingPipeline;

  constructor(scope: Construct, id: string, props: RetrainStackProps) {
    super(scope, id, props);
    const { config } = props;
    const projectName = config.project.name;
    const removalPolicy = config.retention.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    Tags.of(this).add('retrain:project', projectName);

    this.storage = new Storage(this, 'Storage', {
      projectName,
      removalPolicy,
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

    new CfnOutput(this, 'DataBucketName', { value: this.storage.dataBucket.bucketName, description: 'Drop CSV files under raw/' });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'StateTableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.storage.key.keyArn });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn, description: 'Start a run: Start execution with {}' });
    new CfnOutput(this, 'EndpointName', { value: this.pipeline.endpointName });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.pipeline.modelPackageGroup.modelPackageGroupName });
  }
}
