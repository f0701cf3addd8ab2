/**
 * The local SageMaker backend: what the SageMaker Task states of the synthesized state machine
 * call in local mode, keeping SageMaker's contract (requests and responses are the types of
 * @aws-sdk/client-sagemaker; errors carry SageMaker's codes and wording, see errors.ts).
 *
 *   training        createTrainingJob (.sync), describeTrainingJob          → training.ts
 *   models          createModel, describeModel, deleteModel                 → models.ts
 *   batch transform createTransformJob (.sync), describeTransformJob        → transform.ts
 *   hosting         create/describe/list/deleteEndpointConfig,
 *                   create/update/describe/deleteEndpoint, invokeEndpoint   → endpoints.ts
 *   registry        create/describe ModelPackageGroup, ensureModelPackageGroup,
 *                   create/describe/list/updateModelPackage                 → registry.ts
 *
 * Resources are JSON files under `stateDir`, so other processes see them (state.ts). Model
 * servers live in the process that started them (endpoints.ts says what another process can do).
 * `close()` stops this process's model servers and writes the buffered data capture.
 *
 * Timestamps come from the injected clock. Outputs hold Date objects, as the SDK's do;
 * `toStateOutput` turns them into the epoch milliseconds Step Functions puts in a Task's output.
 */
import type {
  CreateEndpointConfigInput,
  CreateEndpointConfigOutput,
  CreateEndpointInput,
  CreateEndpointOutput,
  CreateModelInput,
  CreateModelOutput,
  CreateModelPackageGroupInput,
  CreateModelPackageGroupOutput,
  CreateModelPackageInput,
  CreateModelPackageOutput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DescribeModelOutput,
  DescribeModelPackageGroupOutput,
  DescribeModelPackageOutput,
  DescribeTrainingJobResponse,
  DescribeTransformJobResponse,
  ListEndpointConfigsInput,
  ListEndpointConfigsOutput,
  ListModelPackagesInput,
  ListModelPackagesOutput,
  UpdateEndpointInput,
  UpdateEndpointOutput,
  UpdateModelPackageInput,
  UpdateModelPackageOutput,
} from '@aws-sdk/client-sagemaker';
import type { Clock, ObjectStore } from '../../lambdas/adapters/ports';
import type { BackendContext, LocalFaults, SageMakerEvent } from './context';
import { Hosting, type AlarmStates, type InvokeEndpointResult, type InvokeOptions } from './endpoints';
import { Models } from './models';
import { Arns } from './names';
import { Registry } from './registry';
import { StateFiles } from './state';
import { TrainingJobs } from './training';
import { TransformJobs } from './transform';

export type { AlarmStates, InvokeEndpointResult, InvokeOptions } from './endpoints';
export type { LocalFaults, SageMakerEvent } from './context';

export interface LocalSageMakerOptions {
  /** The data bucket (local directory or S3 stand-in). */
  readonly store: ObjectStore;
  /** Name of the bucket `store` stands for: s3://<bucket>/<key> URIs map to store keys. */
  readonly bucket: string;
  /** Where resources are kept as JSON files. */
  readonly stateDir: string;
  readonly clock: Clock;
  /** Faults to inject; read when they apply, so the object may change between calls. @default none */
  readonly faults?: LocalFaults;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** Receives the events SageMaker would send to EventBridge (model package state changes). @default events are dropped */
  readonly onEvent?: (event: SageMakerEvent) => void | Promise<void>;
  /** Alarm states for UpdateEndpoint's AutoRollbackConfiguration. @default alarms are never in ALARM */
  readonly alarms?: AlarmStates;
  /** Capture records buffered per endpoint, variant and hour before a file is written. @default 1000 */
  readonly captureMaxRecords?: number;
  /** Seed of data capture sampling (InitialSamplingPercentage < 100). @default 0 */
  readonly seed?: number;
}

export class LocalSageMaker {
  readonly region: string;
  readonly accountId: string;
  private readonly training: TrainingJobs;
  private readonly models: Models;
  private readonly transforms: TransformJobs;
  private readonly hosting: Hosting;
  private readonly registry: Registry;

  constructor(options: LocalSageMakerOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    const onEvent = options.onEvent;
    const ctx: BackendContext = {
      store: options.store,
      bucket: options.bucket,
      clock: options.clock,
      state: new StateFiles(options.stateDir),
      arns: new Arns(this.region, this.accountId),
      faults: options.faults ?? {},
      emit: async (event) => {
        await onEvent?.(event);
      },
    };
    this.models = new Models(ctx);
    this.training = new TrainingJobs(ctx);
    this.transforms = new TransformJobs(ctx, this.models);
    this.hosting = new Hosting(ctx, this.models, { alarms: options.alarms, captureMaxRecords: options.captureMaxRecords, seed: options.seed });
    this.registry = new Registry(ctx);
  }

  // ----- training -----

  /** .sync: resolves when Completed; throws TaskFailedError ("States.TaskFailed", message = Describe JSON) when Failed. */
  createTrainingJob(request: CreateTrainingJobRequest): Promise<DescribeTrainingJobResponse> {
    return this.training.create(request);
  }

  describeTrainingJob(name: string): Promise<DescribeTrainingJobResponse> {
    return this.training.describe(name);
  }

  // ----- models -----

  createModel(request: CreateModelInput): Promise<CreateModelOutput> {
    return this.models.create(request);
  }

  describeModel(name: string): Promise<DescribeModelOutput> {
    return this.models.describe(name);
  }

  deleteModel(name: string): Promise<void> {
    return this.models.delete(name);
  }

  // ----- batch transform -----

  /** .sync: resolves when Completed; throws TaskFailedError when Failed. */
  createTransformJob(request: CreateTransformJobRequest): Promise<DescribeTransformJobResponse> {
    return this.transforms.create(request);
  }

  describeTransformJob(name: string): Promise<DescribeTransformJobResponse> {
    return this.transforms.describe(name);
  }

  // ----- hosting -----

  createEndpointConfig(request: CreateEndpointConfigInput): Promise<CreateEndpointConfigOutput> {
    return this.hosting.createEndpointConfig(request);
  }

  describeEndpointConfig(name: string): Promise<DescribeEndpointConfigOutput> {
    return this.hosting.describeEndpointConfig(name);
  }

  listEndpointConfigs(request: ListEndpointConfigsInput = {}): Promise<ListEndpointConfigsOutput> {
    return this.hosting.listEndpointConfigs(request);
  }

  deleteEndpointConfig(name: string): Promise<void> {
    return this.hosting.deleteEndpointConfig(name);
  }

  /** Returns at once (status Creating); the endpoint becomes InService or Failed in the background. */
  createEndpoint(request: CreateEndpointInput): Promise<CreateEndpointOutput> {
    return this.hosting.createEndpoint(request);
  }

  /** Returns at once (status Updating); InService on the new config, or rolled back to the old one. */
  updateEndpoint(request: UpdateEndpointInput): Promise<UpdateEndpointOutput> {
    return this.hosting.updateEndpoint(request);
  }

  describeEndpoint(name: string): Promise<DescribeEndpointOutput> {
    return this.hosting.describeEndpoint(name);
  }

  deleteEndpoint(name: string): Promise<void> {
    return this.hosting.deleteEndpoint(name);
  }

  /** SageMaker Runtime InvokeEndpoint; throws InvocationError (ValidationError, ModelError, ServiceUnavailable). */
  invokeEndpoint(name: string, body: string | Uint8Array, options: InvokeOptions = {}): Promise<InvokeEndpointResult> {
    return this.hosting.invokeEndpoint(name, body, options);
  }

  /** Writes the buffered capture records; resolves with the number of capture files this process has written. */
  flushCapture(): Promise<number> {
    return this.hosting.flushCapture();
  }

  /** Waits until every endpoint transition this process started is done (tests, CLI). */
  waitForSettled(): Promise<void> {
    return this.hosting.waitForSettled();
  }

  /** Takes over the endpoints whose process exited: serves InService ones again, restarts a half-done create or update. */
  resumeEndpoints(): Promise<string[]> {
    return this.hosting.resumeEndpoints();
  }

  // ----- registry -----

  createModelPackageGroup(request: CreateModelPackageGroupInput): Promise<CreateModelPackageGroupOutput> {
    return this.registry.createModelPackageGroup(request);
  }

  ensureModelPackageGroup(name: string, description?: string): Promise<string> {
    return this.registry.ensureModelPackageGroup(name, description);
  }

  describeModelPackageGroup(name: string): Promise<DescribeModelPackageGroupOutput> {
    return this.registry.describeModelPackageGroup(name);
  }

  createModelPackage(request: CreateModelPackageInput): Promise<CreateModelPackageOutput> {
    return this.registry.createModelPackage(request);
  }

  /** By ARN or "<group>/<version>". */
  describeModelPackage(nameOrArn: string): Promise<DescribeModelPackageOutput> {
    return this.registry.describeModelPackage(nameOrArn);
  }

  listModelPackages(request: ListModelPackagesInput = {}): Promise<ListModelPackagesOutput> {
    return this.registry.listModelPackages(request);
  }

  updateModelPackage(request: UpdateModelPackageInput): Promise<UpdateModelPackageOutput> {
    return this.registry.updateModelPackage(request);
  }

  /** Stops this process's model servers and writes the buffered capture. */
  close(): Promise<void> {
    return this.hosting.close();
  }
}

/**
 * A response as Step Functions puts it in a Task state's output: JSON without undefined fields,
 * timestamps as epoch milliseconds (what the optimized SageMaker integrations return, e.g.
 * "CreationTime": 1732708800000) or, with `timestamps: 'iso'`, as ISO-8601 strings.
 */
export function toStateOutput<T>(value: T, options: { timestamps?: 'epoch-millis' | 'iso' } = {}): unknown {
  const iso = options.timestamps === 'iso';
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const original = this[key];
      return original instanceof Date ? (iso ? original.toISOString() : original.getTime()) : v;
    }),
  );
}
