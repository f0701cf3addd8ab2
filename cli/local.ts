/**
 * `retrain local …`: the loop on one machine, no AWS account. The state lives in a directory
 * (default .retrain/); every command opens it, does its work, lets the runs it started finish
 * and closes it. `local up` keeps it open: it serves the endpoint, watches for new files and
 * runs the monitors on their schedule, in real time.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type RetrainConfig } from '../lib/config';
import { keyOfUri } from '../lambdas/core/drift-monitor';
import { encodeModelInput } from '../lambdas/core/encoding';
import { DataValidationError } from '../lambdas/core/errors';
import { checkDataFile } from '../lambdas/core/etl';
import { readChampionSchema } from '../lambdas/core/model-documents';
import { countOutcomes, runDemo, type DemoSummary } from '../local/demo';
import { writeReport } from '../local/report';
import { LocalRetrain } from '../local/runner';
import type { ExecutionRecord } from '../local/state-machine';
import { action, UserError } from './errors';
import { table } from './format';
import { parseNonNegativeInteger, parseTimerSeconds } from './parse';

interface LocalFlags {
  readonly dir: string;
  readonly config: string;
}

export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description('Run retrain on this machine: no AWS account, the same state machine, rules and alarms')
    .option('--dir <path>', 'local state directory', '.retrain')
    .option('--config <path>', 'configuration file', 'retrain.config.json');

  local
    .command('demo')
    .description('The whole loop in about a minute: deploy, drift, degradation, a better model, a burst, a bad file')
    .option('--json', 'print one JSON object instead of the timeline and table')
    .option('--seed <n>', 'seed of the generated data (a non-negative integer)', parseNonNegativeInteger, 7)
    .action(
      action(async (options: { json?: boolean; seed: number }) => {
        const { dir } = local.opts<LocalFlags>();
        const started = Date.now();
        const summary = await runDemo({
          root: resolve(dir, 'demo'),
          seed: options.seed,
          ...(options.json ? {} : { print: (line: string) => console.log(line) }),
        });
        if (options.json) {
          console.log(JSON.stringify(demoJson(summary), null, 2));
          return;
        }
        console.log('');
        console.log(runsTable(summary));
        console.log('');
        console.log(`Triggers: ${Object.entries(summary.triggers).map(([k, v]) => `${v} ${k}`).join(', ')}`);
        console.log(`Report:   ${relative(process.cwd(), summary.report) || summary.report}  (open it in a browser)`);
        console.log(`Took ${((Date.now() - started) / 1000).toFixed(1)} s of real time.`);
      }),
    );

  local
    .command('upload <file>')
    .description('Check a CSV file, copy it into the local bucket under raw/ (the new-data rule starts a run) and wait for the run; exit 1 if it fails')
    .action(
      action(async (file: string) => {
        if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`no such file: ${file}`);
        if (statSync(file).size === 0) throw new UserError(`${file} is empty (0 bytes): nothing uploaded`);
        await withLocal(local.opts<LocalFlags>(), async (l, config) => {
          const key = `${config.dataset.rawPrefix}${basename(file)}`;
          // Every run reads all of raw/: a file that fails as a whole would fail every later run too.
          await checkBeforeUpload(l, config, file);
          const before = new Set(l.stateMachine.executions.keys());
          await l.upload(key, createReadStream(file));
          console.log(`uploaded ${file} → ${key}`);
          await l.settle();
          await reportRuns(l, [...l.stateMachine.executions.values()].filter((e) => !before.has(e.name)));
        });
      }),
    );

  local
    .command('run')
    .description('Start a run by hand, like "Start execution" in the console')
    .option('--reason <text>', 'why, in words')
    .option('--dry-run', 'train and evaluate only')
    .option('--force', 'ignore the cooldown')
    .action(
      action(async (options: { reason?: string; dryRun?: boolean; force?: boolean }) => {
        await withLocal(local.opts<LocalFlags>(), async (l) => {
          const input = { ...(options.reason ? { reason: options.reason } : {}), ...(options.dryRun ? { dryRun: true } : {}), ...(options.force ? { force: true } : {}) };
          const before = new Set(l.stateMachine.executions.keys());
          l.startRun(input);
          await l.settle();
          await reportRuns(l, [...l.stateMachine.executions.values()].filter((e) => !before.has(e.name)));
        });
      }),
    );

  local
    .command('invoke <csv-row>')
    .description('Ask the deployed model: one row of raw feature values in model order (e.g. "41,52000,18,12.5,1,standard,north")')
    .option('--inference-id <id>', 'id to join ground truth with later')
    .action(
      action(async (row: string, options: { inferenceId?: string }) => {
        await withLocal(local.opts<LocalFlags>(), async (l) => {
          const champion = await l.champion();
          if (!champion) throw new UserError('nothing is deployed yet: upload data (retrain local upload <file>) or run the demo first');
          const schema = await readChampionSchema(l.store, keyOfUri(champion.schemaUri), champion.runId);
          const fields = row.split(',');
          if (fields.length !== schema.features.length) {
            throw new UserError(`expected ${schema.features.length} values (${schema.features.map((f) => f.name).join(', ')}), got ${fields.length}`);
          }
          // Encoded exactly as the ETL encodes training rows: a missing category is the same code in both.
          const prediction = await l.invoke(encodeModelInput(schema, fields), options.inferenceId);
          await l.sagemaker.flushCapture();
          console.log(prediction);
        });
      }),
    );

  local
    .command('status')
    .description('The champion, the lock, pending triggers, alarms and the last runs')
    .option('--json', 'print one JSON object')
    .action(
      action(async (options: { json?: boolean }) => {
        await withLocal(local.opts<LocalFlags>(), async (l) => {
          const champion = await l.champion();
          const lock = await l.lock();
          const pending = await l.pending();
          const runs = (await l.runs()).slice(-5).reverse();
          const alarms = l.alarms.alarms.map((a) => ({ name: a.name, state: l.alarms.state(a.name) }));
          const status = { champion: champion ?? null, lock: lock?.data ?? null, pending: pending.length, alarms, runs, triggers: countOutcomes(await l.triggers()) };
          if (options.json) {
            console.log(JSON.stringify(status, null, 2));
            return;
          }
          console.log(champion ? `Champion: run ${champion.runId}, ${champion.metric.name} ${champion.metric.value.toFixed(4)}, since ${champion.since}` : 'Champion: none yet');
          console.log(lock ? `Lock:     run ${lock.data.runId} (since ${lock.data.acquiredAt})` : 'Lock:     free');
          console.log(`Pending:  ${pending.length} trigger(s)`);
          console.log(`Alarms:   ${alarms.map((a) => `${a.name} ${a.state}`).join(', ')}`);
          console.log('');
          console.log(runs.length > 0 ? table(['run', 'trigger', 'outcome', 'candidate', 'champion'], runs.map((r) => [r.runId, r.trigger.type, r.status, num(r.candidateMetric), num(r.championMetric)])) : 'No runs yet.');
        });
      }),
    );

  local
    .command('report')
    .description('Write the HTML report (runs, metrics, drift, quality) and print its path')
    .action(
      action(async () => {
        await withLocal(local.opts<LocalFlags>(), async (l) => {
          console.log(await writeReport(l, { title: `retrain local — ${l.options.config.project.name}` }));
        });
      }),
    );

  local
    .command('reset')
    .description('Delete the local state directory (the local bucket, state table, models); your own files are untouched')
    .action(
      action(async () => {
        const { dir } = local.opts<LocalFlags>();
        const root = resolve(dir);
        if (!existsSync(root)) {
          console.log(`nothing to reset: ${dir} does not exist`);
          return;
        }
        rmSync(root, { recursive: true, force: true });
        console.log(`deleted ${dir}`);
      }),
    );

  local
    .command('up')
    .description('Keep local mode running: serve the endpoint, watch <dir>/raw/ and the local bucket for new files, run the monitors on schedule')
    .option('--poll-seconds <n>', 'how often to look for new files, in seconds', parseTimerSeconds, 2)
    .action(
      action(async (options: { pollSeconds: number }) => {
        const flags = local.opts<LocalFlags>();
        const config = readConfig(flags.config);
        // Real time from now on, never behind the virtual time an earlier command saved.
        const l = await LocalRetrain.open({ root: resolve(flags.dir), config });
        if (l.clock.now() < new Date()) l.clock.set(new Date());
        const dropDir = resolve(flags.dir, 'raw');
        mkdirSync(dropDir, { recursive: true });
        const seen = new Map<string, number>();
        for (const f of listFiles(dropDir)) seen.set(f, statSync(f).mtimeMs);
        console.log(`retrain local is up (project ${config.project.name}). Drop CSV files into ${relative(process.cwd(), dropDir)}/; Ctrl-C stops.`);
        let lastMonitor = Date.now();
        const startedAt = Date.now();
        const bucketSeen = new Map<string, number>();
        const tick = async () => {
          l.timeline.advanceTo(new Date());
          for (const file of listFiles(dropDir)) {
            const mtime = statSync(file).mtimeMs;
            if (seen.get(file) === mtime) continue;
            seen.set(file, mtime);
            const key = `${config.dataset.rawPrefix}${relative(dropDir, file).split('\\').join('/')}`;
            await l.upload(key, readFileSync(file));
            const uploaded = await l.store.head(key);
            if (uploaded) bucketSeen.set(key, uploaded.lastModified.getTime()); // announced by the upload itself
            console.log(`${new Date().toISOString()}  ${relative(process.cwd(), file)} → ${key}`);
          }
          // Files put straight into the local bucket (not through retrain) are new data too.
          for await (const object of l.store.list(config.dataset.rawPrefix)) {
            const stamp = object.lastModified.getTime();
            if (bucketSeen.get(object.key) === stamp) continue;
            bucketSeen.set(object.key, stamp);
            if (stamp < startedAt) continue; // there before `up` started
            await l.announce(object.key);
            console.log(`${new Date().toISOString()}  new object ${object.key}`);
          }
          if (Date.now() - lastMonitor >= 3_600_000) {
            lastMonitor = Date.now();
            await l.runMonitors();
            await l.evaluateAlarms();
          }
        };
        const timer = setInterval(() => void tick().catch((e: unknown) => console.error(`retrain: ${String(e)}`)), options.pollSeconds * 1000);
        process.once('SIGINT', () => {
          clearInterval(timer);
          void l.close().then(() => process.exit(0));
        });
      }),
    );
}

async function withLocal(flags: LocalFlags, work: (local: LocalRetrain, config: RetrainConfig) => Promise<void>): Promise<void> {
  const config = readConfig(flags.config);
  const l = await LocalRetrain.open({ root: resolve(flags.dir), config });
  try {
    await work(l, config);
  } finally {
    await l.close();
  }
}

function readConfig(path: string): RetrainConfig {
  if (!existsSync(path)) throw new UserError(`no configuration file ${path} (run from the repository root, or pass --config)`);
  return loadConfig(path);
}

/** Refuses a file the ETL could not read as a whole (see checkDataFile), before it is in the bucket. */
async function checkBeforeUpload(l: LocalRetrain, config: RetrainConfig, file: string): Promise<void> {
  const champion = await l.champion();
  const schema = champion ? await readChampionSchema(l.store, keyOfUri(champion.schemaUri), champion.runId) : undefined;
  try {
    await checkDataFile(createReadStream(file), file, config.dataset, schema);
  } catch (error) {
    if (error instanceof DataValidationError) throw new UserError(`${error.message}; nothing uploaded`);
    throw error;
  }
}

/**
 * What the executions this command started did: the run each one holds (found by its
 * execution, not as "the last run": run ids sort by their start second, then by a hash), or
 * what admission decided. A failed run is the command's error (exit code 1).
 */
async function reportRuns(l: LocalRetrain, executions: readonly ExecutionRecord[]): Promise<void> {
  const runs = await l.runs();
  const failures: string[] = [];
  for (const execution of executions) {
    const run = runs.find((r) => r.executionArn === execution.arn);
    const admission = (execution.output as { admission?: { outcome: string; reason: string } } | undefined)?.admission;
    if (execution.status === 'FAILED' && run?.status !== 'failed') {
      failures.push(`${run ? `run ${run.runId}` : `execution ${execution.name}`} failed: ${execution.cause ?? execution.error ?? 'no cause recorded'}`);
    } else if (run) {
      const line = `run ${run.runId} (${run.trigger.type}) → ${run.status}${run.cause ? `: ${run.cause}` : ''}`;
      if (run.status === 'failed') failures.push(line);
      else console.log(line);
    } else if (admission) {
      console.log(`trigger ${admission.outcome}: ${admission.reason}`);
    }
  }
  if (failures.length > 0) throw new UserError(failures.join('; '));
}

function runsTable(summary: DemoSummary): string {
  return table(
    ['run', 'trigger', 'outcome', 'candidate', 'champion', 'duration'],
    summary.runs.map((r) => [r.runId, r.trigger, r.outcome, num(r.candidateMetric), num(r.championMetric), `${r.durationSeconds} s`]),
  );
}

/** The `--json` summary of the demo. */
export function demoJson(summary: DemoSummary): Record<string, unknown> {
  return {
    runs: summary.runs.map((r) => ({
      runId: r.runId,
      trigger: r.trigger,
      outcome: r.outcome,
      candidateMetric: r.candidateMetric,
      championMetric: r.championMetric,
      deployed: r.deployed,
    })),
    triggers: summary.triggers,
    report: summary.report,
  };
}

function num(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(4);
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
