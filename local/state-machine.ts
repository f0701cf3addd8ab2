/**
 * Runs the synthesized definition with aws-local-stepfunctions. Every Task state gets a local
 * handler chosen by its Resource — the Lambda handlers of local/lambdas.ts for function ARNs
 * and `lambda:invoke.waitForTaskToken`, the local SageMaker backend for `sagemaker:*` and
 * `aws-sdk:sagemaker:*` — so the definition itself runs unchanged. Executions are tracked
 * here, which makes this the local Executions port (status for stale locks, start for
 * follow-up runs).
 *
 * Several processes may run local mode on one directory (`retrain local up` and a `retrain
 * local run` beside it), as several callers share one state machine in the cloud. With
 * `executionsDir`, each execution is also a JSON record on disk naming its owner process (host
 * and pid) and a heartbeat the owner renews, so status() answers for executions another
 * process started: RUNNING while the owner lives (and keeps its heartbeat), ABORTED once it is
 * gone — an execution does not outlive the process that runs it locally.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ExecutionStatus, Executions, TaskTokens } from '../lambdas/adapters/ports';
import { jsonBytes, STATE_PAYLOAD_BYTES } from '../lambdas/core/aws-limits';
import { InvalidInputError, NotFoundError, RetrainError } from '../lambdas/core/errors';
import type { LocalHandler } from './lambdas';
import { toStateOutput, type LocalSageMaker } from './sagemaker/backend';
import { toStatesError } from './sagemaker/errors';
import type { Timeline } from './timeline';

// aws-local-stepfunctions uses Promise.withResolvers (Node.js 22); Node.js 20 lacks it.
const promiseStatics = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
promiseStatics.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the polyfill above
const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');

type Definition = { StartAt: string; States: Record<string, StateJson> };
interface StateJson {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  Branches?: Definition[];
}

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly input: unknown;
  status: Exclude<ExecutionStatus, 'NOT_FOUND' | 'PENDING_REDRIVE'>;
  readonly startedAt: string;
  stoppedAt?: string;
  output?: unknown;
  error?: string;
  cause?: string;
  /** State names in the order they were entered (Parallel branches interleave). */
  readonly states: string[];
  /** What the execution waits on right now; undefined while it works. */
  blockedOn?: 'timer' | 'approval';
  readonly done: Promise<void>;
}

export interface StateMachineRunnerOptions {
  readonly definition: Definition;
  readonly stateMachineArn: string;
  /** Local handlers by function name (as in the resolved definition's ARNs). */
  readonly functions: Record<string, LocalHandler>;
  readonly sagemaker: LocalSageMaker;
  readonly timeline: Timeline;
  /**
   * Called before every Task state runs; throwing fails that attempt with the error (tests use
   * it to inject throttling and other transient errors).
   * @default - nothing
   */
  readonly beforeTask?: (state: string, input: unknown) => void | Promise<void>;
  /** Called for every state entered, and when an execution ends. */
  readonly onEvent?: (record: ExecutionRecord, event: { type: 'state'; state: string } | { type: 'end' }) => void;
  /**
   * Where execution records are shared with other processes on the same local directory.
   * @default - executions are known to this process only
   */
  readonly executionsDir?: string;
}

/** An execution as other processes see it (executionsDir/<name>.json). */
export interface SharedExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly status: ExecutionRecord['status'];
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly owner: { readonly host: string; readonly pid: number };
  /** Real time (epoch ms) the owner last said it still runs the execution. */
  readonly heartbeatAt: number;
}

/** How often an owner renews the heartbeat of its running executions. */
export const HEARTBEAT_MS = 10_000;
/** A RUNNING record whose heartbeat is older than this belongs to a process that hangs or is gone (or a pid reused since). */
export const HEARTBEAT_STALE_MS = 5 * 60_000;

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d+:function:([^:]+)$/;

export class LocalStateMachine implements Executions, TaskTokens {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: InstanceType<typeof StateMachine>;
  private readonly tasks: Array<[string, StateJson]> = [];
  private readonly waits: string[] = [];
  private readonly tokens = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly options: StateMachineRunnerOptions) {
    collectStates(options.definition, this.tasks, this.waits);
    // aws-local-stepfunctions arms a real-time timer per Task (TimeoutSeconds, else 60 s). Local
    // tasks wait on virtual time (a debounce window, an approval), so the library gets a copy
    // with timers it never reaches; the template's own timeouts are kept on virtual time here.
    this.machine = new StateMachine(withoutRealTimeTimeouts(options.definition) as never, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
    for (const [name, state] of this.tasks) this.checkResource(name, state);
  }

  /** Task states and their resources (for tests and the cost model). */
  get taskStates(): ReadonlyArray<readonly [string, string]> {
    return this.tasks.map(([n, s]) => [n, s.Resource ?? ''] as const);
  }

  // ------------------------------------------------------------------ Executions port

  async status(executionArn: string): Promise<ExecutionStatus> {
    const name = executionArn.split(':').pop() ?? '';
    const own = this.executions.get(name)?.status;
    if (own) return own;
    const shared = this.readShared(name);
    if (!shared) return 'NOT_FOUND';
    return shared.status === 'RUNNING' && !ownerAlive(shared) ? 'ABORTED' : shared.status;
  }

  async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<{ executionArn: string }> {
    if (stateMachineArn !== this.options.stateMachineArn) {
      throw new InvalidInputError(`local mode runs one state machine (${this.options.stateMachineArn}), got ${stateMachineArn}`);
    }
    // StartExecution is idempotent per name across callers: another process may have started it.
    const shared = this.executions.has(name) ? undefined : this.readShared(name);
    if (shared) return { executionArn: shared.arn };
    return { executionArn: this.run(input, name).arn };
  }

  /** Starts an execution; returns its record at once (it runs in the background). */
  run(input: unknown, name: string = randomUUID()): ExecutionRecord {
    const existing = this.executions.get(name);
    if (existing) return existing; // StartExecution is idempotent per name
    const inputBytes = jsonBytes(input);
    if (inputBytes > STATE_PAYLOAD_BYTES) {
      // StartExecution's input is limited like any state's (Step Functions API Reference: input, maximum length 262144).
      throw Object.assign(new Error(`execution input is ${inputBytes} bytes; Step Functions accepts at most ${STATE_PAYLOAD_BYTES}`), { name: 'InvalidExecutionInput' });
    }
    const arn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startedAt = this.options.timeline.clock.now().toISOString();
    let finished!: () => void;
    const record: ExecutionRecord = {
      name,
      arn,
      input,
      status: 'RUNNING',
      startedAt,
      states: [],
      done: new Promise<void>((resolve) => (finished = resolve)),
    };
    this.executions.set(name, record);
    this.writeShared(record);

    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          this.tasks.map(([state, json]) => [state, (i: unknown) => this.task(record, state, json, i) as Promise<never>]),
        ),
        waitTimeOverrides: Object.fromEntries(this.waits.map((w) => [w, 0])),
        retryIntervalOverrides: Object.fromEntries(this.tasks.map(([state]) => [state, 0])),
      },
      context: {
        Execution: { Id: arn, Name: name, StartTime: startedAt, Input: input as never },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.options.stateMachineArn.split(':').pop() },
        Task: { Token: tokenOf(name) },
      },
    });
    void (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          record.states.push(event.state.name);
          this.options.onEvent?.(record, { type: 'state', state: event.state.name });
        }
        if (event.type === 'StateEntered' || event.type === 'StateExited') {
          const payload = event.type === 'StateEntered' ? event.state.input : event.state.output;
          const bytes = payload === undefined ? 0 : jsonBytes(payload);
          if (bytes > this.largestPayload.bytes) this.largestPayload = { bytes, state: event.state.name, execution: name };
          if (bytes > STATE_PAYLOAD_BYTES) void this.exceedDataLimit(record, event.state.name);
        }
      }
    })();
    execution.result.then(
      (output) => record.status === 'RUNNING' && this.finish(record, 'SUCCEEDED', { output }),
      (error: Error & { cause?: { name?: string; message?: string } }) => {
        if (record.status !== 'RUNNING') return;
        const cause = error.cause;
        this.finish(record, 'FAILED', { error: cause?.name ?? error.name, cause: cause?.message ?? error.message });
      },
    );
    this.finishers.set(name, finished);
    this.aborts.set(name, () => execution.abort());
    this.stops.set(name, new AbortController());
    return record;
  }

  /** Per execution: aborting settles its pending task, so nothing keeps waiting. */
  private readonly stops = new Map<string, AbortController>();

  /** Aborts every running execution (when local mode closes: they do not outlive the process). */
  abortAll(): void {
    for (const record of this.executions.values()) if (record.status === 'RUNNING') this.abort(record.name);
  }

  private readonly aborts = new Map<string, () => void>();
  /** The largest state input or output seen so far (Step Functions' limit is STATE_PAYLOAD_BYTES). */
  largestPayload: { bytes: number; state?: string; execution?: string } = { bytes: 0 };

  /** Stops a running execution, like StopExecution: its status becomes ABORTED. */
  abort(name: string): void {
    const record = this.executions.get(name);
    if (!record || record.status !== 'RUNNING') return;
    this.stops.get(name)?.abort();
    this.aborts.get(name)?.();
    this.finish(record, 'ABORTED', {});
  }

  private readonly finishers = new Map<string, () => void>();

  /**
   * A state's input or output over 256 KiB: Step Functions fails the execution with
   * States.DataLimitExceeded, which no Catch can catch (Step Functions Developer Guide, "Error
   * names"), and so does local mode, with the same cause.
   */
  private exceedDataLimit<T>(record: ExecutionRecord, state: string, stopped?: Promise<T>): Promise<T> {
    if (record.status === 'RUNNING') {
      this.finish(record, 'FAILED', {
        error: 'States.DataLimitExceeded',
        cause: `The state/task '${state}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      });
      this.stops.get(record.name)?.abort();
      this.aborts.get(record.name)?.();
    }
    return stopped ?? new Promise<never>(() => undefined);
  }

  private finish(record: ExecutionRecord, status: 'SUCCEEDED' | 'FAILED' | 'ABORTED', result: { output?: unknown; error?: string; cause?: string }): void {
    record.status = status;
    record.stoppedAt = this.options.timeline.clock.now().toISOString();
    Object.assign(record, result);
    record.blockedOn = undefined;
    this.writeShared(record);
    this.options.onEvent?.(record, { type: 'end' });
    this.finishers.get(record.name)?.();
  }

  // ------------------------------------------------------------------ records other processes see

  private heartbeat?: NodeJS.Timeout;

  private sharedPath(name: string): string | undefined {
    const dir = this.options.executionsDir;
    return dir === undefined ? undefined : join(dir, `${encodeURIComponent(name)}.json`);
  }

  private readShared(name: string): SharedExecutionRecord | undefined {
    const path = this.sharedPath(name);
    if (path === undefined) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as SharedExecutionRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RetrainError(`cannot read the local execution record ${path}: ${(error as Error).message}`, { cause: error, context: { path } });
    }
  }

  /** Writes the record (atomically: a reader never sees half of it) and keeps the heartbeat going while this process runs executions. */
  private writeShared(record: ExecutionRecord): void {
    const path = this.sharedPath(record.name);
    if (path === undefined) return;
    const shared: SharedExecutionRecord = {
      name: record.name,
      arn: record.arn,
      status: record.status,
      startedAt: record.startedAt,
      ...(record.stoppedAt ? { stoppedAt: record.stoppedAt } : {}),
      owner: { host: hostname(), pid: process.pid },
      heartbeatAt: Date.now(),
    };
    mkdirSync(join(path, '..'), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(shared)}\n`);
    renameSync(temp, path);
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    if (running.length > 0 && !this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const live of this.executions.values()) if (live.status === 'RUNNING') this.writeShared(live);
      }, HEARTBEAT_MS);
      // The heartbeat never keeps the process alive by itself.
      this.heartbeat.unref();
    } else if (running.length === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  // ------------------------------------------------------------------ TaskTokens port

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    this.takeToken(taskToken).resolve(output);
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    const failure = new Error(cause);
    failure.name = error;
    this.takeToken(taskToken).reject(failure);
  }

  private takeToken(taskToken: string) {
    const waiter = this.tokens.get(taskToken);
    if (!waiter) throw new NotFoundError(`no local execution waits with task token ${taskToken} (TaskTimedOut)`);
    this.tokens.delete(taskToken);
    return waiter;
  }

  // ------------------------------------------------------------------ tasks

  private async task(record: ExecutionRecord, state: string, json: StateJson, input: unknown): Promise<unknown> {
    const signal = this.stops.get(record.name)?.signal;
    const stopped = new Promise<never>((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('execution aborted'), { name: 'States.Runtime' })), { once: true });
    });
    stopped.catch(() => undefined);
    if (jsonBytes(input) > STATE_PAYLOAD_BYTES) return this.exceedDataLimit(record, state, stopped);
    const result = await Promise.race([this.runTask(record, state, json, withStartTime(record, input)), stopped]);
    if (jsonBytes(result) > STATE_PAYLOAD_BYTES) return this.exceedDataLimit(record, state, stopped);
    return result;
  }

  private async runTask(record: ExecutionRecord, state: string, json: StateJson, input: unknown): Promise<unknown> {
    await this.options.beforeTask?.(state, input);
    const resource = json.Resource ?? '';
    const fn = FUNCTION_ARN.exec(resource);
    if (fn) return this.invoke(record, fn[1], input);
    if (resource.endsWith(':lambda:invoke.waitForTaskToken')) return this.waitForToken(record, state, json, input as { FunctionName: string; Payload: unknown });
    const sagemaker = /:states:::(aws-sdk:)?sagemaker:(\w+?)(\.sync)?$/.exec(resource);
    if (sagemaker) return this.sagemaker(sagemaker[2], Boolean(sagemaker[1]), input);
    throw new RetrainError(`local mode has no handler for ${resource} (state "${state}")`);
  }

  private async invoke(record: ExecutionRecord, functionArnOrName: string, payload: unknown): Promise<unknown> {
    const name = functionArnOrName.split(':').pop() ?? functionArnOrName;
    const handler = this.options.functions[name];
    if (!handler) throw new RetrainError(`local mode has no function ${name}`);
    const event = payload as { action?: string; run?: { admission?: { debounceSeconds?: number } } };
    if (event?.action === 'debounce') {
      // The Debounce Wait state just ran: in local mode it waits on the virtual timeline.
      await this.blocked(record, 'timer', this.options.timeline.sleep(event.run?.admission?.debounceSeconds ?? 0));
    }
    if (event?.action === 'describe') {
      // The endpoint poll: SageMaker settles asynchronously; local mode waits for it in real time.
      await this.options.sagemaker.waitForSettled();
    }
    return JSON.parse(JSON.stringify((await handler(payload)) ?? null));
  }

  private async waitForToken(record: ExecutionRecord, state: string, json: StateJson, input: { FunctionName: string; Payload: unknown }): Promise<unknown> {
    const token = tokenOf(record.name);
    const answered = new Promise<unknown>((resolve, reject) => this.tokens.set(token, { resolve, reject }));
    await this.invoke(record, input.FunctionName, input.Payload);
    const timeout = json.TimeoutSeconds
      ? this.options.timeline.sleep(json.TimeoutSeconds).then(() => {
          if (!this.tokens.has(token)) return;
          this.tokens.delete(token);
          const error = new Error(`state "${state}" timed out after ${json.TimeoutSeconds} s`);
          error.name = 'States.Timeout';
          throw error;
        })
      : new Promise<never>(() => undefined);
    return this.blocked(record, 'approval', Promise.race([answered, timeout]));
  }

  private async blocked<T>(record: ExecutionRecord, on: 'timer' | 'approval', work: Promise<T>): Promise<T> {
    record.blockedOn = on;
    try {
      return await work;
    } finally {
      record.blockedOn = undefined;
    }
  }

  private async sagemaker(operation: string, sdk: boolean, params: unknown): Promise<unknown> {
    const backend = this.options.sagemaker as unknown as Record<string, (p: unknown) => Promise<unknown>>;
    const call = backend[operation];
    if (typeof call !== 'function') throw new RetrainError(`the local SageMaker backend has no ${operation}`);
    try {
      return toStateOutput(await call.call(this.options.sagemaker, params));
    } catch (error) {
      throw toStatesError(error, sdk ? 'aws-sdk' : 'optimized');
    }
  }

  private checkResource(state: string, json: StateJson): void {
    const resource = json.Resource ?? '';
    const known =
      FUNCTION_ARN.test(resource) ||
      resource.endsWith(':lambda:invoke.waitForTaskToken') ||
      /:states:::(aws-sdk:)?sagemaker:\w+(\.sync)?$/.test(resource);
    if (!known) throw new RetrainError(`local mode cannot run state "${state}": unknown resource ${resource}`);
  }
}

/**
 * Whether the process that owns a RUNNING record still runs it: on this host, its pid exists
 * (signal 0 tests that without sending anything); anywhere, its heartbeat is recent.
 */
function ownerAlive(record: SharedExecutionRecord, now = Date.now()): boolean {
  if (now - record.heartbeatAt > HEARTBEAT_STALE_MS) return false;
  if (record.owner.host !== hostname()) return true;
  try {
    process.kill(record.owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Far beyond any local run, and within what Node's timers accept (2^31 ms). */
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_000_000;

function withoutRealTimeTimeouts(definition: Definition): Definition {
  const copy = JSON.parse(JSON.stringify(definition)) as Definition;
  const visit = (d: Definition) => {
    for (const state of Object.values(d.States)) {
      if (state.Type === 'Task') (state as StateJson & { TimeoutSeconds?: number }).TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(copy);
  return copy;
}

/**
 * The library sets $$.Execution.StartTime from the wall clock; local mode runs on virtual
 * time, so a task's `execution.startTime` is the execution's virtual start.
 */
function withStartTime(record: ExecutionRecord, input: unknown): unknown {
  const execution = (input as { execution?: { arn?: string; startTime?: string } } | null)?.execution;
  if (!execution || execution.arn !== record.arn) return input;
  return { ...(input as object), execution: { ...execution, startTime: record.startedAt } };
}

function tokenOf(executionName: string): string {
  return `local-task-token:${executionName}`;
}

function collectStates(definition: Definition, tasks: Array<[string, StateJson]>, waits: string[]): void {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') tasks.push([name, state]);
    if (state.Type === 'Wait') waits.push(name);
    for (const branch of state.Branches ?? []) collectStates(branch, tasks, waits);
  }
}
