/**
 * Admission control: every trigger ends in exactly one recorded outcome, and at most one
 * run holds the pipeline.
 *
 * State (one table, see lambdas/adapters/ports.ts StateStore):
 * - LOCK/PIPELINE    the holder: run id, execution, snapshot time, debounce window, `closing`
 * - PENDING/<t>#<id> triggers that arrived while the lock was held, after its snapshot
 * - CARRIED#<runId>/<t>#<id>  the triggers a follow-up run carries (copies of the PENDING items
 *                    it took), so that neither the lock nor the follow-up's execution input
 *                    grows with a burst: they hold a count and one trigger (DynamoDB items are
 *                    at most 400 KB, execution inputs 256 KiB; lambdas/core/aws-limits.ts)
 * - TRIGGER/<id>     the trigger log: one item per source event (dedupe key), with a TTL
 * - RUN/<runId>      run history
 * - STATUS/LAST_RUN  when the last run ended (cooldown)
 *
 * Only the holder writes the lock (snapshot, debounce, release) — queued triggers write their
 * own PENDING item and never contend on the lock. Release closes the lock first, then reads
 * the pending items, answers the ones its snapshot covers or the cooldown holds back, copies the
 * rest to CARRIED#<follow-up>, then deletes the lock or hands it to that one follow-up run; a
 * trigger that sees a closing lock waits until it changes and then checks whether its pending
 * item was taken. Every step is safe to repeat, so a Finalize that dies half-way and is retried
 * finishes the same release (the hand-over is the commit point: before it the old lock still
 * closes, after it CARRIED#<follow-up> says which pending items are taken).
 */
import type { Clock, Executions, StateItem, StateStore } from '../adapters/ports';
import { ConditionFailedError, RetrainError, TransientError } from './errors';
import { makeRunId, normalizeInput, type ExecutionRef } from './triggers';
import type { RunOptions, Trigger, TriggerOutcome, TriggerType } from './types';

export const KEYS = {
  lock: { pk: 'LOCK', sk: 'PIPELINE' },
  pendingPk: 'PENDING',
  /** The triggers follow-up run `runId` carries, one item each (same sort key as their PENDING item). */
  carriedPk: (runId: string) => `CARRIED#${runId}`,
  triggerPk: 'TRIGGER',
  runPk: 'RUN',
  lastRun: { pk: 'STATUS', sk: 'LAST_RUN' },
} as const;

export interface AdmissionSettings {
  readonly cooldownMinutes: number;
  readonly quietPeriodSeconds: number;
  readonly maxWaitSeconds: number;
  readonly triggerLogDays: number;
}

export interface AdmissionPorts {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly executions: Executions;
  /** Waits a little while a releasing holder finishes (real time in Lambda, instant in tests). */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface LockData {
  readonly runId: string;
  readonly executionArn: string;
  readonly acquiredAt: string;
  readonly trigger: Trigger;
  /** When the run took its data snapshot; triggers older than this are covered by it. */
  readonly snapshotAt?: string;
  /** New-data debounce window, until the snapshot is taken. */
  readonly debounce?: { readonly startedAt: string };
  /** Set by the holder's release: the pending list is being read. */
  readonly closing?: boolean;
  /** Set with `closing`: the run id a follow-up would get (a retried release reuses it). */
  readonly nextRunId?: string;
  /** Follow-up locks: the execution that handed the lock over (to resume a failed hand-over). */
  readonly handedOverBy?: string;
  /** Follow-up locks: how many triggers the follow-up run answers (they are in CARRIED#<runId>). */
  readonly carriedCount?: number;
  /** Follow-up locks: when the follow-up's own Admit took the lock; from then on its run answers the carried triggers. */
  readonly followUpStartedAt?: string;
  /** Follow-up locks: the options of the follow-up run (a dry run, a rollback, or neither). */
  readonly carriedOptions?: RunOptions;
  readonly previousRunId?: string;
}

export interface PendingData {
  readonly trigger: Trigger;
  /** A dry run or a rollback keeps its options: it is answered only by a run of its own kind. */
  readonly options?: RunOptions;
  readonly receivedAt: string;
  readonly executionArn: string;
  readonly holderRunId: string;
}

export type TriggerResolution = 'covered' | 'followed-up' | 'cooldown';

export interface TriggerLogData {
  readonly trigger: Trigger;
  readonly executionArn: string;
  readonly receivedAt: string;
  readonly outcome?: TriggerOutcome;
  readonly runId?: string;
  readonly holderRunId?: string;
  readonly cooldownUntil?: string;
  readonly resolution?: { readonly outcome: TriggerResolution; readonly runId: string; readonly at: string };
}

export type RunStatus = 'running' | 'deployed' | 'rejected' | 'dry-run' | 'awaiting-approval' | 'rolled-back' | 'failed';

export interface RunRecord {
  readonly runId: string;
  readonly executionArn: string;
  readonly trigger: Trigger;
  /**
   * The first triggers this run answers (its own, or the first ones it carries as a follow-up),
   * at most TRIGGER_SAMPLE of them; `triggerCount` says how many in all (carriedTriggers lists them).
   */
  readonly triggers: Trigger[];
  readonly triggerCount?: number;
  /** The distinct types of all the triggers it answers. */
  readonly triggerTypes?: TriggerType[];
  readonly options: RunOptions;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly metric?: string;
  readonly candidateMetric?: number;
  readonly championMetric?: number;
  readonly modelPackageArn?: string;
  readonly cause?: string;
  readonly covered?: number;
}

/** What Admit hands to the rest of the state machine. */
export interface AdmissionResult {
  readonly runId?: string;
  readonly trigger?: Trigger;
  /** The first triggers the run answers (at most TRIGGER_SAMPLE), and how many in all. */
  readonly triggers?: Trigger[];
  readonly triggerCount?: number;
  readonly options?: RunOptions;
  readonly admission: {
    readonly outcome: TriggerOutcome | 'rejected';
    /** Why, in words. */
    readonly reason: string;
    readonly holderRunId?: string;
    readonly cooldownUntil?: string;
    /** > 0: wait this long, then check the quiet period again. */
    readonly debounceSeconds: number;
    readonly error?: string;
    readonly cause?: string;
  };
}

export interface AdmitRequest {
  readonly input: unknown;
  readonly execution: ExecutionRef;
  readonly stateMachineArn: string;
  readonly settings: AdmissionSettings;
}

/** The lock changed hands or disappeared under a run that thought it held it. */
export class LockLostError extends RetrainError {
  override readonly name = 'LockLostError';
}

const MAX_ATTEMPTS = 50;
const CLOSING_POLL_MS = 100;
/** How many triggers a run record, a state and an event list (the rest are counted). */
export const TRIGGER_SAMPLE = 10;
/**
 * State writes in flight at once when a release or a takeover moves many triggers: a burst of
 * thousands is answered within a Lambda timeout, and one partition's 1,000 writes per second
 * (DynamoDB's per-partition limit: Amazon DynamoDB Developer Guide, "Best practices for designing
 * and using partition keys effectively", 1,000 WCU per partition) throttles, which the SDK
 * retries, rather than fails.
 */
const WRITE_CONCURRENCY = 16;

/** Decides what happens to one trigger: started, queued, covered, cooldown, duplicate (or rejected input). */
export async function admit(ports: AdmissionPorts, request: AdmitRequest): Promise<AdmissionResult> {
  let normalized;
  try {
    normalized = normalizeInput(request.input, request.execution);
  } catch (error) {
    if (!(error instanceof RetrainError)) throw error;
    return {
      admission: { outcome: 'rejected', reason: error.message, debounceSeconds: 0, error: error.name, cause: error.message },
    };
  }
  if (normalized.kind === 'follow-up') return admitFollowUp(ports, request, normalized);
  return admitTrigger(ports, request, normalized.trigger, normalized.options);
}

async function admitTrigger(ports: AdmissionPorts, request: AdmitRequest, trigger: Trigger, options: RunOptions): Promise<AdmissionResult> {
  const now = ports.clock.now();
  const log = new TriggerLog(ports.state, request.settings, now);

  const recorded = await log.recordOnce(trigger, request.execution.arn);
  if (recorded.kind === 'duplicate') {
    return {
      trigger,
      admission: {
        outcome: 'duplicate',
        reason: `event ${trigger.eventId} was already delivered (${recorded.previous.outcome ?? 'being admitted'}${recorded.previous.runId ? ` by run ${recorded.previous.runId}` : ''})`,
        holderRunId: recorded.previous.runId ?? recorded.previous.holderRunId,
        debounceSeconds: 0,
      },
    };
  }
  // The first delivery's time names its PENDING item, so a retried Admit queues the same item.
  const receivedAt = recorded.kind === 'retry' ? recorded.previous.receivedAt : now.toISOString();
  if (recorded.kind === 'retry') {
    const previous = recorded.previous;
    // A retry (or a redrive) after an attempt that already decided: decide the same. A trigger
    // with a resolution was queued and answered, even if its attempt died before saying so.
    if (previous.resolution) {
      if (!previous.outcome) await log.settle(trigger.eventId, { outcome: 'queued' });
      return replay(trigger, options, { ...previous, outcome: previous.outcome ?? 'queued' });
    }
    if (previous.outcome === 'started') {
      const lock = await ports.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
      if (lock?.data.executionArn !== request.execution.arn) {
        // Its run lost the lock meanwhile (taken over as abandoned): the trigger keeps its
        // outcome, and this execution goes no further.
        return {
          trigger,
          options,
          admission: {
            outcome: 'duplicate',
            reason: `admission retried after run ${previous.runId ?? '?'}, which this trigger started, lost the pipeline lock${lock ? ` to run ${lock.data.runId}` : ''}; the trigger stays answered by that run`,
            holderRunId: lock?.data.runId,
            debounceSeconds: 0,
          },
        };
      }
    } else if (previous.outcome) {
      return replay(trigger, options, previous);
    }
  }

  const cooldownUntil = await cooldownEnd(ports.state, trigger, options, request.settings);
  if (cooldownUntil && now < cooldownUntil) {
    await log.settle(trigger.eventId, { outcome: 'cooldown', cooldownUntil: cooldownUntil.toISOString() });
    return {
      trigger,
      options,
      admission: {
        outcome: 'cooldown',
        reason: `a run ended less than ${request.settings.cooldownMinutes} minutes ago; ${trigger.type} triggers wait until ${cooldownUntil.toISOString()}`,
        cooldownUntil: cooldownUntil.toISOString(),
        debounceSeconds: 0,
      },
    };
  }

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const outcome = await tryAcquireOrQueue(ports, request, trigger, options, log, receivedAt);
    if (outcome === 'retry') continue;
    if (outcome.kind === 'acquired') {
      // An earlier attempt may have queued this trigger before it died: this run answers it.
      if (recorded.kind === 'retry') await ports.state.delete(KEYS.pendingPk, pendingKey(receivedAt, trigger.eventId));
      return started(ports, request, outcome.lock, [trigger], options, log);
    }
    if (outcome.kind === 'covered') {
      await log.settle(trigger.eventId, { outcome: 'covered', holderRunId: outcome.holder.runId, runId: outcome.holder.runId });
      return {
        trigger,
        options,
        admission: {
          outcome: 'covered',
          reason: `run ${outcome.holder.runId} took its data snapshot at ${outcome.holder.snapshotAt} after this event (${trigger.time})`,
          holderRunId: outcome.holder.runId,
          debounceSeconds: 0,
        },
      };
    }
    await log.settle(trigger.eventId, { outcome: 'queued', holderRunId: outcome.holder.runId });
    return {
      trigger,
      options,
      admission: {
        outcome: 'queued',
        reason: `run ${outcome.holder.runId} holds the pipeline; this trigger is carried by a follow-up run when it ends`,
        holderRunId: outcome.holder.runId,
        debounceSeconds: 0,
      },
    };
  }
  throw new TransientError(`admission: the lock kept changing for ${MAX_ATTEMPTS} attempts; Step Functions retries`, {
    context: { eventId: trigger.eventId },
  });
}

type AcquireOutcome =
  | { kind: 'acquired'; lock: StateItem<LockData> }
  | { kind: 'covered'; holder: LockData }
  | { kind: 'queued'; holder: LockData }
  | 'retry';

async function tryAcquireOrQueue(
  ports: AdmissionPorts,
  request: AdmitRequest,
  trigger: Trigger,
  options: RunOptions,
  log: TriggerLog,
  receivedAt: string,
): Promise<AcquireOutcome> {
  const { state, clock } = ports;
  const now = clock.now();
  const runId = makeRunId(now, request.execution.arn);
  const lockData = (): LockData => newLock(runId, request.execution.arn, now, trigger, request.settings);
  try {
    return { kind: 'acquired', lock: await state.put<LockData>({ ...KEYS.lock, data: lockData() }, { ifAbsent: true }) };
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  const lock = await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
  if (!lock) return 'retry';
  if (lock.data.executionArn === request.execution.arn) return { kind: 'acquired', lock }; // a retried Admit
  const status = await ports.executions.status(lock.data.executionArn);
  if (lock.data.closing && status === 'RUNNING') {
    await ports.sleep(CLOSING_POLL_MS); // its holder is releasing right now
    return 'retry';
  }
  if (status !== 'RUNNING') {
    // The holder was aborted, timed out or failed without releasing: take the lock over. A
    // follow-up that never started leaves the triggers it carries in its CARRIED partition:
    // queue them again first (repeatable), so whoever takes the lock answers them.
    if (lock.data.carriedCount && !lock.data.followUpStartedAt) await requeueCarried(state, log, lock.data, now);
    let taken: StateItem<LockData>;
    try {
      taken = await state.put<LockData>({ ...KEYS.lock, data: { ...lockData(), previousRunId: lock.data.runId } }, { ifVersion: lock.version });
    } catch (error) {
      if (error instanceof ConditionFailedError) return 'retry';
      throw error;
    }
    await closeAbandonedRun(state, lock.data, status, taken.data.runId, now);
    return { kind: 'acquired', lock: taken };
  }
  // A training run answers a plain trigger older than its snapshot; a dry run or rollback
  // request is only answered by a run of its own kind.
  if (lock.data.snapshotAt && trigger.time <= lock.data.snapshotAt && !isSpecial(options)) return { kind: 'covered', holder: lock.data };

  // Queue: record the pending trigger, then make sure the holder will see it.
  const pendingSk = pendingKey(receivedAt, trigger.eventId);
  await state.put<PendingData>(
    {
      pk: KEYS.pendingPk,
      sk: pendingSk,
      data: {
        trigger,
        ...(isSpecial(options) ? { options } : {}),
        receivedAt,
        executionArn: request.execution.arn,
        holderRunId: lock.data.runId,
      },
      expiresAt: log.expiresAt,
    },
    { always: true },
  );
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
    if (current?.data.closing) {
      await ports.sleep(CLOSING_POLL_MS); // its holder is reading the pending list right now
      continue;
    }
    // An open lock reads the pending list only when it closes, after this point.
    if (current) return { kind: 'queued', holder: current.data };
    // Released while we queued. A holder deletes the items it answered before it deletes the lock.
    const mine = await state.get<PendingData>(KEYS.pendingPk, pendingSk);
    if (!mine) {
      const resolved = await log.get(trigger.eventId);
      return { kind: 'queued', holder: { ...lock.data, runId: resolved?.resolution?.runId ?? lock.data.runId } };
    }
    await state.delete(KEYS.pendingPk, pendingSk);
    return 'retry';
  }
  throw new TransientError('admission: the lock holder did not finish releasing; Step Functions retries', {
    context: { holder: lock.data.runId },
  });
}

/** The sort key of a trigger's PENDING item: when it was first received, then its event id. */
function pendingKey(receivedAt: string, eventId: string): string {
  return `${receivedAt}#${eventId}`;
}

/** The history must not show a run whose execution died as running forever. */
async function closeAbandonedRun(state: StateStore, lock: LockData, status: string, takenBy: string, now: Date): Promise<void> {
  const record = await state.get<RunRecord>(KEYS.runPk, lock.runId);
  if (!record || record.data.status !== 'running') return;
  try {
    await state.put<RunRecord>(
      {
        pk: KEYS.runPk,
        sk: lock.runId,
        data: {
          ...record.data,
          status: 'failed',
          endedAt: now.toISOString(),
          cause: `abandoned: its execution is ${status === 'NOT_FOUND' ? 'gone' : status}; run ${takenBy} took the pipeline lock over`,
        },
      },
      { ifVersion: record.version },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error; // its own Finalize got there first
  }
}

function newLock(runId: string, executionArn: string, now: Date, trigger: Trigger, settings: AdmissionSettings): LockData {
  const debounce = trigger.type === 'new-data' && settings.quietPeriodSeconds > 0;
  return {
    runId,
    executionArn,
    acquiredAt: now.toISOString(),
    trigger,
    ...(debounce ? { debounce: { startedAt: now.toISOString() } } : { snapshotAt: now.toISOString() }),
  };
}

async function started(
  ports: AdmissionPorts,
  request: AdmitRequest,
  lock: StateItem<LockData>,
  all: Trigger[],
  options: RunOptions,
  log: TriggerLog,
): Promise<AdmissionResult> {
  const { runId } = lock.data;
  const now = ports.clock.now().toISOString();
  const triggers = all.slice(0, TRIGGER_SAMPLE);
  const triggerCount = all.length;
  const triggerTypes = [...new Set(all.map((t) => t.type))];
  await ports.state.put<RunRecord>(
    {
      pk: KEYS.runPk,
      sk: runId,
      data: { runId, executionArn: request.execution.arn, trigger: triggers[0], triggers, triggerCount, triggerTypes, options, status: 'running', startedAt: now },
    },
    { always: true },
  );
  if (!lock.data.previousRunId || !lock.data.handedOverBy) {
    for (const t of all) await log.settle(t.eventId, { outcome: 'started', runId });
  }
  const debounceSeconds = lock.data.debounce ? request.settings.quietPeriodSeconds : 0;
  return {
    runId,
    trigger: triggers[0],
    triggers,
    triggerCount,
    options,
    admission: {
      outcome: 'started',
      reason: lock.data.previousRunId
        ? `took over the lock of run ${lock.data.previousRunId}, whose execution is no longer running`
        : `run ${runId} holds the pipeline`,
      debounceSeconds,
    },
  };
}

async function admitFollowUp(
  ports: AdmissionPorts,
  request: AdmitRequest,
  input: { runId: string; previousRunId: string; trigger: Trigger; triggerCount: number; options: RunOptions },
): Promise<AdmissionResult> {
  const now = ports.clock.now();
  const log = new TriggerLog(ports.state, request.settings, now);
  const lock = await ports.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
  if (lock && lock.data.runId === input.runId) {
    const mine =
      lock.data.executionArn === request.execution.arn && lock.data.followUpStartedAt
        ? lock
        : await ports.state.put<LockData>(
            { ...KEYS.lock, data: { ...lock.data, executionArn: request.execution.arn, followUpStartedAt: now.toISOString() } },
            { ifVersion: lock.version },
          );
    const carried = await carriedTriggers(ports.state, input.runId);
    return started(ports, request, mine, carried.length > 0 ? carried : [input.trigger], input.options, log);
  }
  // The lock was taken over before this follow-up started (its start failed and the lock
  // looked stale): the run that took it over queued the carried triggers again.
  return {
    trigger: input.trigger,
    triggers: [input.trigger],
    triggerCount: input.triggerCount,
    admission: {
      outcome: 'queued',
      reason: `follow-up run ${input.runId} lost its lock to run ${lock?.data.runId ?? '(none)'}, which answers its ${input.triggerCount} triggers`,
      holderRunId: lock?.data.runId,
      debounceSeconds: 0,
    },
  };
}

function replay(trigger: Trigger, options: RunOptions, previous: TriggerLogData): AdmissionResult {
  return {
    trigger,
    options,
    admission: {
      outcome: previous.outcome ?? 'queued',
      reason: `admission retried; the first attempt decided ${previous.outcome}`,
      holderRunId: previous.holderRunId,
      cooldownUntil: previous.cooldownUntil,
      debounceSeconds: 0,
    },
  };
}

async function cooldownEnd(state: StateStore, trigger: Trigger, options: RunOptions, settings: AdmissionSettings): Promise<Date | undefined> {
  if (!isCooled(trigger, options) || settings.cooldownMinutes <= 0) return undefined;
  const last = await state.get<{ endedAt: string }>(KEYS.lastRun.pk, KEYS.lastRun.sk);
  if (!last) return undefined;
  return new Date(Date.parse(last.data.endedAt) + settings.cooldownMinutes * 60_000);
}

/** A dry run or a rollback: work of its own kind, never merged into a training run. */
function isSpecial(options: RunOptions | undefined): boolean {
  return Boolean(options?.dryRun || options?.rollbackTo);
}

/** Degradation and drift triggers respect the cooldown; people can force a run. */
function isCooled(trigger: Trigger, options: RunOptions): boolean {
  return (trigger.type === 'degradation' || trigger.type === 'drift') && !options.force;
}

/**
 * Throws LockLostError unless run `runId` holds the pipeline lock. A step that changes what
 * production serves calls it first: an execution redriven after its lock was taken over
 * (RedriveExecution resumes at the state that failed) must not deploy next to the holder.
 */
export async function assertHoldsLock(state: StateStore, runId: string, step: string): Promise<void> {
  const lock = await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
  if (lock?.data.runId === runId) return;
  throw new LockLostError(
    `run ${runId} no longer holds the pipeline lock (${lock ? `run ${lock.data.runId} does` : 'no run does'}); ${step} changes nothing`,
    { context: { runId, holder: lock?.data.runId } },
  );
}

// ------------------------------------------------------------------ debounce

export interface DebounceRequest {
  readonly run: AdmissionResult & { runId: string };
  readonly settings: AdmissionSettings;
}

/**
 * A new-data run waits until no new-data trigger has arrived for the quiet period, or the
 * maximum wait has passed; then it takes its snapshot. Returns the run with the next wait
 * (0 = go).
 */
export async function checkQuietPeriod(ports: AdmissionPorts, request: DebounceRequest): Promise<AdmissionResult> {
  const { state, clock } = ports;
  const { settings } = request;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = clock.now();
    const lock = await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
    if (!lock || lock.data.runId !== request.run.runId) {
      throw new LockLostError(`run ${request.run.runId} no longer holds the pipeline lock (it was taken over)`, {
        context: { holder: lock?.data.runId },
      });
    }
    if (lock.data.snapshotAt || !lock.data.debounce) return { ...request.run, admission: { ...request.run.admission, debounceSeconds: 0 } };

    const pending = await state.query<PendingData>(KEYS.pendingPk);
    const lastNewData = [lock.data.trigger, ...pending.map((p) => p.data.trigger)]
      .filter((t) => t.type === 'new-data')
      .reduce((latest, t) => (t.time > latest ? t.time : latest), lock.data.trigger.time);
    const quietFor = (now.getTime() - Date.parse(lastNewData)) / 1000;
    const waited = (now.getTime() - Date.parse(lock.data.debounce.startedAt)) / 1000;
    if (quietFor < settings.quietPeriodSeconds && waited < settings.maxWaitSeconds) {
      const wait = Math.ceil(Math.min(settings.quietPeriodSeconds - quietFor, settings.maxWaitSeconds - waited));
      return {
        ...request.run,
        admission: {
          ...request.run.admission,
          reason: `new data arrived ${Math.floor(quietFor)} s ago; waiting for ${settings.quietPeriodSeconds} s of quiet`,
          debounceSeconds: Math.max(1, wait),
        },
      };
    }
    try {
      await state.put<LockData>({ ...KEYS.lock, data: { ...lock.data, snapshotAt: now.toISOString() } }, { ifVersion: lock.version });
      return {
        ...request.run,
        admission: {
          ...request.run.admission,
          reason:
            quietFor >= settings.quietPeriodSeconds
              ? `no new data for ${Math.floor(quietFor)} s: snapshot taken`
              : `waited the maximum ${settings.maxWaitSeconds} s: snapshot taken`,
          debounceSeconds: 0,
        },
      };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new TransientError('debounce: the lock kept changing; Step Functions retries');
}

// ------------------------------------------------------------------ release

export interface ReleaseRequest {
  readonly runId: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: Exclude<RunStatus, 'running'>;
  readonly settings: AdmissionSettings;
}

/** Counts, not lists: the result goes into the run record and Finalize's output, whatever the burst. */
export interface ReleaseResult {
  /** Pending triggers older than the run's snapshot: answered by this run. */
  readonly covered: number;
  /** Degradation/drift triggers that arrived during the run: within the cooldown it starts. */
  readonly cooldown: number;
  /** The one run that carries every other pending trigger (`triggers`: how many). */
  readonly followUp?: { readonly runId: string; readonly executionArn: string; readonly triggers: number };
}

/**
 * Ends a run's hold on the pipeline: resolves every pending trigger (covered, cooldown or
 * carried by exactly one follow-up run), records when the run ended, and releases the lock
 * or hands it to the follow-up. Safe to retry.
 */
export async function releaseLock(ports: AdmissionPorts, request: ReleaseRequest): Promise<ReleaseResult> {
  const { state, clock } = ports;
  const now = clock.now();
  const log = new TriggerLog(state, request.settings, now);
  await state.put({ ...KEYS.lastRun, data: { runId: request.runId, endedAt: now.toISOString(), status: request.status } }, { always: true });

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let lock = await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
    if (!lock) return { covered: 0, cooldown: 0 };
    if (lock.data.handedOverBy === request.executionArn) {
      // A retry after the hand-over: finish answering the carried triggers, start the follow-up.
      await settleCarried(state, log, lock.data.runId, now.toISOString());
      await startFollowUp(ports, request, lock.data);
      const followUp = { runId: lock.data.runId, executionArn: lock.data.executionArn, triggers: lock.data.carriedCount ?? 1 };
      return { covered: 0, cooldown: 0, followUp };
    }
    if (lock.data.runId !== request.runId) return { covered: 0, cooldown: 0 }; // taken over long ago
    try {
      if (!lock.data.closing) {
        const nextRunId = makeRunId(now, `${request.runId}/follow-up`);
        lock = await state.put<LockData>({ ...KEYS.lock, data: { ...lock.data, closing: true, nextRunId } }, { ifVersion: lock.version });
      }
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }

    const pending = await unanswered(state, log, await state.query<PendingData>(KEYS.pendingPk));
    const snapshot = lock.data.snapshotAt ?? '';
    const plain = pending.filter((p) => !isSpecial(p.data.options));
    const covered = plain.filter((p) => snapshot !== '' && p.data.trigger.time <= snapshot);
    const later = plain.filter((p) => !covered.includes(p));
    const cooled = later.filter((p) => isCooled(p.data.trigger, { dryRun: false, force: false }) && request.settings.cooldownMinutes > 0);
    // One follow-up: plain triggers first; else the oldest rollback, or every dry run. The
    // special requests it does not carry stay pending for the run after it.
    let carried = later.filter((p) => !cooled.includes(p));
    let carriedOptions: RunOptions = { dryRun: false, force: carried.some((p) => p.data.options?.force) };
    if (carried.length === 0) {
      const special = pending.filter((p) => isSpecial(p.data.options));
      const first = special[0];
      if (first?.data.options?.rollbackTo) {
        carried = [first];
        carriedOptions = first.data.options;
      } else if (first) {
        carried = special.filter((p) => p.data.options?.dryRun && !p.data.options.rollbackTo);
        carriedOptions = { dryRun: true, force: false };
      }
    }

    // Answer what this run answers while the lock is still closed: a trigger that queued
    // meanwhile and then finds the lock gone checks whether its item is still there. A retry
    // after a failure here finds the answered items gone and answers the rest.
    const at = now.toISOString();
    const cooldownUntil = new Date(now.getTime() + request.settings.cooldownMinutes * 60_000).toISOString();
    await forEachConcurrently(covered, async (p) => {
      await log.resolve(p.data.trigger.eventId, { outcome: 'covered', runId: request.runId, at });
      await state.delete(KEYS.pendingPk, p.sk);
    });
    await forEachConcurrently(cooled, async (p) => {
      await log.resolve(p.data.trigger.eventId, { outcome: 'cooldown', runId: request.runId, at }, cooldownUntil);
      await state.delete(KEYS.pendingPk, p.sk);
    });
    const answered = { covered: covered.length, cooldown: cooled.length };

    if (carried.length === 0) {
      await state.delete(KEYS.lock.pk, KEYS.lock.sk, { ifVersion: lock.version });
      return answered;
    }

    // Hand the lock to one follow-up run that carries every later trigger: first the list
    // (CARRIED#<follow-up>), then the lock (the commit point), then the answers.
    const followRunId = lock.data.nextRunId ?? makeRunId(now, `${request.runId}/follow-up`);
    await forEachConcurrently(carried, (p) =>
      state.put<PendingData>({ pk: KEYS.carriedPk(followRunId), sk: p.sk, data: p.data, expiresAt: log.expiresAt }, { always: true }).then(() => undefined),
    );
    const triggers = carried.map((p) => p.data.trigger);
    const handed: LockData = {
      runId: followRunId,
      executionArn: executionArnFor(request.stateMachineArn, followRunId),
      acquiredAt: at,
      trigger: triggers[0],
      carriedCount: triggers.length,
      carriedOptions,
      handedOverBy: request.executionArn,
      previousRunId: request.runId,
      ...(triggers.some((t) => t.type === 'new-data') && request.settings.quietPeriodSeconds > 0
        ? { debounce: { startedAt: at } }
        : { snapshotAt: at }),
    };
    try {
      await state.put<LockData>({ ...KEYS.lock, data: handed }, { ifVersion: lock.version });
    } catch (error) {
      if (error instanceof ConditionFailedError) continue; // taken over meanwhile: the loop sees it
      throw error;
    }
    await forEachConcurrently(carried, async (p) => {
      await log.resolve(p.data.trigger.eventId, { outcome: 'followed-up', runId: followRunId, at });
      await state.delete(KEYS.pendingPk, p.sk);
    });
    await startFollowUp(ports, request, handed);
    return { ...answered, followUp: { runId: followRunId, executionArn: handed.executionArn, triggers: triggers.length } };
  }
  throw new TransientError(`release: the lock of run ${request.runId} kept changing; Step Functions retries`);
}

/** After a hand-over: every trigger the follow-up carries is resolved and no longer pending (repeatable). */
async function settleCarried(state: StateStore, log: TriggerLog, followRunId: string, at: string): Promise<void> {
  const carried = await state.query<PendingData>(KEYS.carriedPk(followRunId));
  await forEachConcurrently(carried, async (p) => {
    if (!(await state.get(KEYS.pendingPk, p.sk))) return;
    await log.resolve(p.data.trigger.eventId, { outcome: 'followed-up', runId: followRunId, at });
    await state.delete(KEYS.pendingPk, p.sk);
  });
}

/**
 * The pending items still to answer. An item whose trigger already has a resolution was answered
 * by a release that died before deleting it (Finalize timed out between the two writes): delete
 * it, so no run answers that trigger a second time.
 */
async function unanswered(state: StateStore, log: TriggerLog, pending: StateItem<PendingData>[]): Promise<StateItem<PendingData>[]> {
  const answered: boolean[] = [];
  await forEachConcurrently(
    pending.map((_, i) => i),
    async (i) => {
      answered[i] = Boolean((await log.get(pending[i].data.trigger.eventId))?.resolution);
      if (answered[i]) await state.delete(KEYS.pendingPk, pending[i].sk);
    },
  );
  return pending.filter((_, i) => !answered[i]);
}

/**
 * A follow-up that never started: its carried triggers become pending again, for the next
 * holder, and lose the resolution that named the follow-up (it never answered them).
 */
async function requeueCarried(state: StateStore, log: TriggerLog, lock: LockData, now: Date): Promise<void> {
  const carried = await state.query<PendingData>(KEYS.carriedPk(lock.runId));
  const expiresAt = log.expiresAt;
  await forEachConcurrently(carried, async (p) => {
    await log.unresolve(p.data.trigger.eventId);
    await state.put<PendingData>(
      {
        pk: KEYS.pendingPk,
        sk: p.sk,
        data: { ...p.data, ...(lock.carriedOptions && !p.data.options ? { options: lock.carriedOptions } : {}), receivedAt: now.toISOString() },
        expiresAt,
      },
      { always: true },
    );
    await state.delete(KEYS.carriedPk(lock.runId), p.sk);
  });
}

/** The triggers run `runId` answers when it is a follow-up (oldest first), at most `limit`. */
export async function carriedTriggers(state: StateStore, runId: string, limit?: number): Promise<Trigger[]> {
  const items = await state.query<PendingData>(KEYS.carriedPk(runId), limit === undefined ? {} : { limit });
  return items.map((p) => p.data.trigger);
}

/** How many triggers a run answers (records written before the count existed list them all). */
export function triggerCountOf(run: Pick<RunRecord, 'trigger' | 'triggers' | 'triggerCount'>): number {
  return run.triggerCount ?? Math.max(1, run.triggers?.length ?? 0);
}

/** The types of the triggers a run answers. */
export function triggerTypesOf(run: Pick<RunRecord, 'trigger' | 'triggers' | 'triggerTypes'>): TriggerType[] {
  return run.triggerTypes ?? [...new Set((run.triggers?.length ? run.triggers : [run.trigger]).map((t) => t.type))];
}

/** Runs `task` for every item, at most WRITE_CONCURRENCY at a time; rejects with the first error. */
async function forEachConcurrently<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, worker));
}

async function startFollowUp(ports: AdmissionPorts, request: ReleaseRequest, lock: LockData): Promise<void> {
  await ports.executions.start(request.stateMachineArn, lock.runId, {
    followUp: {
      runId: lock.runId,
      previousRunId: request.runId,
      // One trigger and a count: the input stays small whatever the burst (the rest are in CARRIED#<runId>).
      trigger: lock.trigger,
      triggerCount: lock.carriedCount ?? 1,
      ...(lock.carriedOptions ? { options: lock.carriedOptions } : {}),
    },
  });
}

/** arn:aws:states:r:a:stateMachine:name → arn:aws:states:r:a:execution:name:<executionName> */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

// ------------------------------------------------------------------ trigger log

class TriggerLog {
  readonly expiresAt: number;

  constructor(
    private readonly state: StateStore,
    settings: AdmissionSettings,
    private readonly now: Date,
  ) {
    this.expiresAt = Math.floor(now.getTime() / 1000) + settings.triggerLogDays * 86_400;
  }

  /** Records a trigger the first time its event id is seen. */
  async recordOnce(
    trigger: Trigger,
    executionArn: string,
  ): Promise<{ kind: 'new' } | { kind: 'retry' | 'duplicate'; previous: TriggerLogData }> {
    try {
      await this.state.put<TriggerLogData>(
        { pk: KEYS.triggerPk, sk: trigger.eventId, data: { trigger, executionArn, receivedAt: this.now.toISOString() }, expiresAt: this.expiresAt },
        { ifAbsent: true },
      );
      return { kind: 'new' };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const previous = await this.get(trigger.eventId);
    if (!previous) return { kind: 'new' };
    return { kind: previous.executionArn === executionArn ? 'retry' : 'duplicate', previous };
  }

  async get(eventId: string): Promise<TriggerLogData | undefined> {
    return (await this.state.get<TriggerLogData>(KEYS.triggerPk, eventId))?.data;
  }

  async settle(eventId: string, fields: Partial<TriggerLogData>): Promise<void> {
    await this.update(eventId, (d) => ({ ...d, ...fields }));
  }

  async resolve(eventId: string, resolution: NonNullable<TriggerLogData['resolution']>, cooldownUntil?: string): Promise<void> {
    // An item was pending, so the trigger was queued, even when its Admit died before saying so.
    await this.update(eventId, (d) => ({ ...d, outcome: d.outcome ?? 'queued', resolution, ...(cooldownUntil ? { cooldownUntil } : {}) }));
  }

  async unresolve(eventId: string): Promise<void> {
    await this.update(eventId, ({ resolution: _never, ...rest }) => rest);
  }

  private async update(eventId: string, change: (d: TriggerLogData) => TriggerLogData): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const item = await this.state.get<TriggerLogData>(KEYS.triggerPk, eventId);
      if (!item) return;
      try {
        await this.state.put({ pk: KEYS.triggerPk, sk: eventId, data: change(item.data), expiresAt: this.expiresAt }, { ifVersion: item.version });
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new TransientError(`trigger log: ${eventId} kept changing`);
  }
}
