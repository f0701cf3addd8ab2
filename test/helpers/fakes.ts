/**
 * In-memory fakes of the ports the core and the handler factories take: SageMaker hosting and
 * registry, Step Functions task tokens and executions, EventBridge, SNS. Each records what it
 * was asked to do, so tests assert on calls as well as on results. (The ObjectStore and the
 * MetricsSink are in memory.ts, the StateStore in memory-state-store.ts, the clock in
 * fake-clock.ts.)
 */
import type {
  BlueGreenDeployment,
  EndpointDescription,
  EventPublisher,
  ExecutionStatus,
  Executions,
  ModelHosting,
  ModelPackageInfo,
  ModelRegistry,
  Notifier,
  TaskTokens,
} from '../../lambdas/adapters/ports';
import type { Champion, Trigger } from '../../lambdas/core/types';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:retrain-pipeline`;

/** arn:aws:states:...:execution:retrain-pipeline:<name> */
export function executionArn(name: string): string {
  return `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** arn:aws:sagemaker:...:model-package/<group>/<version> */
export function modelPackageArn(group: string, version: number): string {
  return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${group}/${version}`;
}

/** A normalized trigger with test defaults. */
export function trigger(overrides: Partial<Trigger> = {}): Trigger {
  return {
    type: 'manual',
    reason: 'started by a person (console or CLI)',
    detail: {},
    eventId: 'evt-1',
    time: '2026-11-27T12:00:00.000Z',
    ...overrides,
  };
}

// ------------------------------------------------------------------ SageMaker hosting

export type HostingCall =
  | { op: 'createEndpoint'; name: string; endpointConfigName: string }
  | { op: 'updateEndpoint'; name: string; endpointConfigName: string; deployment?: BlueGreenDeployment }
  | { op: 'deleteEndpointConfig'; name: string };

/** Endpoints and endpoint configs in memory. Writes record a call and change nothing else. */
export class FakeHosting implements ModelHosting {
  readonly endpoints = new Map<string, EndpointDescription>();
  /** Endpoint configs, in the order they were added (oldest first). */
  readonly configs: Array<{ name: string; createdAt: Date }> = [];
  readonly calls: HostingCall[] = [];
  /** Config names whose deletion fails with this message. */
  readonly deleteFailures = new Map<string, string>();

  /** Adds or replaces an endpoint. */
  withEndpoint(endpoint: Partial<EndpointDescription> & { name: string }): this {
    this.endpoints.set(endpoint.name, { status: 'InService', endpointConfigName: `${endpoint.name}-config`, ...endpoint });
    return this;
  }

  /** Adds endpoint configs, one minute apart, in the order given (the last is the newest). */
  withConfigs(...names: string[]): this {
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (const name of names) this.configs.push({ name, createdAt: new Date(start + this.configs.length * 60_000) });
    return this;
  }

  async describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
    return this.endpoints.get(name);
  }

  async createEndpoint(name: string, endpointConfigName: string): Promise<void> {
    this.calls.push({ op: 'createEndpoint', name, endpointConfigName });
  }

  async updateEndpoint(name: string, endpointConfigName: string, deployment?: BlueGreenDeployment): Promise<void> {
    this.calls.push({ op: 'updateEndpoint', name, endpointConfigName, ...(deployment ? { deployment } : {}) });
  }

  async listEndpointConfigs(namePrefix: string): Promise<Array<{ name: string; createdAt: Date }>> {
    return this.configs
      .filter((c) => c.name.startsWith(namePrefix))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async deleteEndpointConfig(name: string): Promise<void> {
    this.calls.push({ op: 'deleteEndpointConfig', name });
    const failure = this.deleteFailures.get(name);
    if (failure) throw new Error(failure);
    const index = this.configs.findIndex((c) => c.name === name);
    if (index >= 0) this.configs.splice(index, 1);
  }
}

// ------------------------------------------------------------------ SageMaker Model Registry

/** A model package as retrain registers it, with test defaults. */
export function modelPackage(overrides: Partial<ModelPackageInfo> = {}): ModelPackageInfo {
  const group = overrides.group ?? 'retrain-models';
  const version = overrides.version ?? 3;
  const runId = '20261120-080000-abcdef';
  return {
    arn: modelPackageArn(group, version),
    group,
    version,
    status: 'Approved',
    createdAt: new Date('2026-11-20T09:00:00Z'),
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    modelDataUrl: `s3://data-bucket/runs/${runId}/model/output/model.tar.gz`,
    description: 'auc 0.91 beats the champion',
    metadata: { runId, metric: 'auc', candidate: '0.91', schema: `s3://data-bucket/runs/${runId}/schema.json` },
    evaluationUri: `s3://data-bucket/runs/${runId}/evaluation.json`,
    baselineUri: `s3://data-bucket/runs/${runId}/baseline.json`,
    ...overrides,
  };
}

export class FakeRegistry implements ModelRegistry {
  readonly packages = new Map<string, ModelPackageInfo>();
  readonly approvals: Array<{ arn: string; status: 'Approved' | 'Rejected'; description: string }> = [];

  withPackage(...packages: ModelPackageInfo[]): this {
    for (const p of packages) this.packages.set(p.arn, p);
    return this;
  }

  async describePackage(arn: string): Promise<ModelPackageInfo | undefined> {
    return this.packages.get(arn);
  }

  async listPackages(group: string, options: { status?: ModelPackageInfo['status']; limit?: number } = {}): Promise<ModelPackageInfo[]> {
    const found = [...this.packages.values()]
      .filter((p) => p.group === group && (!options.status || p.status === options.status))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return options.limit === undefined ? found : found.slice(0, options.limit);
  }

  async setApproval(arn: string, status: 'Approved' | 'Rejected', description: string): Promise<void> {
    this.approvals.push({ arn, status, description });
    const current = this.packages.get(arn);
    if (current) this.packages.set(arn, { ...current, status });
  }
}

// ------------------------------------------------------------------ Step Functions

export class FakeTaskTokens implements TaskTokens {
  readonly succeeded: Array<{ taskToken: string; output: Record<string, unknown> }> = [];
  readonly failed: Array<{ taskToken: string; error: string; cause: string }> = [];

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    this.succeeded.push({ taskToken, output });
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    this.failed.push({ taskToken, error, cause });
  }
}

/** Executions: RUNNING unless told otherwise; start is idempotent by name, like StartExecution. */
export class FakeExecutions implements Executions {
  readonly statuses = new Map<string, ExecutionStatus>();
  readonly started: Array<{ stateMachineArn: string; name: string; input: Record<string, unknown> }> = [];

  async status(arn: string): Promise<ExecutionStatus> {
    return this.statuses.get(arn) ?? 'RUNNING';
  }

  async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<{ executionArn: string }> {
    if (!this.started.some((s) => s.name === name)) this.started.push({ stateMachineArn, name, input });
    return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
  }
}

// ------------------------------------------------------------------ EventBridge and SNS

export class RecordingEvents implements EventPublisher {
  readonly published: Array<{ detailType: string; detail: Record<string, unknown> }> = [];

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    this.published.push({ detailType, detail: structuredClone(detail) });
  }
}

export class RecordingNotifier implements Notifier {
  readonly messages: Array<{ subject: string; message: string }> = [];

  async notify(subject: string, message: string): Promise<void> {
    this.messages.push({ subject, message });
  }
}

/** The champion pointer the monitor tests start from (run-7 of the churn project). */
export function championFixture(overrides: Partial<Champion> = {}): Champion {
  return {
    runId: 'run-7',
    modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7',
    modelName: 'churn-run-7',
    endpointConfigName: 'churn-run-7',
    metric: { name: 'auc', value: 0.9 },
    baselineUri: 's3://data-bucket/runs/run-7/baseline.json',
    schemaUri: 's3://data-bucket/runs/run-7/schema.json',
    since: '2024-05-01T08:00:00.000Z',
    ...overrides,
  };
}
