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
import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Resolves when the execution stops (a redrive gives it a new one). */
  done: Promise<void>;
  /** How many times it was redriven ($$.Execution.RedriveCount). */
  redriveCount?: number;
}

/** The Task state running right now in this async context (see `currentTask`). */
export interface TaskScope {
  readonly execution: string;
  readonly state: string;
}

const taskScope = new AsyncLocalStorage<TaskScope>();

/**
 * The execution and Task state whose work is running in the caller's async context, if any: a
 * test's port wrapper uses it to fail one state's writes (e.g. the third write inside Finalize).
 */
export function currentTask(): TaskScope | undefined {
  return taskScope.getStore();
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
  /**
   * Called after a Task state did its work, before Step Functions records the result; throwing
   * fails that attempt although the work was done (tests use it to inject a Lambda error or
   * timeout after the function wrote what it writes).
   * @default - nothing
   */
  readonly afterTask?: (state: string, input: unknown, output: unknown) => void | Promise<void>;
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
  private readonly topLevel: Set<string>;
  /** Per execution: how many times it was launched (a redrive launches it again). */
  private readonly generations = new Map<string, number>();
  /** Per execution: the top-level state entered last and its input (where a redrive starts). */
  private readonly lastState = new Map<string, { state: string; input: unknown }>();
  private readonly tasks: Array<[string, StateJson]> = [];
  private readonly waits: string[] = [];
  private readonly tokens = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly options: StateMachineRunnerOptions) {
    collectStates(options.definition, this.tasks, this.waits);
    this.topLevel = new Set(Object.keys(options.definition.States));
    libraryMachine(options.definition, options.definition.StartAt); // validates the definition once
    for (const [name, state] of this.tasks) this.checkResource(name, state);
  }

  /**
   * The top-level state a stopped execution stopped in (where a redrive would start), and whether
   * it is a Fail state (the definition failed the execution on purpose; a redrive fails it again).
   */
  stoppedIn(name: string): { state: string; failState: boolean } | undefined {
    const record = this.executions.get(name);
    const last = this.lastState.get(name);
    if (!record || record.status === 'RUNNING' || !last) return undefined;
    return { state: last.state, failState: this.options.definition.States[last.state]?.Type === 'Fail' };
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
    const record: ExecutionRecord = { name, arn, input, status: 'RUNNING', startedAt, states: [], done: Promise.resolve() };
    this.executions.set(name, record);
    this.writeShared(record);
    this.launch(record, this.options.definition.StartAt, input);
    return record;
  }

  /**
   * RedriveExecution: a FAILED or ABORTED execution continues from the state it stopped in, with
   * that state's input; the states before it are not run again, and the name, ARN and start time
   * stay (Step Functions API Reference, RedriveExecution: "continues the failed execution from the
   * unsuccessful step and uses the same input ... doesn't rerun these steps").
   *
   * Approximation: local mode restarts the TOP-LEVEL state the execution was in, from its input as
   * it entered it. Step Functions redrives only the failed branches of a Parallel state and keeps
   * the results of the others; here the whole Parallel state runs again (its branches are
   * idempotent transform jobs, so the outcome is the same). Retry counters start again, as in
   * Step Functions. The 14-day redrive window is not enforced.
   */
  redrive(name: string): ExecutionRecord {
    const record = this.executions.get(name);
    if (!record) throw new NotFoundError(`no local execution ${name} (ExecutionDoesNotExist)`);
    const from = this.lastState.get(name);
    if ((record.status !== 'FAILED' && record.status !== 'ABORTED') || !from) {
      throw Object.assign(new Error(`execution ${name} is ${record.status}: only a failed, aborted or timed-out execution can be redriven`), {
        name: 'ExecutionNotRedrivable',
      });
    }
    record.status = 'RUNNING';
    record.stoppedAt = undefined;
    record.error = undefined;
    record.cause = undefined;
    record.output = undefined;
    record.redriveCount = (record.redriveCount ?? 0) + 1;
    this.writeShared(record);
    this.launch(record, from.state, from.input);
    return record;
  }

  private launch(record: ExecutionRecord, startAt: string, input: unknown): void {
    const { name, arn, startedAt } = record;
    // Only the latest launch of an execution may end it: an aborted attempt's library run settles
    // later (its result rejects), after a redrive may have started the next one.
    const generation = (this.generations.get(name) ?? 0) + 1;
    this.generations.set(name, generation);
    const current = () => this.generations.get(name) === generation && record.status === 'RUNNING';
    let finished!: () => void;
    record.done = new Promise<void>((resolve) => (finished = resolve));
    const execution = libraryMachine(this.options.definition, startAt).run(input as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          this.tasks.map(([state, json]) => [state, (i: unknown) => this.task(record, state, json, i) as Promise<never>]),
        ),
        waitTimeOverrides: Object.fromEntries(this.waits.map((w) => [w, 0])),
        retryIntervalOverrides: Object.fromEntries(this.tasks.map(([state]) => [state, 0])),
      },
      context: {
        Execution: { Id: arn, Name: name, StartTime: startedAt, Input: record.input as never },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.options.stateMachineArn.split(':').pop() },
        Task: { Token: tokenOf(name) },
      },
    });
    void (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered' && current()) {
          record.states.push(event.state.name);
          if (this.topLevel.has(event.state.name)) this.lastState.set(name, { state: event.state.name, input: event.state.input });
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
      (output) => current() && this.finish(record, 'SUCCEEDED', { output }),
      (error: Error & { cause?: { name?: string; message?: string } }) => {
        if (!current()) return;
        const cause = error.cause;
        this.finish(record, 'FAILED', { error: cause?.name ?? error.name, cause: cause?.message ?? error.message });
      },
    );
    this.finishers.set(name, finished);
    this.aborts.set(name, () => execution.abort());
    this.stops.set(name, new AbortController());
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
    const scope: TaskScope = { execution: record.name, state };
    const attempt = async () => {
      const output = await this.runTask(record, state, json, withStartTime(record, input));
      await this.options.afterTask?.(state, input, output);
      return output;
    };
    const result = await Promise.race([taskScope.run(scope, attempt), stopped]);
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

/**
 * Library state machines by definition and start state: building one validates the definition
 * (a JSON-schema compile, the larger part of opening local mode), and one instance runs any
 * number of executions (every run passes its own handlers).
 */
const libraryMachines = new Map<string, InstanceType<typeof StateMachine>>();

function libraryMachine(definition: Definition, startAt: string): InstanceType<typeof StateMachine> {
  const key = `${startAt}\u0000${JSON.stringify(definition)}`;
  let machine = libraryMachines.get(key);
  if (!machine) {
    // aws-local-stepfunctions arms a real-time timer per Task (TimeoutSeconds, else 60 s). Local
    // tasks wait on virtual time (a debounce window, an approval), so the library gets a copy
    // with timers it never reaches; the template's own timeouts are kept on virtual time here.
    // A redrive starts further in: the definition was validated from its own StartAt, and from
    // another start the states before it look unreachable to the validator.
    const validationOptions = startAt === definition.StartAt ? { checkArn: false, checkPaths: true } : { noValidate: true };
    machine = new StateMachine({ ...withoutRealTimeTimeouts(definition), StartAt: startAt } as never, { validationOptions });
    if (libraryMachines.size >= 32) libraryMachines.delete(libraryMachines.keys().next().value as string);
    libraryMachines.set(key, machine);
  }
  return machine;
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
