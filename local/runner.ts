/**
 * Local mode: the whole stack of one configuration on one machine, wired the way the
 * template says.
 *
 *   .retrain/bucket/        the data bucket (same keys as in S3); writes emit "Object Created"
 *   .retrain/state.json     the state table (same conditional-write semantics)
 *   .retrain/sagemaker/     training jobs, models, endpoints, the registry
 *   .retrain/executions/    state machine executions, so other processes on the directory see them
 *   .retrain/*.jsonl        metrics, retrain's events, notifications
 *
 * The state machine, rules and alarms come from the synthesized template (local/assembly.ts);
 * Lambda tasks run the handlers in-process; SageMaker tasks run on the local backend; time
 * is virtual (local/timeline.ts), so hours of monitoring take seconds and a scenario always
 * unfolds the same way.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Clock, MetricDatum, ObjectStore, StateItem, StateStore } from '../lambdas/adapters/ports';
import { KEYS, type LockData, type PendingData, type RunRecord, type TriggerLogData } from '../lambdas/core/admission';
import { RetrainError } from '../lambdas/core/errors';
import { CHAMPION_KEY } from '../lambdas/core/promote';
import type { Champion } from '../lambdas/core/types';
import type { RetrainConfig } from '../lib/config';
import { resourceNames } from '../lib/types';
import { LocalAlarms, type AlarmChange } from './alarms';
import { loadAssembly, type LocalAssembly } from './assembly';
import { LocalEventBus, type BusEvent, type Delivery } from './event-bus';
import { createFileEvents } from './file-events';
import { createFileMetrics } from './file-metrics';
import { createFileNotifier } from './file-notifier';
import { createFileStateStore } from './file-state-store';
import { createFsObjectStore, objectPath } from './fs-object-store';
import { Intrinsics, LOCAL_ENVIRONMENT, type LocalEnvironment } from './intrinsics';
import { localHandlers, type LocalHandler } from './lambdas';
import { LocalSageMaker, type LocalFaults } from './sagemaker/backend';
import { localHosting, localRegistry } from './sagemaker-ports';
import { LocalStateMachine, type ExecutionRecord } from './state-machine';
import { Timeline } from './timeline';
import { VirtualClock } from './virtual-clock';

export interface LocalRetrainOptions {
  /** The local state directory. */
  readonly root: string;
  readonly config: RetrainConfig;
  /**
   * Virtual time to start at.
   * @default - the time saved in root/clock.json, else now
   */
  readonly start?: Date;
  /**
   * Faults to inject into the SageMaker backend (tests and the demo).
   * @default - none
   */
  readonly faults?: LocalFaults;
  /**
   * Called as executions move and alarms change, for a live timeline.
   * @default - nothing
   */
  readonly onActivity?: (activity: Activity) => void;
  /**
   * Called before every Task state (see LocalStateMachine): tests inject transient errors.
   * @default - nothing
   */
  readonly beforeTask?: (state: string, input: unknown) => void | Promise<void>;
  /**
   * Called after every Task state did its work (see LocalStateMachine): tests inject a failure
   * that comes after the work, like a Lambda that wrote its items and then timed out.
   * @default - nothing
   */
  readonly afterTask?: (state: string, input: unknown, output: unknown) => void | Promise<void>;
  /**
   * How many extra times the event bus delivers an event to a rule's targets, with the same
   * event id (EventBridge delivers at least once). Fault tests only.
   * @default - every event is delivered once
   */
  readonly redeliveries?: (rule: string, event: BusEvent) => number;
  /**
   * Wraps or replaces the state table, given the file state store (fault tests put a wrapper
   * that fails chosen writes around an in-memory table).
   * @default - the file state store (root/state.json)
   */
  readonly stateStore?: (fileStore: StateStore, clock: Clock) => StateStore;
  /**
   * Where to look for a synthesized template first.
   * @default cdk.out of the repository
   */
  readonly cdkOut?: string;
  /**
   * Where templates synthesized in-process are cached (one folder per configuration hash).
   * @default root/cdk.out
   */
  readonly assemblyCache?: string;
}

export type Activity =
  | { kind: 'state'; execution: string; state: string; time: Date }
  | { kind: 'execution-end'; execution: ExecutionRecord; time: Date }
  | { kind: 'alarm'; change: AlarmChange; time: Date }
  | { kind: 'delivery'; delivery: Delivery; time: Date };

export class LocalRetrain {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly store: ObjectStore;
  readonly state: StateStore;
  readonly sagemaker: LocalSageMaker;
  readonly stateMachine: LocalStateMachine;
  readonly bus: LocalEventBus;
  readonly alarms: LocalAlarms;
  readonly metrics: ReturnType<typeof createFileMetrics>;
  readonly events: ReturnType<typeof createFileEvents>;
  readonly notifications: ReturnType<typeof createFileNotifier>;
  readonly assembly: LocalAssembly;
  readonly env: LocalEnvironment;
  readonly names: ReturnType<typeof resourceNames>;
  readonly functions: Record<string, LocalHandler>;

  private constructor(readonly options: LocalRetrainOptions) {
    const { root, config } = options;
    mkdirSync(root, { recursive: true });
    this.names = resourceNames(config.project.name);
    this.env = { ...LOCAL_ENVIRONMENT, stackName: config.project.name, bucketName: `${config.project.name}-local-data` };
    this.clock = new VirtualClock(options.start ?? savedClock(root) ?? new Date());
    this.timeline = new Timeline(this.clock);
    this.assembly = loadAssembly(config, {
      ...(options.cdkOut ? { cdkOut: options.cdkOut } : {}),
      cacheDir: options.assemblyCache ?? join(root, 'cdk.out'),
    });
    const intrinsics = new Intrinsics(this.assembly.template, this.env);

    this.metrics = createFileMetrics(join(root, 'metrics.jsonl'), this.clock);
    this.notifications = createFileNotifier(join(root, 'notifications.jsonl'), this.clock);
    const fileState = createFileStateStore(join(root, 'state.json'), { clock: this.clock });
    this.state = options.stateStore ? options.stateStore(fileState, this.clock) : fileState;
    const bucketDir = join(root, 'bucket');
    this.store = withObjectCreatedEvents(createFsObjectStore(bucketDir), bucketDir, this.clock, this.env, (event) => this.bus.emit(event));
    this.sagemaker = new LocalSageMaker({
      store: this.store,
      bucket: this.env.bucketName,
      stateDir: join(root, 'sagemaker'),
      clock: this.clock,
      ...(options.faults ? { faults: options.faults } : {}),
      region: this.env.region,
      accountId: this.env.account,
      onEvent: async (event) => {
        await this.bus.emit({ 'detail-type': event.detailType, source: event.source, resources: event.resources, detail: event.detail, time: event.time });
      },
    });
    const fileEvents = createFileEvents(join(root, 'events.jsonl'), this.clock);
    this.events = {
      ...fileEvents,
      publish: async (detailType, detail) => {
        await fileEvents.publish(detailType, detail);
        await this.bus.emit({ 'detail-type': detailType, source: 'retrain', resources: [], detail });
      },
    };

    const machineId = intrinsics.find('AWS::StepFunctions::StateMachine');
    if (!machineId) throw new RetrainError('the template has no state machine');
    const machine = this.assembly.template.Resources[machineId];
    const definition = JSON.parse(String(intrinsics.resolve(machine.Properties?.DefinitionString)));
    const stateMachineArn = String(intrinsics.ref(machineId));

    const functions: Record<string, LocalHandler> = {};
    this.functions = functions;
    this.stateMachine = new LocalStateMachine({
      definition,
      stateMachineArn,
      functions,
      sagemaker: this.sagemaker,
      timeline: this.timeline,
      executionsDir: join(root, 'executions'),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
      ...(options.afterTask ? { afterTask: options.afterTask } : {}),
      onEvent: (record, event) =>
        this.activity(
          event.type === 'state'
            ? { kind: 'state', execution: record.name, state: event.state, time: this.clock.now() }
            : { kind: 'execution-end', execution: record, time: this.clock.now() },
        ),
    });
    const handlers = localHandlers({
      projectName: config.project.name,
      store: this.store,
      bucket: this.env.bucketName,
      state: this.state,
      clock: this.clock,
      executions: this.stateMachine,
      events: this.events,
      notifier: this.notifications,
      metrics: this.metrics,
      hosting: localHosting(this.sagemaker),
      registry: localRegistry(this.sagemaker),
      tokens: this.stateMachine,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))),
    });
    for (const [logicalId, resource] of Object.entries(this.assembly.template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const name = String(intrinsics.ref(logicalId));
      const short = name.startsWith(`${config.project.name}-`) ? name.slice(config.project.name.length + 1) : undefined;
      if (short && handlers[short]) functions[name] = handlers[short];
    }

    this.bus = new LocalEventBus(this.assembly.template, intrinsics, this.env, this.clock, {
      deliver: async (targetArn, input) => {
        if (targetArn === stateMachineArn) {
          this.stateMachine.run(input);
          return;
        }
        const fn = functions[targetArn.split(':').pop() ?? ''];
        if (!fn) throw new RetrainError(`local mode has no target ${targetArn}`);
        await fn(input);
      },
      ...(options.redeliveries ? { redeliveries: options.redeliveries } : {}),
    });
    this.alarms = new LocalAlarms(
      this.assembly.template,
      intrinsics,
      join(root, 'alarms.json'),
      this.clock,
      () => this.metrics.read() as Promise<MetricDatum[]>,
      this.bus,
      this.notifications,
    );
  }

  /** Opens local mode on a directory; the model package group exists, endpoints are served again. */
  static async open(options: LocalRetrainOptions): Promise<LocalRetrain> {
    const local = new LocalRetrain(options);
    await local.sagemaker.ensureModelPackageGroup(local.names.modelPackageGroup, `retrain (${options.config.project.name}), local mode`);
    await local.sagemaker.resumeEndpoints();
    return local;
  }

  // ------------------------------------------------------------------ what users do

  /** A user uploads an object (e.g. a CSV under raw/): "Object Created" goes to the rules. */
  async upload(key: string, body: string | Uint8Array | Readable): Promise<void> {
    await this.store.write(key, body);
  }

  /** An object that reached the bucket another way (copied into the directory): announce it. */
  async announce(key: string): Promise<void> {
    const info = await this.store.head(key);
    if (!info) throw new RetrainError(`no object ${key} in the local bucket`);
    await this.bus.emit(objectCreatedEvent(this.env, key, info.size, info.etag, 'PutObject'));
  }

  /** "Start execution" from the console or `retrain local run`. */
  startRun(input: Record<string, unknown> = {}, name?: string): ExecutionRecord {
    return this.stateMachine.run(input, name);
  }

  /** Fires a schedule rule (the pipeline's schedule, or a monitor's), by name or logical id. */
  async tick(ruleName: string): Promise<Delivery[]> {
    const deliveries = await this.bus.tick(ruleName);
    for (const delivery of deliveries) this.activity({ kind: 'delivery', delivery, time: this.clock.now() });
    return deliveries;
  }

  /** Runs both monitors now (their schedule rules fire). */
  async runMonitors(): Promise<Delivery[]> {
    return [...(await this.tick(`${this.options.config.project.name}-drift-monitor`)), ...(await this.tick(`${this.options.config.project.name}-quality-monitor`))];
  }

  /** Evaluates the alarms at the current virtual time; state changes reach the trigger rules. */
  async evaluateAlarms(): Promise<AlarmChange[]> {
    const changes = await this.alarms.evaluate();
    for (const change of changes) this.activity({ kind: 'alarm', change, time: this.clock.now() });
    return changes;
  }

  /** A prediction from the endpoint (data capture included), with the model's input encoding. */
  async invoke(csvRows: string, inferenceId?: string): Promise<string> {
    const result = await this.sagemaker.invokeEndpoint(this.names.endpoint, csvRows, {
      contentType: 'text/csv',
      ...(inferenceId ? { inferenceId } : {}),
    });
    return Buffer.from(result.Body).toString('utf8').trim();
  }

  /**
   * Lets every execution run until all are done or wait on a person. Virtual time jumps to
   * the next timer whenever every live execution waits on one (a debounce window); with
   * `advanceTime: false` it returns as soon as every live execution waits.
   */
  async settle(options: { stopAtApproval?: boolean; advanceTime?: boolean; maxRealMs?: number } = {}): Promise<void> {
    const stopAtApproval = options.stopAtApproval ?? true;
    const advanceTime = options.advanceTime ?? true;
    const deadline = Date.now() + (options.maxRealMs ?? 300_000);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const live = [...this.stateMachine.executions.values()].filter((e) => e.status === 'RUNNING');
      if (live.length === 0) return;
      if (live.every((e) => e.blockedOn)) {
        if (!advanceTime) return;
        const onlyApprovals = live.every((e) => e.blockedOn === 'approval');
        if (onlyApprovals && stopAtApproval) return;
        if (!this.timeline.advanceToNextTimer() && onlyApprovals) return;
      }
      if (Date.now() > deadline) throw new RetrainError(`local executions did not settle within ${options.maxRealMs ?? 300_000} ms`);
    }
  }

  /** Moves virtual time (waking timers on the way). */
  advance(seconds: number): void {
    this.timeline.advanceBy(seconds);
  }

  // ------------------------------------------------------------------ what there is to see

  async runs(): Promise<RunRecord[]> {
    return (await this.state.query<RunRecord>(KEYS.runPk)).map((i) => i.data);
  }

  async triggers(): Promise<TriggerLogData[]> {
    return (await this.state.query<TriggerLogData>(KEYS.triggerPk)).map((i) => i.data);
  }

  async champion(): Promise<Champion | undefined> {
    return (await this.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk))?.data;
  }

  async lock(): Promise<StateItem<LockData> | undefined> {
    return this.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
  }

  async pending(): Promise<PendingData[]> {
    return (await this.state.query<PendingData>(KEYS.pendingPk)).map((i) => i.data);
  }

  /** Stops model servers, writes buffered capture, saves the virtual clock. */
  async close(): Promise<void> {
    // Local executions live in this process: stop them (the next trigger takes their lock over).
    this.stateMachine.abortAll();
    await this.sagemaker.close();
    writeFileSync(join(this.options.root, 'clock.json'), `${JSON.stringify({ now: this.clock.now().toISOString() })}\n`);
  }

  private activity(activity: Activity): void {
    this.options.onActivity?.(activity);
  }
}

function savedClock(root: string): Date | undefined {
  const path = join(root, 'clock.json');
  if (!existsSync(path)) return undefined;
  return new Date((JSON.parse(readFileSync(path, 'utf8')) as { now: string }).now);
}

/**
 * The bucket with EventBridge notifications on: every write is an "Object Created" event.
 * Objects are stamped with the virtual time (their LastModified), which the ETL's lookback and
 * the monitors' windows read.
 */
function withObjectCreatedEvents(
  store: ObjectStore,
  dir: string,
  clock: VirtualClock,
  env: LocalEnvironment,
  emit: (event: { 'detail-type': string; source: string; resources: string[]; detail: Record<string, unknown> }) => Promise<unknown>,
): ObjectStore {
  return {
    list: (prefix) => store.list(prefix),
    read: (key, options) => store.read(key, options),
    head: (key) => store.head(key),
    async write(key, body, options) {
      await store.write(key, body, options);
      const now = clock.now();
      await utimes(objectPath(dir, key), now, now);
      const info = await store.head(key);
      const reason = typeof body === 'string' || body instanceof Uint8Array ? 'PutObject' : 'CompleteMultipartUpload';
      await emit(objectCreatedEvent(env, key, info?.size ?? 0, info?.etag ?? '', reason));
    },
  };
}

/** S3's "Object Created" event for the data bucket, as EventBridge delivers it. */
function objectCreatedEvent(env: LocalEnvironment, key: string, size: number, etag: string, reason: string) {
  return {
    'detail-type': 'Object Created',
    source: 'aws.s3',
    resources: [`arn:aws:s3:::${env.bucketName}`],
    detail: {
      version: '0',
      bucket: { name: env.bucketName },
      object: { key, size, etag: etag.replace(/"/g, ''), sequencer: Date.now().toString(16) },
      'request-id': 'local',
      requester: env.account,
      reason,
    },
  };
}
