import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** Prefix of the topic name. */
  readonly projectName: string;
  /** Encrypts the topic. */
  readonly key: kms.IKey;
  /**
   * Subscribe this e-mail address to every notification.
   * @default - no subscription
   */
  readonly email?: string;
}

/** The SNS topic that carries run outcomes and operational alarms (KMS, TLS only). */
export class Notifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    validateEmail(props.email);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${props.projectName}-notifications`,
      displayName: `retrain (${props.projectName})`,
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    // CloudWatch alarms publish to the topic as the service and need the topic's key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheTopicKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy "*" means this key
      }),
    );
  }

  /** Allows the grantee to publish to the topic (and use its key). */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.topic.grantPublish(grantee);
  }
}

function validateEmail(email: string | undefined): void {
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw new Error(`Notifications email: expected an e-mail address, got "${email}"`);
  }
}
