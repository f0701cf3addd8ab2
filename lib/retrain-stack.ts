import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { RetrainConfig } from './config';
import { Notifications } from './notifications';
import { StateTable } from './state-table';
import { Storage } from './storage';

export interface RetrainStackProps extends StackProps {
  /** The validated configuration (see lib/config.ts). */
  readonly config: RetrainConfig;
}

/** Everything retrain deploys into one account and region. */
export class RetrainStack extends Stack {
  readonly storage: Storage;
  readonly notifications: Notifications;
  readonly state: StateTable;

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

    new CfnOutput(this, 'DataBucketName', { value: this.storage.dataBucket.bucketName, description: 'Drop CSV files under raw/' });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'StateTableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.storage.key.keyArn });
  }
}
