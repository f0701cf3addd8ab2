/**
 * Retrain's promise, as checks on one local mode, reusable after any step of any scenario:
 *
 * - triggers: every trigger that reached the state machine (distinct event id) has exactly one
 *   trigger-log item once its Admit finished, with one outcome that never changes and at most
 *   one resolution that never changes; exactly one delivery of an event id is not answered
 *   `duplicate`; at rest every queued trigger is resolved by a run that exists, no PENDING item is
 *   left and nothing is lost;
 * - lock: pipeline work (data preparation to promotion) runs only in the execution whose run holds
 *   LOCK/PIPELINE; a lock held by a dead execution is taken over by the next trigger admitted; at
 *   rest the lock is released;
 * - champion: the endpoint serves the champion the state table records (its endpoint config and
 *   model), and the champion's artifacts exist in the bucket; no champion, no endpoint;
 * - users' data: every object under raw/ and ground-truth/ is byte-for-byte what was uploaded.
 *
 * The tracker keeps what the checks need between steps (admissions as Admit returned them, the
 * first outcome and resolution seen per event id, the users' objects and their hashes).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, type AdmissionResult, type LockData, type PendingData, type RunRecord, type TriggerLogData } from '../../lambdas/core/admission';
import { jsonBytes } from '../../lambdas/core/aws-limits';
import type { LocalRetrain } from '../../local/runner';
import type { ExecutionRecord } from '../../local/state-machine';

export type InvariantName =
  | 'trigger-logged'
  | 'one-outcome'
  | 'one-resolution'
  | 'none-lost'
  | 'one-lock-holder'
  | 'stale-lock-taken-over'
  | 'lock-released'
  | 'champion-serves'
  | 'champion-artifacts'
  | 'user-data-unchanged';

export interface InvariantViolation {
  readonly invariant: InvariantName;
  /** Where in the schedule it was seen. */
  readonly at: string;
  readonly detail: string;
}

/** States that do the pipeline's work: only the lock holder may run them. */
const PIPELINE_WORK = new Set([
  'Prepare data',
  'Train',
  'CreateModel',
  'TransformCandidate',
  'TransformChampion',
  'Evaluate',
  'Register',
  'CreateEndpointConfig',
  'Deploy',
  'Describe endpoint',
  'Promote champion',
  'Prepare rollback',
]);

const OUTCOMES = new Set(['started', 'queued', 'covered', 'cooldown', 'duplicate']);

export class InvariantTracker {
  /** Objects users put under raw/ and ground-truth/, with the SHA-256 of what they put. */
  readonly userObjects = new Map<string, string>();
  /** The first model package registered (a rollback target). */
  firstPackage?: string;
  /** What Admit answered, per execution name (the last attempt that returned). */
  readonly admissions = new Map<string, AdmissionResult>();
  /** Violations seen while tasks ran (reported at the next check). */
  private readonly seen: Array<Omit<InvariantViolation, 'at'> & { at?: string }> = [];
  private readonly outcomes = new Map<string, string>();
  private readonly resolutions = new Map<string, string>();

  /** Admissions since the current step began. */
  admittedThisStep: AdmissionResult[] = [];

  beginStep(): void {
    this.admittedThisStep = [];
  }

  /** Called with Admit's output (the admission result) for an execution. */
  recordAdmission(execution: string, result: AdmissionResult): void {
    this.admissions.set(execution, result);
    this.admittedThisStep.push(result);
  }

  /** Called before a Task state runs: pipeline work must be done by the lock holder. */
  async checkWork(local: LocalRetrain, execution: string, state: string): Promise<void> {
    if (!PIPELINE_WORK.has(state)) return;
    const runId = this.admissions.get(execution)?.runId;
    const lock = await local.lock();
    if (!lock || lock.data.runId !== runId) {
      this.seen.push({
        invariant: 'one-lock-holder',
        at: `entering ${state}`,
        detail: `execution ${execution} (run ${runId ?? '?'}) does pipeline work in "${state}" while ${lock ? `run ${lock.data.runId} (execution ${lock.data.executionArn.split(':').pop()}) holds the lock` : 'nobody holds the lock'}`,
      });
    }
  }

  /** The execution holding the lock when it is no longer running, else undefined. */
  async deadHolder(local: LocalRetrain): Promise<{ runId: string; executionArn: string } | undefined> {
    const lock = await local.lock();
    if (!lock) return undefined;
    const status = await local.stateMachine.status(lock.data.executionArn);
    return status === 'RUNNING' ? undefined : { runId: lock.data.runId, executionArn: lock.data.executionArn };
  }

  /** Event ids that reached the state machine: a rule's event id, or the execution name of a person's start. */
  deliveredEventIds(local: LocalRetrain): Map<string, ExecutionRecord[]> {
    const byId = new Map<string, ExecutionRecord[]>();
    for (const execution of local.stateMachine.executions.values()) {
      const id = eventIdOf(execution);
      if (!id) continue;
      byId.set(id, [...(byId.get(id) ?? []), execution]);
    }
    return byId;
  }

  /** Runs by follow-up: the longest chain run → follow-up → follow-up … */
  longestFollowUpChain(local: LocalRetrain): number {
    const previous = new Map<string, string>();
    for (const execution of local.stateMachine.executions.values()) {
      const followUp = (execution.input as { followUp?: { runId: string; previousRunId: string } } | null)?.followUp;
      if (followUp) previous.set(followUp.runId, followUp.previousRunId);
    }
    let longest = 0;
    for (const runId of previous.keys()) {
      let length = 0;
      for (let at: string | undefined = runId; at && previous.has(at) && length < 1000; at = previous.get(at)) length++;
      longest = Math.max(longest, length);
    }
    return longest;
  }

  /** The largest state item and execution input, in bytes (AWS's limits are 400 KB and 256 KiB). */
  async sizes(local: LocalRetrain): Promise<{ item: number; input: number }> {
    let item = 0;
    for (const pk of [KEYS.lock.pk, KEYS.pendingPk, KEYS.triggerPk, KEYS.runPk, KEYS.lastRun.pk]) {
      for (const entry of await local.state.query(pk)) item = Math.max(item, jsonBytes(entry));
    }
    let input = 0;
    for (const execution of local.stateMachine.executions.values()) input = Math.max(input, jsonBytes(execution.input));
    return { item, input };
  }

  drainSeen(at: string): InvariantViolation[] {
    return this.seen.splice(0).map((v) => ({ ...v, at: v.at ? `${at}, ${v.at}` : at }));
  }

  rememberOutcome(eventId: string, outcome: string): string | undefined {
    const before = this.outcomes.get(eventId);
    if (before === undefined) this.outcomes.set(eventId, outcome);
    return before;
  }

  rememberResolution(eventId: string, resolution: string): string | undefined {
    const before = this.resolutions.get(eventId);
    if (before === undefined) this.resolutions.set(eventId, resolution);
    return before;
  }
}

export interface CheckOptions {
  /** Where in the scenario (for the message). */
  readonly at: string;
  /** Everything at rest: no execution runs, faults are gone, failed executions were redriven. */
  readonly quiescent: boolean;
  /** The dead execution that held the lock before this step, if any. */
  readonly deadHolderBefore?: { runId: string; executionArn: string };
}

/** Checks every invariant now; returns what is broken (empty when all hold). */
export async function checkInvariants(local: LocalRetrain, tracker: InvariantTracker, options: CheckOptions): Promise<InvariantViolation[]> {
  const violations: InvariantViolation[] = tracker.drainSeen(options.at);
  const fail = (invariant: InvariantName, detail: string) => violations.push({ invariant, at: options.at, detail });

  await checkTriggers(local, tracker, options, fail);
  await checkLock(local, tracker, options, fail);
  await checkChampion(local, fail);
  await checkUserData(local, tracker, fail);
  return violations;
}

type Fail = (invariant: InvariantName, detail: string) => void;

async function checkTriggers(local: LocalRetrain, tracker: InvariantTracker, options: CheckOptions, fail: Fail): Promise<void> {
  const logs = new Map((await local.state.query<TriggerLogData>(KEYS.triggerPk)).map((item) => [item.sk, item.data]));
  const delivered = tracker.deliveredEventIds(local);
  const runs = new Map((await local.state.query<RunRecord>(KEYS.runPk)).map((item) => [item.sk, item.data]));

  for (const [eventId, executions] of delivered) {
    const log = logs.get(eventId);
    const answers = executions.map((e) => tracker.admissions.get(e.name)).filter((a): a is AdmissionResult => a !== undefined);
    const admitted = answers.filter((a) => a.admission.outcome !== 'rejected');
    if (admitted.length > 0 && !log) fail('trigger-logged', `event ${eventId}: Admit answered ${admitted.map((a) => a.admission.outcome).join(', ')} but the trigger log has no item`);
    const answering = admitted.filter((a) => a.admission.outcome !== 'duplicate');
    // A `duplicate` answer only says another delivery recorded the event first; that delivery
    // may still be deciding (or wait for a redrive), so only a deciding answer needs the outcome.
    if (answering.length > 0 && log && !log.outcome) fail('trigger-logged', `event ${eventId}: Admit answered ${answering[0].admission.outcome} but its log item has no outcome`);
    if (answering.length > 1) {
      fail('one-outcome', `event ${eventId} was answered ${answering.length} times (${answering.map((a) => a.admission.outcome).join(', ')}) by executions ${executions.map((e) => e.name).join(', ')}`);
    }
    if (options.quiescent) {
      if (!log) fail('none-lost', `event ${eventId} reached ${executions.length} execution(s) (${executions.map((e) => `${e.name}: ${e.status}${e.error ? ` ${e.error}` : ''}`).join('; ')}) and has no trigger-log item`);
      else if (!log.outcome) fail('none-lost', `event ${eventId} has a trigger-log item without an outcome at rest`);
    }
  }

  for (const [eventId, log] of logs) {
    if (!delivered.has(eventId)) fail('trigger-logged', `trigger-log item ${eventId} belongs to no delivered event`);
    if (log.outcome !== undefined) {
      if (!OUTCOMES.has(log.outcome)) fail('one-outcome', `event ${eventId}: unknown outcome ${log.outcome}`);
      const before = tracker.rememberOutcome(eventId, log.outcome);
      if (before !== undefined && before !== log.outcome) fail('one-outcome', `event ${eventId}: the outcome changed from ${before} to ${log.outcome}`);
    }
    if (log.resolution) {
      if (log.outcome !== 'queued') fail('one-resolution', `event ${eventId}: outcome ${log.outcome} carries a resolution (${log.resolution.outcome} by ${log.resolution.runId})`);
      const resolution = `${log.resolution.outcome} by run ${log.resolution.runId}`;
      const before = tracker.rememberResolution(eventId, resolution);
      if (before !== undefined && before !== resolution) fail('one-resolution', `event ${eventId}: the resolution changed from "${before}" to "${resolution}"`);
    }
    if (!options.quiescent) continue;
    if (log.outcome === 'queued' && !log.resolution) fail('none-lost', `event ${eventId} was queued behind run ${log.holderRunId} and is never resolved`);
    if (log.resolution?.outcome === 'followed-up') {
      const run = runs.get(log.resolution.runId);
      if (!run || !run.triggers.some((t) => t.eventId === eventId)) {
        fail('none-lost', `event ${eventId} is resolved as followed up by run ${log.resolution.runId}, which ${run ? 'does not carry it' : 'never ran'}`);
      }
    }
    if (log.outcome === 'started' && log.runId && !runs.has(log.runId)) fail('none-lost', `event ${eventId} started run ${log.runId}, which has no run record`);
  }

  if (options.quiescent) {
    const pending = await local.state.query<PendingData>(KEYS.pendingPk);
    if (pending.length > 0) fail('none-lost', `${pending.length} PENDING item(s) left at rest: ${pending.map((p) => p.data.trigger.eventId).join(', ')}`);
  }
}

async function checkLock(local: LocalRetrain, tracker: InvariantTracker, options: CheckOptions, fail: Fail): Promise<void> {
  const lock = await local.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk);
  const running = [...local.stateMachine.executions.values()].filter((e) => e.status === 'RUNNING');
  const holding = running.filter((e) => {
    const admission = tracker.admissions.get(e.name);
    return admission?.admission.outcome === 'started' && e.states.some((s) => PIPELINE_WORK.has(s) || s === 'Check quiet period');
  });
  for (const execution of holding) {
    const runId = tracker.admissions.get(execution.name)?.runId;
    if (execution.states.at(-1) === 'Finalize') continue;
    if (!lock || lock.data.runId !== runId) {
      fail('one-lock-holder', `execution ${execution.name} runs run ${runId} (in "${execution.states.at(-1)}") without holding the lock (holder: ${lock?.data.runId ?? 'none'})`);
    }
  }

  const dead = options.deadHolderBefore;
  if (dead) {
    const behindDead = tracker.admittedThisStep.filter((a) => a.admission.holderRunId === dead.runId && (a.admission.outcome === 'queued' || a.admission.outcome === 'covered'));
    // A redrive in this step may have revived the holder: queueing behind a live holder is right.
    const status = await local.stateMachine.status(dead.executionArn);
    if (behindDead.length > 0 && status !== 'RUNNING') {
      fail(
        'stale-lock-taken-over',
        `run ${dead.runId}'s execution is ${status}, yet ${behindDead.length} trigger(s) were ${behindDead.map((a) => a.admission.outcome).join('/')} behind it instead of taking the lock over`,
      );
    }
  }

  if (options.quiescent) {
    if (lock) {
      const status = await local.stateMachine.status(lock.data.executionArn);
      if (status !== 'RUNNING') fail('lock-released', `at rest run ${lock.data.runId} still holds the lock (its execution is ${status}${lock.data.closing ? ', lock closing' : ''})`);
    }
    for (const run of (await local.state.query<RunRecord>(KEYS.runPk)).map((i) => i.data)) {
      if (run.status === 'running') fail('lock-released', `at rest run ${run.runId} is still recorded as running (execution ${run.executionArn.split(':').pop()})`);
    }
  }
}

async function checkChampion(local: LocalRetrain, fail: Fail): Promise<void> {
  const champion = await local.champion();
  await local.sagemaker.waitForSettled().catch(() => undefined);
  let endpoint: { EndpointConfigName?: string; EndpointStatus?: string } | undefined;
  try {
    endpoint = await local.sagemaker.describeEndpoint(local.names.endpoint);
  } catch {
    endpoint = undefined;
  }
  if (!champion) {
    // A first deployment that failed leaves a Failed endpoint, which serves nothing.
    if (endpoint && endpoint.EndpointStatus !== 'Failed') {
      fail('champion-serves', `the endpoint serves ${endpoint.EndpointConfigName} (${endpoint.EndpointStatus}) but no champion is recorded`);
    }
    return;
  }
  if (!endpoint) {
    fail('champion-serves', `champion ${champion.runId} is recorded but the endpoint does not exist`);
    return;
  }
  if (endpoint.EndpointConfigName !== champion.endpointConfigName || endpoint.EndpointStatus !== 'InService') {
    fail('champion-serves', `the endpoint serves ${endpoint.EndpointConfigName} (${endpoint.EndpointStatus}); the champion is ${champion.endpointConfigName} (run ${champion.runId})`);
    return;
  }
  const config = await local.sagemaker.describeEndpointConfig(champion.endpointConfigName);
  const modelName = config.ProductionVariants?.[0]?.ModelName;
  if (modelName !== champion.modelName) fail('champion-serves', `endpoint config ${champion.endpointConfigName} serves model ${modelName}; the champion is ${champion.modelName}`);
  const model = await local.sagemaker.describeModel(champion.modelName);
  const bucket = local.env.bucketName;
  for (const uri of [model.PrimaryContainer?.ModelDataUrl, champion.baselineUri, champion.schemaUri]) {
    const key = uri?.startsWith(`s3://${bucket}/`) ? uri.slice(`s3://${bucket}/`.length) : undefined;
    if (!key || !(await local.store.head(key))) fail('champion-artifacts', `champion ${champion.runId}: ${uri ?? '(no URI)'} is not in the bucket`);
  }
}

async function checkUserData(local: LocalRetrain, tracker: InvariantTracker, fail: Fail): Promise<void> {
  const present = new Set<string>();
  for (const prefix of ['raw/', 'ground-truth/']) {
    for await (const info of local.store.list(prefix)) present.add(info.key);
  }
  for (const key of present) if (!tracker.userObjects.has(key)) fail('user-data-unchanged', `${key} appeared under a users' prefix`);
  for (const [key, hash] of tracker.userObjects) {
    if (!present.has(key)) {
      fail('user-data-unchanged', `${key} is gone`);
      continue;
    }
    const now = createHash('sha256').update(readFileSync(join(local.options.root, 'bucket', key))).digest('hex');
    if (now !== hash) fail('user-data-unchanged', `${key} changed (sha256 ${hash.slice(0, 12)}… → ${now.slice(0, 12)}…)`);
  }
}

/** The trigger's event id: a rule's event id, or the execution name when a person started it; none for follow-ups. */
function eventIdOf(execution: ExecutionRecord): string | undefined {
  const input = execution.input as { followUp?: unknown; trigger?: { eventId?: string } } | null;
  if (input?.followUp) return undefined;
  return input?.trigger?.eventId ?? execution.name;
}
