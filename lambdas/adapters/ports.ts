/**
 * Ports: what the core and the handlers need from the outside world. The AWS adapters in
 * this folder implement them with SDK v3 clients; local mode implements them on the file
 * system. Only types here, so the core can import this file and stay free of the SDK.
 */
import type { Readable } from 'node:stream';

/** An object in the data bucket (or the local directory that stands for it). */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** Undefined when the store is not versioned. */
  readonly versionId?: string;
  readonly lastModified: Date;
}

/** An object's content as it was read. */
export interface ObjectBody {
  readonly body: Readable;
  /** The version that was read, when the store is versioned. */
  readonly versionId?: string;
  readonly etag?: string;
}

/** The data bucket. Keys are the same in S3 and in local mode. */
export interface ObjectStore {
  /** Every object under the prefix, in key order, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * The object's bytes as a stream: a given version when `versionId` is set; with `ifMatch`
   * (an ETag from list) the read fails with ConditionFailedError if the object changed since.
   * Throws NotFoundError when the object does not exist.
   */
  read(key: string, options?: { versionId?: string; ifMatch?: string }): Promise<ObjectBody>;
  /** Metadata of one object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Writes an object. A string or bytes is one request; a stream is uploaded in parts as
   * it is produced (memory stays bounded), and the promise settles when the object exists.
   */
  write(key: string, body: string | Uint8Array | Readable, options?: { contentType?: string }): Promise<void>;
}

/** An item of the state table. `version` increases by one on every write. */
export interface StateItem<T = unknown> {
  readonly pk: string;
  readonly sk: string;
  readonly version: number;
  readonly data: T;
  /** Epoch seconds after which the item may be removed (DynamoDB TTL). */
  readonly expiresAt?: number;
}

/** When a put may happen. */
export type PutCondition = { readonly ifAbsent: true } | { readonly ifVersion: number } | { readonly always: true };

/**
 * The state table: a key-value store with optimistic concurrency. A put or delete whose
 * condition does not hold throws ConditionFailedError (a conditional write in DynamoDB,
 * the same check under a file lock in local mode).
 */
export interface StateStore {
  get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined>;
  put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>>;
  delete(pk: string, sk: string, condition?: { readonly ifVersion: number }): Promise<void>;
  /** Items of one partition in sort-key order (descending with newestFirst). */
  query<T>(pk: string, options?: { beginsWith?: string; limit?: number; newestFirst?: boolean }): Promise<StateItem<T>[]>;
}

/** Time, injected so tests and local mode control it. */
export interface Clock {
  now(): Date;
}

/** EventBridge events with source "retrain". */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

/** The notification topic. */
export interface Notifier {
  notify(subject: string, message: string): Promise<void>;
}

/** One CloudWatch datapoint. */
export interface MetricDatum {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'None' | 'Percent' | 'Seconds' | 'Milliseconds' | 'Bytes';
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Defaults to now. */
  readonly timestamp?: Date;
}

/** CloudWatch metrics in the project's namespace. */
export interface MetricsSink {
  put(data: readonly MetricDatum[]): Promise<void>;
}

/** Step Functions executions of the pipeline. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'NOT_FOUND';

export interface Executions {
  status(executionArn: string): Promise<ExecutionStatus>;
  /** Starts an execution with a given name (idempotent for the same name and input). */
  start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<{ executionArn: string }>;
}

/** What the deploy step needs from SageMaker hosting. */
export interface EndpointDescription {
  readonly name: string;
  /** Creating | Updating | SystemUpdating | RollingBack | InService | OutOfService | Deleting | Failed | UpdateRollbackFailed */
  readonly status: string;
  readonly endpointConfigName: string;
  readonly failureReason?: string;
}

export interface TrafficRouting {
  readonly type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
  /** Percent of capacity for CANARY (canary size) or LINEAR (step size). */
  readonly percent?: number;
  readonly waitIntervalSeconds: number;
}

export interface BlueGreenDeployment {
  readonly routing: TrafficRouting;
  readonly terminationWaitSeconds: number;
  readonly maximumExecutionTimeoutSeconds: number;
  /** CloudWatch alarms whose ALARM state rolls the update back. */
  readonly rollbackAlarmNames: readonly string[];
}

export interface ModelHosting {
  describeEndpoint(name: string): Promise<EndpointDescription | undefined>;
  createEndpoint(name: string, endpointConfigName: string): Promise<void>;
  /** Without `deployment` (serverless endpoints) the update is all at once without guardrails. */
  updateEndpoint(name: string, endpointConfigName: string, deployment?: BlueGreenDeployment): Promise<void>;
  /** Endpoint configs whose name starts with the prefix, newest first. */
  listEndpointConfigs(namePrefix: string): Promise<Array<{ name: string; createdAt: Date }>>;
  deleteEndpointConfig(name: string): Promise<void>;
}

/** Resumes a state machine task that waits with `.waitForTaskToken`. */
export interface TaskTokens {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** A model package version in the project's group. */
export interface ModelPackageInfo {
  readonly arn: string;
  readonly group: string;
  readonly version: number;
  readonly status: 'Approved' | 'Rejected' | 'PendingManualApproval';
  readonly createdAt: Date;
  /** Inference image and model artifact of the package's (first) container. */
  readonly image: string;
  readonly modelDataUrl: string;
  readonly description?: string;
  /** CustomerMetadataProperties: runId, trigger, metric, candidate, baseline, schema, ... */
  readonly metadata: Readonly<Record<string, string>>;
  /** ModelMetrics.ModelQuality.Statistics.S3Uri (evaluation.json). */
  readonly evaluationUri?: string;
  /** DriftCheckBaselines.ModelDataQuality.Statistics.S3Uri (baseline.json). */
  readonly baselineUri?: string;
}

/** The SageMaker Model Registry, for approval, rollback and the CLI. */
export interface ModelRegistry {
  /** undefined when no such package exists. */
  describePackage(arn: string): Promise<ModelPackageInfo | undefined>;
  /** Packages of a group, newest first. */
  listPackages(group: string, options?: { status?: ModelPackageInfo['status']; limit?: number }): Promise<ModelPackageInfo[]>;
  setApproval(arn: string, status: 'Approved' | 'Rejected', description: string): Promise<void>;
}
