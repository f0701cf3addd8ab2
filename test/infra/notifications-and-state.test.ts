import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Notifications } from '../../lib/notifications';
import { template } from '../helpers/stack';

const projectKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('StorageKey'), 'Arn'] };

describe('notifications', () => {
  it('encrypts the topic with the project key and denies non-TLS publishing', () => {
    const t = template();

    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'retrain-notifications', KmsMasterKeyId: projectKey });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('subscribes the configured e-mail address, and none by default', () => {
    template({ notifications: { email: 'ml-ops@example.com' } }).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ml-ops@example.com',
    });
    template().resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('lets CloudWatch alarms use the key to publish to the encrypted topic', () => {
    template().hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
  });

  it('rejects a malformed e-mail address', () => {
    const stack = new Stack(new App(), 'S');

    expect(() => new Notifications(stack, 'N', { projectName: 'p', key: new kms.Key(stack, 'K'), email: 'nope' })).toThrow(
      /email: expected an e-mail address, got "nope"/,
    );
  });
});

describe('state table', () => {
  it('is on-demand, has point-in-time recovery, a TTL and the project key', () => {
    template().hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'retrain-state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: projectKey },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('is retained by default and deletable when configured to destroy', () => {
    template().hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    template({ retention: { removalPolicy: 'destroy' } }).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('stack outputs', () => {
  it('exports the bucket, topic and table names', () => {
    const outputs = template().findOutputs('*');

    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['DataBucketName', 'NotificationTopicArn', 'StateTableName']));
  });
});
