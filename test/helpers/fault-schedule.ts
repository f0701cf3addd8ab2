/**
 * Random fault schedules for local mode: triggers of every kind (new data, a person, the
 * schedule, the drift and quality alarms, dry runs, rollbacks), delivered once or several times
 * with the same event id, several at the same virtual instant or while a run is in a chosen
 * state, mixed with faults (Lambda errors and timeouts before or after a function did its work,
 * SageMaker throttling, failed training, failed health checks, executions stopped while they
 * hold the lock, a Finalize whose state writes fail part-way) and redrives, on virtual time.
 *
 * `runSchedule` opens local mode, plays the steps, checks the invariants (test/helpers/
 * invariants.ts) after every step, then brings the system to rest the way an operator would
 * (faults gone, failed executions redriven, one more trigger if a dead execution still holds the
 * lock) and checks the invariants once more, at quiescence.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { StateStore } from '../../lambdas/adapters/ports';
import type { AdmissionResult } from '../../lambdas/core/admission';
import type { LocalRetrain } from '../../local/runner';
import { currentTask } from '../../local/state-machine';
import { dataset, openLocal } from './local';
import { MemoryStateStore } from './memory-state-store';
import { checkInvariants, InvariantTracker, type InvariantViolation } from './invariants';
import { cloudWatchAlarmStateChange } from './sample-events';

// ------------------------------------------------------------------ the schedule

/** Lambda Task states of the synthesized definition (their Retry lists Lambda.ServiceException, 4 retries). */
export const LAMBDA_STATES = ['Admit', 'Check quiet period', 'Prepare data', 'Evaluate', 'Deploy', 'Describe endpoint', 'Promote champion', 'Finalize'] as const;
/** SageMaker Task states (their Retry lists SageMaker.ThrottlingException, 5 retries). */
export const SAGEMAKER_STATES = ['Train', 'CreateModel', 'TransformCandidate', 'TransformChampion', 'Register', 'CreateEndpointConfig'] as const;
/** States a run passes after its snapshot: where mid-run triggers arrive and where a holder dies. */
export const RUN_STATES = ['Check quiet period', 'Prepare data', 'Train', 'Evaluate', 'Register', 'Deploy', 'Promote champion', 'Finalize'] as const;

export type LambdaState = (typeof LAMBDA_STATES)[number];
export type SageMakerState = (typeof SAGEMAKER_STATES)[number];
export type RunState = (typeof RUN_STATES)[number];

export type TriggerKind =
  | { readonly kind: 'new-data' }
  | { readonly kind: 'manual'; readonly force: boolean }
  | { readonly kind: 'dry-run' }
  | { readonly kind: 'schedule' }
  | { readonly kind: 'drift' }
  | { readonly kind: 'degradation' }
  | { readonly kind: 'rollback' };

export type Fault =
  /** Lambda.ServiceException on the next `times` attempts of the state, before or after the function ran. */
  | { readonly kind: 'lambda-error'; readonly state: LambdaState; readonly phase: 'before' | 'after'; readonly times: number }
  /** The function runs out of time (States.Timeout, which no Retry of the definition lists). */
  | { readonly kind: 'lambda-timeout'; readonly state: LambdaState; readonly phase: 'before' | 'after' }
  /** SageMaker.ThrottlingException on the next `times` calls of the state. */
  | { readonly kind: 'throttle'; readonly state: SageMakerState; readonly times: number }
  | { readonly kind: 'training-fails' }
  | { readonly kind: 'health-check-fails' }
  /** StopExecution when an execution enters the state: a dead execution may hold the lock. */
  | { readonly kind: 'abort'; readonly state: RunState }
  /** The state's function fails on its n-th state write (after n-1 writes went through). */
  | { readonly kind: 'write-fails'; readonly state: 'Admit' | 'Finalize'; readonly afterWrites: number; readonly error: 'TransientError' | 'States.Timeout' };

export type Step =
  /** Triggers at the same virtual instant (concurrent Admits), each delivered `copies` times with one event id. */
  | { readonly kind: 'deliver'; readonly triggers: readonly TriggerKind[]; readonly copies: number }
  /** When the next execution enters `state`, these triggers arrive. */
  | { readonly kind: 'during'; readonly state: RunState; readonly triggers: readonly TriggerKind[] }
  | { readonly kind: 'fault'; readonly fault: Fault }
  /** Virtual time moves on (debounce windows and the cooldown run on it). */
  | { readonly kind: 'advance'; readonly seconds: number }
  /** RedriveExecution for every failed or aborted execution. */
  | { readonly kind: 'redrive' };

export type Schedule = readonly Step[];

// ------------------------------------------------------------------ arbitraries

export const triggerArb: fc.Arbitrary<TriggerKind> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'new-data' } as const) },
  { weight: 2, arbitrary: fc.boolean().map((force) => ({ kind: 'manual', force }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dry-run' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'schedule' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drift' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'degradation' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollback' } as const) },
);

export const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('lambda-error' as const),
      state: fc.constantFrom(...LAMBDA_STATES),
      phase: fc.constantFrom('before' as const, 'after' as const),
      times: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('lambda-timeout' as const), state: fc.constantFrom(...LAMBDA_STATES), phase: fc.constantFrom('before' as const, 'after' as const) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throttle' as const), state: fc.constantFrom(...SAGEMAKER_STATES), times: fc.integer({ min: 1, max: 7 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'training-fails' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'health-check-fails' } as const) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), state: fc.constantFrom(...RUN_STATES) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('write-fails' as const),
      // Finalize writes more, and what it leaves half done matters more.
      state: fc.oneof({ weight: 2, arbitrary: fc.constant('Finalize' as const) }, { weight: 1, arbitrary: fc.constant('Admit' as const) }),
      afterWrites: fc.integer({ min: 1, max: 10 }),
      error: fc.constantFrom('TransientError' as const, 'States.Timeout' as const),
    }),
  },
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      triggers: fc.array(triggerArb, { minLength: 1, maxLength: 3 }),
      copies: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('during' as const), state: fc.constantFrom(...RUN_STATES), triggers: fc.array(triggerArb, { minLength: 1, maxLength: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: faultArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.constantFrom(1, 30, 130, 1_900, 3_700) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'redrive' } as const) },
);

/** A schedule: a few steps, starting with new data so that most schedules have a champion to keep. */
export const scheduleArb: fc.Arbitrary<Schedule> = fc
  .array(stepArb, { minLength: 1, maxLength: 8 })
  .map((steps) => [{ kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 } as Step, ...steps]);

// ------------------------------------------------------------------ running a schedule

/** Small and quick: tiny files, three boosting rounds, a one-day lookback. */
export const FAULT_CONFIG = {
  dataset: { lookbackDays: 1, minRows: 20 },
  training: { hyperparameters: { num_round: 3, max_depth: 2, eta: 0.3 } },
} as const;

const ROWS_PER_FILE = 40;

export interface ScheduleReport {
  readonly steps: number;
  /** Distinct trigger event ids that reached the state machine. */
  readonly triggers: number;
  readonly executions: number;
  readonly runs: number;
  readonly faults: Record<string, number>;
  /** Longest chain of follow-up runs (run → its follow-up → …). */
  readonly longestFollowUpChain: number;
  readonly maxItemBytes: number;
  readonly maxExecutionInputBytes: number;
  readonly violations: InvariantViolation[];
  /** Reported bugs this schedule ran into (it ended at the first). */
  readonly known?: string[];
  readonly endedAt?: string;
}

export interface PlayOptions {
  /** Names the reported bug a violation is, if it is one. */
  readonly known?: (violation: InvariantViolation) => string | undefined;
}

export class ScheduleViolation extends Error {
  override readonly name = 'ScheduleViolation';
  constructor(
    readonly violations: InvariantViolation[],
    readonly report: ScheduleReport,
  ) {
    super(violations.map((v) => `${v.invariant} (${v.at}): ${v.detail}`).join('\n'));
  }
}

interface Armed {
  fault: Fault;
  left: number;
}

/** What one schedule does to one local mode: the harness around LocalRetrain. */
export class FaultWorld {
  readonly faultCounts: Record<string, number> = {};
  readonly tracker = new InvariantTracker();
  private armed: Armed[] = [];
  private during: Array<{ state: RunState; triggers: readonly TriggerKind[] }> = [];
  private extraCopies = 0;
  private seq = 0;
  private files = 0;
  private writes = new Map<string, number>();
  private faultsOn = true;

  private constructor(readonly local: LocalRetrain) {}

  static async open(): Promise<FaultWorld> {
    // Local mode calls the hooks from its constructor on; they reach the world once it exists.
    const hooks: { world?: FaultWorld } = {};
    const opened = await openLocal(FAULT_CONFIG, {
      // Memory-backed when the machine has it: a schedule writes hundreds of small files.
      root: mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'retrain-faults-')),
      beforeTask: (state, input) => hooks.world?.beforeTask(state, input),
      afterTask: (state, input, output) => hooks.world?.afterTask(state, input, output),
      redeliveries: (rule) => (rule.endsWith('-monitor') ? 0 : (hooks.world?.extraCopies ?? 0)),
      // The state table in memory (the core tests' table, conditional writes included; no file
      // locking to pay for); every write goes past the write-fails faults first.
      stateStore: (_fileStore, clock) => failingWrites(new MemoryStateStore(clock), () => hooks.world?.onWrite()),
    });
    const created = new FaultWorld(opened.local);
    hooks.world = created;
    const sm = opened.faults as Record<string, unknown>;
    sm.trainingFails = () => created.takeSageMakerFault('training-fails');
    sm.healthCheckFails = () => created.takeSageMakerFault('health-check-fails');
    // Labels joined to captured predictions: users' objects the pipeline must never change.
    await created.putUserObject('ground-truth/2026/03/02/labels.jsonl', '{"inferenceId":"a","label":1}\n{"inferenceId":"b","label":0}\n');
    return created;
  }

  async close(): Promise<void> {
    try {
      this.faultsOn = false;
      await this.local.settle({ stopAtApproval: false, maxRealMs: 60_000 });
    } finally {
      await this.local.close();
      rmSync(this.local.options.root, { recursive: true, force: true });
    }
  }

  /**
   * Plays the schedule, checking after every step; throws ScheduleViolation on the first broken
   * invariant. A violation `known` names (a reported bug) ends the schedule there instead: what
   * follows an inconsistent state says nothing new.
   */
  async play(schedule: Schedule, options: PlayOptions = {}): Promise<ScheduleReport> {
    const judge = async (at: string, violations: InvariantViolation[]): Promise<ScheduleReport | undefined> => {
      if (violations.length === 0) return undefined;
      const unknown = violations.filter((v) => !options.known?.(v));
      if (unknown.length > 0) throw new ScheduleViolation(unknown, await this.report(schedule, unknown));
      return { ...(await this.report(schedule, [])), known: [...new Set(violations.map((v) => options.known?.(v) ?? ''))], endedAt: at };
    };
    for (const [index, step] of schedule.entries()) {
      const lockBefore = await this.tracker.deadHolder(this.local);
      this.tracker.beginStep();
      await this.step(step);
      await this.local.settle({ advanceTime: false, maxRealMs: 30_000 });
      const at = `step ${index + 1} (${describeStep(step)})`;
      const known = await judge(at, await checkInvariants(this.local, this.tracker, { at, quiescent: false, deadHolderBefore: lockBefore }));
      if (known) return known;
    }
    // Runs still waiting (a quiet period) finish with the armed faults still armed.
    const lockBefore = await this.tracker.deadHolder(this.local);
    this.tracker.beginStep();
    await this.local.settle({ maxRealMs: 30_000 });
    const drained = await judge('drain', await checkInvariants(this.local, this.tracker, { at: 'drain (every run finished, faults still armed)', quiescent: false, deadHolderBefore: lockBefore }));
    if (drained) return drained;
    await this.quiesce();
    const known = await judge('quiescence', await checkInvariants(this.local, this.tracker, { at: 'quiescence', quiescent: true }));
    return known ?? this.report(schedule, []);
  }

  /** What an operator leaves behind: no faults, every failed execution redriven, a stale lock taken over by one more trigger. */
  private async quiesce(): Promise<void> {
    this.faultsOn = false;
    this.armed = [];
    this.during = [];
    for (let round = 0; round < 3; round++) {
      await this.local.settle({ maxRealMs: 30_000 });
      const failed = [...this.local.stateMachine.executions.values()].filter((e) => e.status === 'FAILED' && this.redrivable(e.name));
      if (failed.length === 0) break;
      for (const execution of failed) {
        this.count('redrive at rest');
        this.local.stateMachine.redrive(execution.name);
      }
    }
    await this.local.settle({ maxRealMs: 30_000 });
    if (await this.tracker.deadHolder(this.local)) {
      this.startManual({ kind: 'manual', force: false }, 'sweep');
      await this.local.settle({ maxRealMs: 30_000 });
    }
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case 'deliver':
        await Promise.all(step.triggers.map((trigger) => this.deliver(trigger, step.copies)));
        return;
      case 'during':
        this.during.push({ state: step.state, triggers: step.triggers });
        return;
      case 'fault':
        this.arm(step.fault);
        return;
      case 'advance':
        this.local.advance(step.seconds);
        return;
      case 'redrive':
        for (const execution of this.local.stateMachine.executions.values()) {
          if ((execution.status === 'FAILED' || execution.status === 'ABORTED') && this.redrivable(execution.name)) {
            this.count('redrive');
            this.local.stateMachine.redrive(execution.name);
          }
        }
        return;
    }
  }

  /** Stopped in a Task (not by the definition's own Fail state): redriving it does something. */
  private redrivable(name: string): boolean {
    const stopped = this.local.stateMachine.stoppedIn(name);
    return stopped !== undefined && !stopped.failState;
  }

  private arm(fault: Fault): void {
    const left = fault.kind === 'lambda-error' || fault.kind === 'throttle' ? fault.times : 1;
    this.armed.push({ fault, left });
  }

  /** Delivers one trigger `copies` times (EventBridge redeliveries keep the event id; a person's start keeps the execution name). */
  private async deliver(trigger: TriggerKind, copies: number): Promise<void> {
    this.count(`trigger:${trigger.kind}`);
    if (copies > 1) this.count('redelivery', copies - 1);
    const id = `evt-${++this.seq}`;
    switch (trigger.kind) {
      case 'new-data': {
        this.extraCopies = copies - 1;
        try {
          await this.putUserObject(`raw/file-${++this.files}.csv`, dataset(this.files, ROWS_PER_FILE));
        } finally {
          this.extraCopies = 0;
        }
        return;
      }
      case 'schedule':
        await this.emit(copies, { 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [this.rule('schedule').arn], detail: {}, id });
        return;
      case 'drift':
      case 'degradation': {
        const alarmName = trigger.kind === 'drift' ? this.local.names.alarms.drift : this.local.names.alarms.quality;
        const event = cloudWatchAlarmStateChange({
          alarmArn: `arn:aws:cloudwatch:${this.local.env.region}:${this.local.env.account}:alarm:${alarmName}`,
          state: 'ALARM',
          previousState: 'OK',
          id,
          time: this.local.clock.now().toISOString(),
        });
        await this.emit(copies, event as never);
        return;
      }
      default:
        for (let copy = 0; copy < copies; copy++) this.startManual(trigger, id);
    }
  }

  private startManual(trigger: TriggerKind, name: string): void {
    if (trigger.kind === 'rollback') {
      const champion = this.tracker.firstPackage;
      if (champion) {
        this.local.startRun({ rollback: { modelPackageArn: champion, reason: 'fault schedule: back to the first model' } }, name);
        return;
      }
    }
    this.local.startRun(trigger.kind === 'dry-run' ? { reason: 'fault schedule', dryRun: true } : { reason: 'fault schedule', ...(trigger.kind === 'manual' && trigger.force ? { force: true } : {}) }, name);
  }

  /** A scheduled rule or an alarm's ARN, from the synthesized template. */
  private rule(kind: 'schedule'): { arn: string } {
    const rule = this.local.bus.rules.find((r) => r.name === `${this.local.options.config.project.name}-${kind}`);
    if (!rule) throw new Error(`no ${kind} rule in the template`);
    return rule;
  }

  private async emit(copies: number, event: { 'detail-type': string; source: string; resources: string[]; detail: Record<string, unknown>; id?: string; time?: string }): Promise<void> {
    this.extraCopies = copies - 1;
    try {
      await this.local.bus.emit(event as never);
    } finally {
      this.extraCopies = 0;
    }
  }

  private async putUserObject(key: string, body: string): Promise<void> {
    this.tracker.userObjects.set(key, createHash('sha256').update(body).digest('hex'));
    await this.local.upload(key, body);
  }

  // ------------------------------------------------------------------ hooks

  private async beforeTask(state: string, _input: unknown): Promise<void> {
    const execution = currentTask()?.execution;
    if (execution) await this.tracker.checkWork(this.local, execution, state);
    const arriving = this.during.findIndex((d) => d.state === state);
    if (this.faultsOn && arriving >= 0) {
      const [{ triggers }] = this.during.splice(arriving, 1);
      this.count('mid-run delivery');
      await Promise.all(triggers.map((trigger) => this.deliver(trigger, 1)));
    }
    if (!this.faultsOn) return;
    if (execution) this.writes.delete(`${execution}/${state}`);
    const abort = this.take((f) => f.kind === 'abort' && f.state === state);
    if (abort && execution) {
      this.count('abort');
      this.local.stateMachine.abort(execution);
      throw namedError('States.Runtime', `execution ${execution} stopped by the fault schedule in ${state}`);
    }
    if (this.take((f) => f.kind === 'lambda-error' && f.state === state && f.phase === 'before')) {
      this.count('lambda-error');
      throw namedError('Lambda.ServiceException', `${state}: Lambda service error (injected before the function ran)`);
    }
    if (this.take((f) => f.kind === 'lambda-timeout' && f.state === state && f.phase === 'before')) {
      this.count('lambda-timeout');
      throw namedError('States.Timeout', `${state}: the function timed out (injected before it did anything)`);
    }
    if (this.take((f) => f.kind === 'throttle' && f.state === state)) {
      this.count('throttle');
      throw namedError('SageMaker.ThrottlingException', `${state}: Rate exceeded (injected)`);
    }
  }

  private async afterTask(state: string, _input: unknown, output: unknown): Promise<void> {
    const execution = currentTask()?.execution;
    if (state === 'Admit' && execution) this.tracker.recordAdmission(execution, output as AdmissionResult);
    if (state === 'Register') {
      const arn = (output as { ModelPackageArn?: string } | null)?.ModelPackageArn;
      if (arn && !this.tracker.firstPackage) this.tracker.firstPackage = arn;
    }
    if (!this.faultsOn) return;
    if (this.take((f) => f.kind === 'lambda-error' && f.state === state && f.phase === 'after')) {
      this.count('lambda-error');
      throw namedError('Lambda.ServiceException', `${state}: Lambda service error (injected after the function ran)`);
    }
    if (this.take((f) => f.kind === 'lambda-timeout' && f.state === state && f.phase === 'after')) {
      this.count('lambda-timeout');
      throw namedError('States.Timeout', `${state}: the function timed out (injected after it did its work)`);
    }
  }

  /** Before every state write of a Lambda handler: a `write-fails` fault throws at its write. */
  private onWrite(): void {
    const task = currentTask();
    if (!task || !this.faultsOn) return;
    const key = `${task.execution}/${task.state}`;
    const n = (this.writes.get(key) ?? 0) + 1;
    this.writes.set(key, n);
    const armed = this.armed.find((a) => a.left > 0 && a.fault.kind === 'write-fails' && a.fault.state === task.state && a.fault.afterWrites === n);
    if (!armed || armed.fault.kind !== 'write-fails') return;
    armed.left--;
    this.count(`write-fails:${task.state}`);
    throw armed.fault.error === 'TransientError'
      ? namedError('TransientError', `state write ${n} in ${task.state} throttled (injected)`)
      : namedError('States.Timeout', `${task.state} timed out at its state write ${n} (injected)`);
  }

  private takeSageMakerFault(kind: 'training-fails' | 'health-check-fails'): boolean {
    if (!this.faultsOn) return false;
    const taken = this.take((f) => f.kind === kind);
    if (taken) this.count(kind);
    return Boolean(taken);
  }

  private take(match: (fault: Fault) => boolean): Fault | undefined {
    const armed = this.armed.find((a) => a.left > 0 && match(a.fault));
    if (!armed) return undefined;
    armed.left--;
    return armed.fault;
  }

  private count(kind: string, by = 1): void {
    this.faultCounts[kind] = (this.faultCounts[kind] ?? 0) + by;
  }

  private async report(schedule: Schedule, violations: InvariantViolation[]): Promise<ScheduleReport> {
    const runs = await this.local.runs();
    const executions = [...this.local.stateMachine.executions.values()];
    const sizes = await this.tracker.sizes(this.local);
    return {
      steps: schedule.length,
      triggers: this.tracker.deliveredEventIds(this.local).size,
      executions: executions.length,
      runs: runs.length,
      faults: { ...this.faultCounts },
      longestFollowUpChain: this.tracker.longestFollowUpChain(this.local),
      maxItemBytes: sizes.item,
      maxExecutionInputBytes: sizes.input,
      violations,
    };
  }
}

/** The state table, with a hook before every write (put or delete). */
function failingWrites(store: StateStore, beforeWrite: () => void): StateStore {
  return {
    get: (pk, sk) => store.get(pk, sk),
    query: (pk, options) => store.query(pk, options),
    put: async (item, condition) => {
      beforeWrite();
      return store.put(item, condition);
    },
    delete: async (pk, sk, condition) => {
      beforeWrite();
      return store.delete(pk, sk, condition);
    },
  };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'deliver':
      return `deliver ${step.triggers.map(describeTrigger).join(' + ')}${step.copies > 1 ? ` ×${step.copies}` : ''}`;
    case 'during':
      return `during ${step.state}: ${step.triggers.map(describeTrigger).join(' + ')}`;
    case 'fault':
      return `fault ${JSON.stringify(step.fault)}`;
    case 'advance':
      return `advance ${step.seconds} s`;
    case 'redrive':
      return 'redrive failed and aborted executions';
  }
}

function describeTrigger(trigger: TriggerKind): string {
  return trigger.kind === 'manual' && trigger.force ? 'manual(force)' : trigger.kind;
}

/** Opens a fresh local mode, plays one schedule, closes. */
export async function runSchedule(schedule: Schedule, options: PlayOptions = {}): Promise<ScheduleReport> {
  const world = await FaultWorld.open();
  try {
    return await world.play(schedule, options);
  } finally {
    await world.close();
  }
}
