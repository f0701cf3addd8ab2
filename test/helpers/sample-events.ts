/**
 * AWS's documented sample events, for testing the synthesized EventBridge rules and the handlers
 * that receive them. Each constant is copied from the AWS documentation page named above it;
 * where the documentation has no example for a variant, the constant is derived from the
 * documented one and says so. Builders return fresh copies with chosen fields changed.
 */

/** The EventBridge envelope. */
export interface AwsEvent<TDetail = Record<string, unknown>> {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: TDetail;
}

// ----- Amazon S3 -----
// Amazon S3 User Guide, "EventBridge event message structure"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).

/** "Object created" example, verbatim: reason PutObject. */
export const S3_OBJECT_CREATED_PUT_OBJECT: AwsEvent = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    bucket: { name: 'amzn-s3-demo-bucket1' },
    object: {
      key: 'example-key',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
};

/**
 * Derived from the PutObject example: the same page lists CompleteMultipartUpload among the
 * values of `reason` for Object Created; a multipart ETag ends in "-<parts>".
 */
export const S3_OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD: AwsEvent = s3ObjectCreated({
  reason: 'CompleteMultipartUpload',
  size: 198_524_144,
  etag: '4af981f98d22a0b9979da24b259e5e42-12',
});

/** Derived from the PutObject example: CopyObject is one of the documented `reason` values. */
export const S3_OBJECT_CREATED_COPY_OBJECT: AwsEvent = s3ObjectCreated({ reason: 'CopyObject' });

/** "Object deleted (using DeleteObject)" example, verbatim. */
export const S3_OBJECT_DELETED: AwsEvent = {
  version: '0',
  id: '2ee9cc15-d022-99ea-1fb8-1b1bac4850f9',
  'detail-type': 'Object Deleted',
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    bucket: { name: 'amzn-s3-demo-bucket1' },
    object: {
      key: 'example-key',
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      'version-id': '1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF',
      sequencer: '617f0837b476e463',
    },
    'request-id': '0BH729840619AG5K',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'DeleteObject',
    'deletion-type': 'Delete Marker Created',
  },
};

export interface S3ObjectEventOptions {
  readonly bucket?: string;
  readonly key?: string;
  readonly size?: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly id?: string;
  readonly time?: string;
  readonly account?: string;
  readonly region?: string;
}

/** An "Object Created" event like the documented one, for another bucket, key or API. */
export function s3ObjectCreated(
  options: S3ObjectEventOptions & { readonly reason?: 'PutObject' | 'POST Object' | 'CopyObject' | 'CompleteMultipartUpload' } = {},
): AwsEvent {
  const event = withS3Object(S3_OBJECT_CREATED_PUT_OBJECT, options);
  if (options.reason !== undefined) event.detail.reason = options.reason;
  if (options.size !== undefined) (event.detail.object as Record<string, unknown>).size = options.size;
  return event;
}

/** An "Object Deleted" event like the documented one. */
export function s3ObjectDeleted(
  options: S3ObjectEventOptions & {
    readonly reason?: 'DeleteObject' | 'Lifecycle Expiration';
    readonly deletionType?: 'Delete Marker Created' | 'Permanently Deleted';
  } = {},
): AwsEvent {
  const event = withS3Object(S3_OBJECT_DELETED, options);
  if (options.reason !== undefined) event.detail.reason = options.reason;
  if (options.deletionType !== undefined) event.detail['deletion-type'] = options.deletionType;
  return event;
}

function withS3Object(sample: AwsEvent, options: S3ObjectEventOptions): AwsEvent {
  const event = withEnvelope(sample, options);
  const object = event.detail.object as Record<string, unknown>;
  if (options.bucket !== undefined) {
    event.resources = [`arn:aws:s3:::${options.bucket}`];
    event.detail.bucket = { name: options.bucket };
  }
  if (options.key !== undefined) object.key = options.key;
  if (options.etag !== undefined) object.etag = options.etag;
  if (options.versionId !== undefined) object['version-id'] = options.versionId;
  if (options.sequencer !== undefined) object.sequencer = options.sequencer;
  return event;
}

// ----- Amazon CloudWatch -----
// Amazon CloudWatch User Guide, "Alarm events and EventBridge", "State change for a single-metric
// alarm" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).

const OK_STATE = {
  reason:
    'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
  reasonData:
    '{"version":"1.0","queryDate":"2019-10-01T13:56:40.985+0000","startDate":"2019-10-01T13:46:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[0.0666851903306472],"threshold":50.0}',
  timestamp: '2019-10-01T13:56:40.987+0000',
  value: 'OK',
};

const ALARM_STATE = {
  reason:
    'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
  reasonData:
    '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0}',
  timestamp: '2019-10-02T17:04:40.989+0000',
  value: 'ALARM',
};

/** The single-metric alarm example, verbatim: OK -> ALARM. */
export const CLOUDWATCH_ALARM_STATE_CHANGE_TO_ALARM: AwsEvent = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
  detail: {
    alarmName: 'ServerCpuTooHigh',
    configuration: {
      description: 'Goes into alarm when server CPU utilization is too high!',
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          metricStat: {
            metric: { dimensions: { InstanceId: 'i-12345678901234567' }, name: 'CPUUtilization', namespace: 'AWS/EC2' },
            period: 300,
            stat: 'Average',
          },
          returnData: true,
        },
      ],
    },
    previousState: OK_STATE,
    state: ALARM_STATE,
  },
};

/**
 * Derived from the single-metric example: the way back, ALARM -> OK, with the documented
 * states swapped (the OK state's reason is the documented "ALARM -> OK transition" one).
 */
export const CLOUDWATCH_ALARM_STATE_CHANGE_TO_OK: AwsEvent = cloudWatchAlarmStateChange({
  state: 'OK',
  previousState: 'ALARM',
  time: '2019-10-02T17:30:40Z',
});

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A "CloudWatch Alarm State Change" like the documented one, for another alarm or transition. */
export function cloudWatchAlarmStateChange(
  options: {
    /** The alarm's ARN; its name, account and region follow from it. */
    readonly alarmArn?: string;
    /** With the sample's account and region, when no ARN is given. */
    readonly alarmName?: string;
    readonly state?: AlarmStateValue;
    readonly previousState?: AlarmStateValue;
    readonly id?: string;
    readonly time?: string;
  } = {},
): AwsEvent {
  const event = withEnvelope(CLOUDWATCH_ALARM_STATE_CHANGE_TO_ALARM, options);
  if (options.alarmArn !== undefined) {
    const match = /^arn:[^:]+:cloudwatch:([^:]+):(\d{12}):alarm:(.+)$/.exec(options.alarmArn);
    if (!match) throw new Error(`not a CloudWatch alarm ARN: ${options.alarmArn}`);
    event.region = match[1];
    event.account = match[2];
    event.resources = [options.alarmArn];
    event.detail.alarmName = match[3];
  } else if (options.alarmName !== undefined) {
    event.resources = [`arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${options.alarmName}`];
    event.detail.alarmName = options.alarmName;
  }
  if (options.state !== undefined) event.detail.state = alarmState(options.state);
  if (options.previousState !== undefined) event.detail.previousState = alarmState(options.previousState);
  return event;
}

function alarmState(value: AlarmStateValue): Record<string, unknown> {
  if (value === 'ALARM') return structuredClone(ALARM_STATE);
  if (value === 'OK') return structuredClone(OK_STATE);
  // As in the documented metric math alarm example's previousState.
  return { reason: 'Unchecked: Initial alarm creation', timestamp: '2019-10-02T17:20:03.642+0000', value: 'INSUFFICIENT_DATA' };
}

// ----- Amazon SageMaker -----
// Amazon SageMaker Developer Guide, "Events that Amazon SageMaker AI sends to Amazon
// EventBridge", "SageMaker model package state change"
// (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
// The documented example carries "source" twice (a string, then ["aws.sagemaker"]), which is not
// valid in an object literal; the first, the envelope's string, is kept.

/** The model package state change example, verbatim apart from the duplicate "source". */
export const SAGEMAKER_MODEL_PACKAGE_STATE_CHANGE: AwsEvent = {
  version: '0',
  id: '844e2571-85d4-695f-b930-0153b71dcb42',
  'detail-type': 'SageMaker Model Package State Change',
  source: 'aws.sagemaker',
  account: '123456789012',
  time: '2021-02-24T17:00:14Z',
  region: 'us-east-2',
  resources: ['arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2'],
  detail: {
    ModelPackageGroupName: 'versionedmp-p-idy6c3e1fiqj',
    ModelPackageVersion: 2,
    ModelPackageArn: 'arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2',
    CreationTime: '2021-02-24T17:00:14Z',
    InferenceSpecification: {
      Containers: [
        {
          Image: '257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3',
          ImageDigest: 'sha256:4dc8a7e4a010a19bb9e0a6b063f355393f6e623603361bd8b105f554d4f0c004',
          ModelDataUrl:
            's3://sagemaker-project-p-idy6c3e1fiqj/versionedmp-p-idy6c3e1fiqj/AbaloneTrain/pipelines-4r83jejmhorv-TrainAbaloneModel-xw869y8C4a/output/model.tar.gz',
        },
      ],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['text/csv'],
    },
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    CertifyForMarketplace: false,
    ModelApprovalStatus: 'Rejected',
    MetadataProperties: {
      GeneratedBy: 'arn:aws:sagemaker:us-east-2:123456789012:pipeline/versionedmp-p-idy6c3e1fiqj/execution/4r83jejmhorv',
    },
    ModelMetrics: {
      ModelQuality: {
        Statistics: {
          ContentType: 'application/json',
          S3Uri:
            's3://sagemaker-project-p-idy6c3e1fiqj/versionedmp-p-idy6c3e1fiqj/script-2021-02-24-10-55-15-413/output/evaluation/evaluation.json',
        },
      },
    },
    LastModifiedTime: '2021-02-24T17:00:14Z',
  },
};

/** A model package state change like the documented one, for another group, version or approval. */
export function sageMakerModelPackageStateChange(
  options: {
    readonly groupName?: string;
    readonly version?: number;
    readonly approvalStatus?: 'Approved' | 'Rejected' | 'PendingManualApproval';
    readonly status?: 'Pending' | 'InProgress' | 'Completed' | 'Failed' | 'Deleting';
    readonly id?: string;
    readonly time?: string;
    readonly account?: string;
    readonly region?: string;
  } = {},
): AwsEvent {
  const event = withEnvelope(SAGEMAKER_MODEL_PACKAGE_STATE_CHANGE, options);
  const group = options.groupName ?? (event.detail.ModelPackageGroupName as string);
  const version = options.version ?? (event.detail.ModelPackageVersion as number);
  const arn = `arn:aws:sagemaker:${event.region}:${event.account}:model-package/${group}/${version}`;
  event.resources = [arn];
  event.detail.ModelPackageGroupName = group;
  event.detail.ModelPackageVersion = version;
  event.detail.ModelPackageArn = arn;
  if (options.approvalStatus !== undefined) event.detail.ModelApprovalStatus = options.approvalStatus;
  if (options.status !== undefined) event.detail.ModelPackageStatus = options.status;
  return event;
}

// ----- Scheduled events -----
// Amazon EventBridge User Guide, "Tutorial: Schedule AWS Lambda functions using EventBridge"
// (eb-run-lambda-schedule): "When this rule runs, it creates an event ... The following is an
// example event."

/** The scheduled event example, verbatim. */
export const SCHEDULED_EVENT: AwsEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2015-10-08T16:53:06Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule'],
  detail: {},
};

/** A "Scheduled Event" like the documented one, from another rule or at another time. */
export function scheduledEvent(options: { readonly ruleArn?: string; readonly id?: string; readonly time?: string } = {}): AwsEvent {
  const event = withEnvelope(SCHEDULED_EVENT, options);
  if (options.ruleArn !== undefined) {
    const match = /^arn:[^:]+:events:([^:]+):(\d{12}):rule\/.+$/.exec(options.ruleArn);
    if (!match) throw new Error(`not an EventBridge rule ARN: ${options.ruleArn}`);
    event.region = match[1];
    event.account = match[2];
    event.resources = [options.ruleArn];
  }
  return event;
}

// ----- helpers -----

function withEnvelope(sample: AwsEvent, options: { id?: string; time?: string; account?: string; region?: string }): AwsEvent {
  const event = structuredClone(sample);
  if (options.id !== undefined) event.id = options.id;
  if (options.time !== undefined) event.time = options.time;
  if (options.account !== undefined) event.account = options.account;
  if (options.region !== undefined) event.region = options.region;
  return event;
}
