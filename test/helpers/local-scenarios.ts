/**
 * Arrange steps and read-backs shared by the end-to-end tests of local mode (test/e2e/).
 *
 * Configurations: local mode synthesizes the template once per distinct configuration (a few
 * seconds), so the e2e files share two — SCENARIO_CONFIG and APPROVAL_CONFIG — on top of
 * E2E_CONFIG (test/helpers/local.ts). Both set a one-day lookback: a run reads only the files
 * uploaded in the last day, so a scenario chooses exactly what the next candidate trains on by
 * starting a new day (`startNewDay`) before it uploads.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../lambdas/core/admission';
import { configHash, loadConfig, type RetrainConfigInput } from '../../lib/config';
import type { FileEvent } from '../../local/file-events';
import type { LocalRetrain } from '../../local/runner';
import type { ExecutionRecord } from '../../local/state-machine';
import { openLocal } from './local';
import { s3ObjectCreated, type AwsEvent } from './sample-events';

/** What the pipeline, trigger and CLI scenarios run: E2E_CONFIG with a one-day lookback. */
export const SCENARIO_CONFIG: RetrainConfigInput = { dataset: { lookbackDays: 1 } };

/** The approval scenarios: the same, with a person approving every package that passed the gate. */
export const APPROVAL_CONFIG: RetrainConfigInput = { dataset: { lookbackDays: 1 }, deployment: { manualApproval: true } };

/**
 * Lets every execution finish — a wait for approval times out on virtual time — then closes local
 * mode and removes its directory. An execution left waiting keeps the process alive:
 * aws-local-stepfunctions arms a real timer for every Task state (the state's TimeoutSeconds,
 * else 60 s), cleared only when the task ends.
 */
export async function finishAndClose(local: LocalRetrain): Promise<void> {
  try {
    await local.settle({ stopAtApproval: false, maxRealMs: 60_000 });
  } finally {
    await local.close();
    rmSync(local.options.root, { recursive: true, force: true });
  }
}

/**
 * Local mode on SCENARIO_CONFIG where a test schedules work for the moment the next Train task
 * starts (the run is past its data snapshot then): `duringNextTraining(async () => …)`.
 */
export async function openWithTrainingHook(): Promise<{ local: LocalRetrain; duringNextTraining(work: () => Promise<void>): void }> {
  let next: (() => Promise<void>) | undefined;
  const { local } = await openLocal(SCENARIO_CONFIG, {
    beforeTask: async (state) => {
      if (state !== 'Train' || !next) return;
      const work = next;
      next = undefined;
      await work();
    },
  });
  return { local, duringNextTraining: (work) => (next = work) };
}

/** Moves virtual time past the lookback window: the next run sees only files uploaded from now on. */
export function startNewDay(local: LocalRetrain): void {
  local.advance(2 * 86_400);
}

/**
 * The one run started since `before` (an earlier `local.runs()`); fails when there is not exactly
 * one. Run ids sort by their start second, then by a hash, so "the last run" is not a safe way to find it.
 */
export async function newRun(local: LocalRetrain, before: readonly RunRecord[]): Promise<RunRecord> {
  const runs = await runsSince(local, before);
  if (runs.length !== 1) throw new Error(`expected one new run, found ${runs.length}: ${runs.map((r) => r.runId).join(', ')}`);
  return runs[0];
}

/** Runs whose ids are not in `before` (an earlier `local.runs()`). */
export async function runsSince(local: LocalRetrain, before: readonly RunRecord[]): Promise<RunRecord[]> {
  const known = new Set(before.map((r) => r.runId));
  return (await local.runs()).filter((r) => !known.has(r.runId));
}

/** The run an execution holds (the run record names its execution). */
export async function runOf(local: LocalRetrain, execution: ExecutionRecord): Promise<RunRecord> {
  const run = (await local.runs()).find((r) => r.executionArn === execution.arn);
  if (!run) throw new Error(`execution ${execution.name} holds no run (${execution.status})`);
  return run;
}

/**
 * retrain's own events (what Finalize published) from here on:
 * `const events = await eventsFrom(local); …act…; expect(await events.detailTypes()).toEqual([...])`.
 */
export async function eventsFrom(local: LocalRetrain): Promise<{ all(): Promise<FileEvent[]>; detailTypes(): Promise<string[]> }> {
  const seen = (await local.events.read()).length;
  const all = async () => (await local.events.read()).slice(seen);
  return { all, detailTypes: async () => (await all()).map((e) => e.detailType) };
}

/** The endpoint config the endpoint serves right now. */
export async function servingConfig(local: LocalRetrain): Promise<string | undefined> {
  await local.sagemaker.waitForSettled();
  return (await local.sagemaker.describeEndpoint(local.names.endpoint)).EndpointConfigName;
}

/** One row of model input (raw numbers, categories as their code) for `local.invoke`. */
export const MODEL_INPUT_ROW = '42,52000,24,18.5,1,0,0';

/** An error with a given name, as an SDK or a Lambda throws it (Step Functions retries match on the name). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Executions whose input satisfies the predicate, in start order. */
export function executionsWhere(local: LocalRetrain, predicate: (input: Record<string, unknown>) => boolean): ExecutionRecord[] {
  return [...local.stateMachine.executions.values()].filter((e) => predicate((e.input ?? {}) as Record<string, unknown>));
}

/** The execution that is running now; fails when there is not exactly one. */
export function runningExecution(local: LocalRetrain): ExecutionRecord {
  const running = [...local.stateMachine.executions.values()].filter((e) => e.status === 'RUNNING');
  if (running.length !== 1) throw new Error(`expected one running execution, found ${running.length}`);
  return running[0];
}

/** What Admit decided for an execution that did not start a run (its output is the admission result). */
export function admissionOf(execution: ExecutionRecord): { outcome: string; reason: string } | undefined {
  return (execution.output as { admission?: { outcome: string; reason: string } } | undefined)?.admission;
}

/** S3's "Object Created" event for the local data bucket, with a chosen EventBridge id (a redelivery repeats it). */
export function objectCreatedEvent(local: LocalRetrain, key: string, id: string): AwsEvent {
  return s3ObjectCreated({
    bucket: local.env.bucketName,
    key,
    id,
    time: local.clock.now().toISOString(),
    account: local.env.account,
    region: local.env.region,
  });
}

/**
 * The monitors' verdicts for the last two hourly windows, as they publish them: `DriftDetected` or
 * `QualityDegraded` = 1 (the alarms want 2 breaching windows of 3). Then the alarms are evaluated,
 * so an alarm goes into ALARM and its trigger rule fires.
 */
export async function monitorsReport(local: LocalRetrain, metricNames: ReadonlyArray<'DriftDetected' | 'QualityDegraded'>) {
  const now = local.clock.now().getTime();
  const dimensions = { Project: local.options.config.project.name };
  await local.metrics.put(
    metricNames.flatMap((name) =>
      [60, 3_660].map((secondsAgo) => ({ name, value: 1, unit: 'None' as const, dimensions, timestamp: new Date(now - secondsAgo * 1000) })),
    ),
  );
  return local.evaluateAlarms();
}

/**
 * A directory prepared the way `retrain local` leaves it after a first command: the configuration
 * file (retrain.config.json) and, unless `cacheTemplate` is false, the synthesized template where
 * local mode caches it (.retrain/cdk.out/<hash>/), so commands run there do not synthesize again.
 */
export function prepareCliDirectory(
  dir: string,
  local: LocalRetrain,
  options: { cacheTemplate?: boolean } = {},
): { configPath: string; stateDir: string } {
  const config = local.options.config;
  const configPath = join(dir, 'retrain.config.json');
  // The gate's metric and direction are derived (E2E_CONFIG leaves them out); written out, they
  // would come first in the parsed evaluation section and change the configuration's hash.
  const { metric: _metric, direction: _direction, ...evaluation } = config.evaluation;
  writeFileSync(configPath, `${JSON.stringify({ ...config, evaluation }, null, 2)}\n`);
  if (configHash(loadConfig(configPath)) !== configHash(config)) {
    throw new Error(`${configPath} does not read back as the configuration of ${local.options.root} (the hashes differ)`);
  }
  const stateDir = join(dir, '.retrain');
  if (options.cacheTemplate ?? true) {
    const cached = join(stateDir, 'cdk.out', configHash(config));
    mkdirSync(cached, { recursive: true });
    writeFileSync(join(cached, `${local.assembly.stackName}.template.json`), JSON.stringify(local.assembly.template));
  }
  return { configPath, stateDir };
}
