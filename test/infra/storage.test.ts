import { Match } from 'aws-cdk-lib/assertions';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Storage } from '../../lib/storage';
import { template } from '../helpers/stack';

describe('storage: the key', () => {
  it('is a customer-managed key with rotation, retained by default', () => {
    const t = template();

    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/retrain' });
  });
});

describe('storage: the data bucket', () => {
  const dataBucket = Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } });

  it('encrypts with the customer-managed key', () => {
    template().hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('StorageKey'), 'Arn'] } },
          },
        ],
      },
    });
  });

  it('blocks public access and is versioned', () => {
    template().hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  it('sends server access logs to the separate log bucket', () => {
    template().hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('StorageAccessLogs') }, LogFilePrefix: 'data/' },
    });
  });

  it('sends its events to EventBridge', () => {
    template().hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: Match.stringLikeRegexp('StorageData') },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it('denies every request that is not over TLS, on both buckets', () => {
    const policies = template().findResources('AWS::S3::BucketPolicy');

    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('expires only what retrain writes, with the configured days, and never raw/ or ground-truth/', () => {
    const t = template({ retention: { captureDays: 14, runsDays: 200, monitoringDays: 60, noncurrentVersionDays: 10 } });

    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'capture/', ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 10 } }),
          Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 200 }),
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 200 }),
          Match.objectLike({ Prefix: 'monitoring/', ExpirationInDays: 60 }),
        ]),
      },
    });
    const rules = Object.values(t.findResources('AWS::S3::Bucket', { Properties: dataBucket }))[0].Properties.LifecycleConfiguration
      .Rules as Array<{ Prefix?: string; ExpirationInDays?: number; NoncurrentVersionExpiration?: unknown }>;
    for (const rule of rules) {
      if (rule.ExpirationInDays || rule.NoncurrentVersionExpiration) expect(rule.Prefix).toMatch(/^(capture|runs|quarantine|monitoring|models)\/$/);
      if (rule.Prefix === 'models/') expect(rule.ExpirationInDays).toBeUndefined();
    }
  });

  it('is retained by default and destroyed only when configured', () => {
    template().hasResource('AWS::S3::Bucket', { Properties: dataBucket, DeletionPolicy: 'Retain' });
    template({ retention: { removalPolicy: 'destroy' } }).hasResource('AWS::S3::Bucket', { Properties: dataBucket, DeletionPolicy: 'Delete' });
  });
});

describe('storage: the log bucket', () => {
  it('is encrypted with S3-managed keys (log delivery cannot use KMS) and blocks public access', () => {
    template().hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
});

describe('storage: validation', () => {
  it('rejects a lifecycle of zero days', () => {
    const stack = new Stack(new App(), 'S');

    expect(
      () =>
        new Storage(stack, 'Storage', {
          projectName: 'p',
          removalPolicy: RemovalPolicy.DESTROY,
          lifecycle: { captureDays: 0, runsDays: 1, monitoringDays: 1, noncurrentVersionDays: 1 },
        }),
    ).toThrow(/lifecycle\.captureDays: expected a whole number of days >= 1, got 0/);
  });
});

describe('storage: disposable stacks', () => {
  it('never empties the buckets on deletion, whatever the removal policy, unless the stack is disposable', () => {
    const kept = template({ retention: { removalPolicy: 'destroy' } });

    expect(kept.findResources('Custom::S3AutoDeleteObjects')).toEqual({});
  });

  it('empties both buckets on deletion for the throwaway integration-test stack', () => {
    const disposable = template({ retention: { removalPolicy: 'destroy' } }, { disposable: true });

    expect(Object.keys(disposable.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(2);
  });
});

