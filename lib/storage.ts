import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DATA_PREFIXES, resourceNames } from './types';

/** How long retrain keeps what it writes; users' raw data is never expired. */
export interface StorageLifecycle {
  /** Days after which endpoint data capture (capture/) expires. */
  readonly captureDays: number;
  /** Days after which run artifacts (runs/, quarantine/) expire. */
  readonly runsDays: number;
  /** Days after which monitor reports (monitoring/) expire. */
  readonly monitoringDays: number;
  /** Days after which noncurrent object versions expire. */
  readonly noncurrentVersionDays: number;
}

export interface StorageProps {
  /** Prefix of the key alias. */
  readonly projectName: string;
  /**
   * What happens to the key and both buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Expiration of what retrain writes.
   * @default - capture 30 days, runs 365 days, monitoring 90 days, noncurrent versions 30 days
   */
  readonly lifecycle?: StorageLifecycle;
  /**
   * Empty both buckets when the stack is deleted (with `RemovalPolicy.DESTROY`). Only for
   * throwaway stacks such as the real-account integration test: it deletes users' data.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}

/**
 * The project's customer-managed key and its data bucket (versioned, SSE-KMS, TLS only,
 * access-logged, EventBridge notifications on), with the layout of DESIGN.md section 3.
 */
export class Storage extends Construct {
  /** Encrypts the bucket, table, topic, queues, logs and SageMaker volumes. */
  readonly key: kms.Key;
  /** raw/, runs/, quarantine/, capture/, ground-truth/, monitoring/. */
  readonly dataBucket: s3.Bucket;
  /** Receives the data bucket's server access logs (SSE-S3: log delivery cannot use KMS). */
  readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const lifecycle = props.lifecycle ?? { captureDays: 30, runsDays: 365, monitoringDays: 90, noncurrentVersionDays: 30 };
    validateLifecycle(lifecycle);

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${props.projectName}`,
      description: `retrain (${props.projectName}): data bucket, state table, topic, queues, logs and SageMaker volumes`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.allowLogGroups(props.projectName);

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the access-log target of the data bucket; logging it to itself would loop.',
    });

    this.dataBucket = new s3.Bucket(this, 'Data', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      eventBridgeEnabled: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'data/',
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      // Only what retrain writes expires; raw/ and ground-truth/ belong to users and are
      // kept with all their versions; models/ is kept while current.
      lifecycleRules: [
        ...expiring(DATA_PREFIXES.capture, lifecycle.captureDays, lifecycle.noncurrentVersionDays),
        ...expiring(DATA_PREFIXES.runs, lifecycle.runsDays, lifecycle.noncurrentVersionDays),
        ...expiring(DATA_PREFIXES.quarantine, lifecycle.runsDays, lifecycle.noncurrentVersionDays),
        ...expiring(DATA_PREFIXES.monitoring, lifecycle.monitoringDays, lifecycle.noncurrentVersionDays),
        // Models (artifacts and the documents their packages reference) never expire while
        // current: a champion or a rollback target needs them. Overwritten or deleted versions do.
        {
          id: 'expire-noncurrent-models',
          prefix: DATA_PREFIXES.models,
          noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
  }

  /**
   * CloudWatch Logs encrypts the project's log groups (functions and state machine) with the
   * key as its regional service principal, and only for those log groups. CDK adds no such
   * statement for a log group's `encryptionKey`; without it the log groups fail to create.
   * Source: CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"
   * (step 2, the key policy), and Step Functions Developer Guide, "Data at rest encryption"
   * (delivery.logs.amazonaws.com decrypts to deliver vended logs of an encrypted state machine).
   */
  private allowLogGroups(projectName: string): void {
    const stack = Stack.of(this);
    const logGroupArns = resourceNames(projectName).logGroups.patterns.map((pattern) =>
      stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: pattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForTheProjectLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'], // in a key policy "*" means this key
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArns } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowLogDeliveryOfTheStateMachine',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:Decrypt'],
        resources: ['*'], // in a key policy "*" means this key
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }

  /** Read access to one or more key patterns of the data bucket, with the key. */
  grantRead(grantee: iam.IGrantable, ...patterns: string[]): void {
    for (const pattern of patterns) this.dataBucket.grantRead(grantee, pattern);
  }

  /** Write access to one or more key patterns of the data bucket, with the key. */
  grantWrite(grantee: iam.IGrantable, ...patterns: string[]): void {
    for (const pattern of patterns) this.dataBucket.grantPut(grantee, pattern);
  }
}

function expiring(prefix: string, days: number, noncurrentDays: number): s3.LifecycleRule[] {
  return [
    {
      id: `expire-${prefix.replace(/\/$/, '')}`,
      prefix,
      expiration: Duration.days(days),
      noncurrentVersionExpiration: Duration.days(noncurrentDays),
    },
  ];
}

function validateLifecycle(lifecycle: StorageLifecycle): void {
  for (const [name, days] of Object.entries(lifecycle)) {
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(`Storage lifecycle.${name}: expected a whole number of days >= 1, got ${String(days)}`);
    }
  }
}
