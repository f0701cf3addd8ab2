/**
 * `retrain local demo`: the whole continuous-training loop on one machine, deterministic for a
 * seed, in about a minute of real time (hours of virtual time).
 *
 *   1. initial upload               → run 1 deploys the first champion
 *   2. normal traffic               → the drift monitor finds no drift
 *   3. shifted traffic              → drift alarm → run 2 on the same data → not better → Rejected
 *   4. shifted, labelled world      → degradation alarm + new data → one run → better → deployed
 *   5. a burst of 50 uploads        → exactly one run
 *   6. a malformed file             → rows quarantined, run fails with a clear cause, champion stays
 */
import { rmSync } from 'node:fs';
import { mergeConfigInput, parseConfig, type RetrainConfig, type RetrainConfigInput } from '../lib/config';
import type { RunRecord, TriggerLogData } from '../lambdas/core/admission';
import { DataGenerator, groundTruthJsonl, rowToCsv, toModelInput, type Shift } from './data-generator';
import { writeReport } from './report';
import { LocalRetrain, type Activity } from './runner';
import type { ModelSchema } from '../lambdas/core/types';
import { parseModelSchema, readDocument } from '../lambdas/core/drift-monitor';

/** The demo's own configuration: the defaults, tuned so each step shows its point quickly. */
export const DEMO_CONFIG: RetrainConfigInput = {
  project: { name: 'demo' },
  dataset: { idColumn: 'id', categoricalFeatures: ['plan', 'region'], problemType: 'binary', targetColumn: 'label' },
  evaluation: { metric: 'auc', minImprovement: 0.005 },
  triggers: { cooldownMinutes: 60, newData: { quietPeriodSeconds: 120, maxWaitSeconds: 1800 }, drift: { minRows: 100 } },
  monitoring: { minLabeledRows: 200 },
};

export interface DemoOptions {
  /** Local state directory (wiped first). */
  readonly root: string;
  /** @default 7 */
  readonly seed?: number;
  /** Rows of the initial upload. @default 4000 */
  readonly initialRows?: number;
  /** Requests per virtual hour of traffic. @default 300 */
  readonly trafficPerHour?: number;
  /** Receives the live timeline, line by line. @default - nothing printed */
  readonly print?: (line: string) => void;
  /** Configuration overrides on top of DEMO_CONFIG. @default - none */
  readonly config?: RetrainConfigInput;
  /** Where synthesized templates are cached. @default - inside root (the demo wipes it) */
  readonly assemblyCache?: string;
}

export interface DemoRun {
  readonly runId: string;
  readonly trigger: string;
  readonly outcome: string;
  readonly candidateMetric: number | null;
  readonly championMetric: number | null;
  readonly deployed: boolean;
  readonly durationSeconds: number;
  readonly reason: string;
}

export interface DemoStep {
  readonly step: number;
  readonly title: string;
  /** What happened, in words. */
  readonly result: string;
  /** Runs that started in this step. */
  readonly runIds: string[];
  /** The champion's run id after the step. */
  readonly championRunId: string | null;
}

export interface DemoSummary {
  readonly runs: DemoRun[];
  readonly triggers: Record<string, number>;
  readonly steps: DemoStep[];
  readonly report: string;
}

const COVARIATE_SHIFT: Shift = { numeric: { usage_hours: 1.5, income: 1.2, support_calls: 1 }, categories: { plan: { basic: 0.2, standard: 0.3, premium: 0.5 } } };

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const seed = options.seed ?? 7;
  const print = options.print ?? (() => undefined);
  rmSync(options.root, { recursive: true, force: true });
  const config: RetrainConfig = parseConfig(mergeConfigInput(DEMO_CONFIG, options.config ?? {}), 'demo configuration');
  const local = await LocalRetrain.open({
    root: options.root,
    config,
    start: new Date('2026-01-05T08:00:00.000Z'),
    ...(options.assemblyCache ? { assemblyCache: options.assemblyCache } : {}),
    onActivity: (a) => narrate(a, print),
  });
  const steps: DemoStep[] = [];
  const perHour = options.trafficPerHour ?? 300;
  try {
    const step = async (n: number, title: string, body: () => Promise<string>) => {
      print('');
      print(`── ${n}. ${title}`);
      const before = new Set((await local.runs()).map((r) => r.runId));
      const result = await body();
      const after = await local.runs();
      const champion = await local.champion();
      steps.push({ step: n, title, result, runIds: after.filter((r) => !before.has(r.runId)).map((r) => r.runId), championRunId: champion?.runId ?? null });
      print(`   ${result}`);
    };

    const original = new DataGenerator({ seed });
    await step(1, 'Initial upload: two CSV files land under raw/', async () => {
      const rows = options.initialRows ?? 4000;
      await local.upload('raw/2026-01-05/customers-a.csv', original.csv(Math.floor(rows / 2)));
      await local.upload('raw/2026-01-05/customers-b.csv', original.csv(rows - Math.floor(rows / 2)));
      await local.settle();
      const champion = await local.champion();
      return champion ? `first champion: run ${champion.runId} (${champion.metric.name} ${champion.metric.value.toFixed(4)})` : 'no champion was deployed';
    });

    await step(2, 'Normal traffic for three hours: the drift monitor watches', async () => {
      const results: string[] = [];
      for (let hour = 0; hour < 3; hour++) {
        local.advance(3600);
        await sendTraffic(local, new DataGenerator({ seed: seed * 100 + hour }), perHour, true);
        results.push(await monitorHour(local));
      }
      return `drift per window: ${results.join(', ')}`;
    });

    await step(3, 'The live feature distribution shifts (income, usage, plan)', async () => {
      const results: string[] = [];
      for (let hour = 0; hour < 3; hour++) {
        local.advance(3600);
        await sendTraffic(local, new DataGenerator({ seed: seed * 200 + hour, shift: COVARIATE_SHIFT }), perHour, false);
        results.push(await monitorHour(local));
        await local.settle();
      }
      const run = await lastRun(local);
      return `drift per window: ${results.join(', ')}; run ${run?.runId} (${run?.trigger.type}) → ${run?.status}: ${run?.cause}`;
    });

    await step(4, 'The world changes: shifted traffic with outcomes, and new labelled data', async () => {
      const shifted: Shift = { ...COVARIATE_SHIFT, concept: 1 };
      for (let hour = 0; hour < 2; hour++) {
        local.advance(3600);
        await sendTraffic(local, new DataGenerator({ seed: seed * 300 + hour, shift: shifted }), perHour, true);
        await local.runMonitors();
      }
      local.advance(3600);
      await sendTraffic(local, new DataGenerator({ seed: seed * 300 + 9, shift: shifted }), perHour, true);
      // New labelled data from the changed world lands, then the quality alarm fires while
      // the new-data run is still waiting for its quiet period: admission merges them.
      await local.upload('raw/2026-01-05/customers-shifted.csv', new DataGenerator({ seed: seed * 400, shift: shifted }).csv(8000));
      await local.settle({ advanceTime: false });
      await local.runMonitors();
      const changes = await local.evaluateAlarms();
      await local.settle();
      const run = await lastRun(local);
      const alarms = changes.map((c) => `${c.alarm} ${c.from} → ${c.to}`).join(', ') || 'no alarm change';
      const answered = (await local.triggers()).filter((t) => t.runId === run?.runId || t.resolution?.runId === run?.runId).map((t) => t.trigger.type);
      return `${alarms}; run ${run?.runId} answers ${[...new Set(answered)].join(' + ')} → ${run?.status}: ${run?.cause}`;
    });

    await step(5, 'A burst of 50 uploads within a minute', async () => {
      local.advance(2 * 3600);
      const burst = new DataGenerator({ seed: seed * 500, shift: { ...COVARIATE_SHIFT, concept: 1 } });
      for (let i = 0; i < 50; i++) {
        await local.upload(`raw/2026-01-05/burst/part-${String(i).padStart(3, '0')}.csv`, burst.csv(40));
        local.advance(1);
      }
      await local.settle();
      const runs = (await local.runs()).filter((r) => r.triggers.some((t) => String(t.detail.key ?? '').includes('/burst/')));
      const logs = await local.triggers();
      const burstLogs = logs.filter((t) => String(t.trigger.detail.key ?? '').includes('/burst/'));
      return `${runs.length} run(s) for 50 uploads: ${summarizeOutcomes(burstLogs)}`;
    });

    await step(6, 'A malformed file arrives', async () => {
      local.advance(3600);
      const bad = new DataGenerator({ seed: seed * 600 });
      const broken = bad.malformedCsv(200).csv + bad.rows(300).map((r) => rowToCsv(r).split(',').map((f, i) => (i === 2 ? 'n/a' : f)).join(',')).join('\n') + '\n';
      await local.upload('raw/2026-01-06/export-broken.csv', broken);
      await local.settle();
      const run = await lastRun(local);
      return `run ${run?.runId} → ${run?.status}: ${run?.cause}`;
    });

    const report = await writeReport(local, { title: 'retrain local demo' });
    const summary: DemoSummary = { runs: (await local.runs()).map(toDemoRun), triggers: countOutcomes(await local.triggers()), steps, report };
    return summary;
  } finally {
    await local.close();
  }
}

/** One virtual hour of traffic: single-row requests with inference ids, optionally with ground truth. */
async function sendTraffic(local: LocalRetrain, generator: DataGenerator, count: number, withLabels: boolean): Promise<void> {
  const champion = await local.champion();
  if (!champion) throw new Error('no champion to send traffic to');
  const schema: ModelSchema = parseModelSchema(await readDocument(local.store, champion.schemaUri), champion.schemaUri);
  const traffic = generator.traffic(count);
  for (const t of traffic) await local.invoke(toModelInput(t.row, schema), t.inferenceId);
  await local.sagemaker.flushCapture();
  if (withLabels) {
    const at = local.clock.now().toISOString().replace(/[:.]/g, '-');
    await local.upload(`ground-truth/${at}.jsonl`, groundTruthJsonl(traffic));
  }
}

async function monitorHour(local: LocalRetrain): Promise<string> {
  await local.runMonitors();
  await local.evaluateAlarms();
  const reports = [];
  for await (const o of local.store.list('monitoring/drift/')) reports.push(o.key);
  const last = reports.sort().pop();
  if (!last) return 'no report';
  const report = JSON.parse(await readDocument(local.store, `s3://${local.env.bucketName}/${last}`)) as {
    status: string;
    driftedShare: number;
  };
  return `${report.status} (${(report.driftedShare * 100).toFixed(0)}% drifted)`;
}

async function lastRun(local: LocalRetrain): Promise<RunRecord | undefined> {
  const runs = await local.runs();
  return runs[runs.length - 1];
}

function toDemoRun(r: RunRecord): DemoRun {
  return {
    runId: r.runId,
    trigger: r.trigger.type,
    outcome: r.status,
    candidateMetric: r.candidateMetric ?? null,
    championMetric: r.championMetric ?? null,
    deployed: r.status === 'deployed',
    durationSeconds: r.endedAt ? Math.round((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000) : 0,
    reason: r.cause ?? '',
  };
}

/** Trigger outcomes: what each execution decided, plus what queued ones were resolved to. */
export function countOutcomes(logs: readonly TriggerLogData[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const log of logs) {
    const outcome = log.resolution?.outcome === 'covered' || log.resolution?.outcome === 'cooldown' ? log.resolution.outcome : (log.outcome ?? 'pending');
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

function summarizeOutcomes(logs: readonly TriggerLogData[]): string {
  return Object.entries(countOutcomes(logs))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

/** Prints the timeline: states that do the work, runs' ends, alarms; queued/covered triggers are summed per step. */
function narrate(activity: Activity, print: (line: string) => void): void {
  const t = activity.time.toISOString().slice(5, 16).replace('T', ' ');
  switch (activity.kind) {
    case 'state':
      if (NARRATED_STATES.has(activity.state)) print(`   ${t}  ${activity.execution.slice(0, 8)}  ${activity.state}`);
      break;
    case 'execution-end': {
      const output = activity.execution.output as { outcome?: string; runId?: string; reason?: string; admission?: { outcome: string; reason: string } } | undefined;
      if (output?.admission && !output.outcome) {
        if (output.admission.outcome !== 'queued' && output.admission.outcome !== 'covered') {
          print(`   ${t}  trigger ${output.admission.outcome}: ${output.admission.reason}`);
        }
      } else if (output?.outcome) print(`   ${t}  ${activity.execution.name.slice(0, 8)}  run ${output.runId} ${output.outcome}`);
      else print(`   ${t}  ${activity.execution.name.slice(0, 8)}  ${activity.execution.status}: ${activity.execution.cause ?? ''}`);
      break;
    }
    case 'alarm':
      print(`   ${t}  alarm ${activity.change.alarm}: ${activity.change.from} → ${activity.change.to}`);
      break;
    default:
      break;
  }
}

const NARRATED_STATES = new Set(['Prepare data', 'Train', 'Evaluate', 'Register', 'Deploy', 'Promote champion', 'Finalize']);
