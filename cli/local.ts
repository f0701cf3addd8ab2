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
import { parseModelSchema, readDocument } from '../lambdas/core/drift-monitor';
import { countOutcomes, runDemo, type DemoSummary } from '../local/demo';
import { writeReport } from '../local/report';
import { LocalRetrain } from '../local/runner';
import { action, UserError } from './errors';
import { table } from './format';

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
    .option('--seed <n>', 'seed of the generated data', '7')
    .action(
      action(async (options: { json?: boolean; seed: string }) => {
        const { dir } = local.opts<LocalFlags>();
        const started = Date.now();
        const summary = await runDemo({
          root: resolve(dir, 'demo'),
          seed: Number(options.seed),
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
    .description('Copy a CSV file into the local bucket under raw/ (the new-data rule starts a run) and wait for it')
    .action(
      action(async (file: string) => {
        if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`no such file: ${file}`);
        await withLocal(local.opts<LocalFlags>(), async (l, config) => {
          const key = `${config.dataset.rawPrefix}${basename(file)}`;
          await l.upload(key, createReadStream(file));
          console.log(`uploaded ${file} → ${key}`);
          await l.settle();
          await printLastRun(l);
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
          const execution = l.startRun(input);
          await l.settle();
          const output = execution.output as { outcome?: string; admission?: { outcome: string; reason: string } } | undefined;
          if (execution.status === 'FAILED') throw new UserError(`run failed: ${execution.cause ?? execution.error}`);
          if (output?.admission && !output.outcome) console.log(`trigger ${output.admission.outcome}: ${output.admission.reason}`);
          await printLastRun(l);
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
          const schema = parseModelSchema(await readDocument(l.store, champion.schemaUri), champion.schemaUri);
          const fields = row.split(',').map((f) => f.trim());
          if (fields.length !== schema.features.length) {
            throw new UserError(`expected ${schema.features.length} values (${schema.features.map((f) => f.name).join(', ')}), got ${fields.length}`);
          }
          const encoded = fields.map((value, i) => {
            const feature = schema.features[i];
            if (feature.kind === 'numeric') {
              if (value !== '' && !Number.isFinite(Number(value))) throw new UserError(`${feature.name}: expected a number, got "${value}"`);
              return value;
            }
            return value === '' ? '' : String(feature.categories.indexOf(value));
          });
          const prediction = await l.invoke(encoded.join(','), options.inferenceId);
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
    .option('--poll-seconds <n>', 'how often to look for new files', '2')
    .action(
      action(async (options: { pollSeconds: string }) => {
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
        const timer = setInterval(() => void tick().catch((e: unknown) => console.error(`retrain: ${String(e)}`)), Number(options.pollSeconds) * 1000);
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

async function printLastRun(l: LocalRetrain): Promise<void> {
  const runs = await l.runs();
  const run = runs[runs.length - 1];
  if (!run) return;
  console.log(`run ${run.runId} (${run.trigger.type}) → ${run.status}: ${run.cause ?? ''}`);
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
