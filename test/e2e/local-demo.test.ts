/**
 * `retrain local demo` end to end: the six steps of the continuous-training loop on one machine,
 * each asserted on what it is there to show. This is the deliberately heavy e2e file: one demo,
 * every test reads its result. It runs small: 1,000 initial rows, 100 requests per virtual hour
 * (the monitors' minimum window, so minLabeledRows comes down from the demo's 200 to 100; the
 * drift and the degradation stay far past their thresholds) and E2E_CONFIG's small training.
 * The rest (step 4's 8,000 new rows, the burst) is fixed by the demo.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoJson } from '../../cli/local';
import { KEYS, type TriggerLogData } from '../../lambdas/core/admission';
import { runDemo, type DemoRun, type DemoStep, type DemoSummary } from '../../local/demo';
import { createFileStateStore } from '../../local/file-state-store';
import { ASSEMBLY_CACHE, E2E_CONFIG } from '../helpers/local';

describe('local demo: each step shows its point', () => {
  let root: string;
  let summary: DemoSummary;
  /** The trigger log the demo left in its state table. */
  let triggerLog: TriggerLogData[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'retrain-demo-'));
    summary = await runDemo({
      root,
      initialRows: 1000,
      trafficPerHour: 100,
      config: { training: E2E_CONFIG.training, monitoring: { minLabeledRows: 100 } },
      assemblyCache: ASSEMBLY_CACHE,
    });
    const { now } = JSON.parse(readFileSync(join(root, 'clock.json'), 'utf8')) as { now: string };
    const state = createFileStateStore(join(root, 'state.json'), { clock: { now: () => new Date(now) } });
    triggerLog = (await state.query<TriggerLogData>(KEYS.triggerPk)).map((i) => i.data);
  }, 120_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const step = (n: number): DemoStep => {
    const found = summary.steps.find((s) => s.step === n);
    if (!found) throw new Error(`the demo has no step ${n}`);
    return found;
  };
  /** The one run a step started. */
  const runOfStep = (n: number): DemoRun => {
    const { runIds } = step(n);
    expect(runIds).toHaveLength(1);
    const run = summary.runs.find((r) => r.runId === runIds[0]);
    if (!run) throw new Error(`run ${runIds[0]} of step ${n} is not in the summary`);
    return run;
  };
  const answeredBy = (runId: string) => triggerLog.filter((t) => t.runId === runId || t.resolution?.runId === runId);

  it('step 1: the initial upload (two files) deploys the first champion in one run', () => {
    const run = runOfStep(1);

    expect(run).toMatchObject({ trigger: 'new-data', outcome: 'deployed', deployed: true, championMetric: null });
    expect(step(1).championRunId).toBe(run.runId);
    expect(answeredBy(run.runId).map((t) => t.resolution?.outcome ?? t.outcome).sort()).toEqual(['covered', 'started']);
  });

  it('step 2: normal traffic shows no drift, starts no run and keeps the champion', () => {
    expect(step(2).runIds).toEqual([]);
    expect(step(2).result).toBe('drift per window: OK (0% drifted), OK (0% drifted), OK (0% drifted)');
    expect(step(2).championRunId).toBe(step(1).championRunId);
  });

  it('step 3: shifted traffic raises the drift alarm; its run on unchanged data is rejected', () => {
    const run = runOfStep(3);

    expect(step(3).result).toMatch(/^drift per window: DRIFT/);
    expect(run).toMatchObject({ trigger: 'drift', outcome: 'rejected', deployed: false });
    expect(run.candidateMetric).toBe(run.championMetric);
    expect(step(3).championRunId).toBe(step(1).championRunId);
  });

  it('step 4: one run answers the degradation alarm and the new labelled data, and deploys a better model', () => {
    const run = runOfStep(4);

    expect(run).toMatchObject({ outcome: 'deployed', deployed: true });
    expect(run.candidateMetric!).toBeGreaterThan(run.championMetric! + 0.005);
    expect(step(4).championRunId).toBe(run.runId);
    expect([...new Set(answeredBy(run.runId).map((t) => t.trigger.type))].sort()).toEqual(['degradation', 'new-data']);
  });

  it('step 5: a burst of 50 uploads starts one run; the other 49 triggers are covered by its snapshot', () => {
    const run = runOfStep(5);
    const burst = triggerLog.filter((t) => String(t.trigger.detail.key ?? '').includes('/burst/'));

    expect(run.trigger).toBe('new-data');
    expect(burst).toHaveLength(50);
    expect(burst.filter((t) => t.outcome === 'started')).toEqual([expect.objectContaining({ runId: run.runId })]);
    const covered = burst.filter((t) => t.outcome === 'queued' && t.resolution?.outcome === 'covered' && t.resolution.runId === run.runId);
    expect(covered).toHaveLength(49);
    // The outcomes are listed in trigger-log order (by random event id): either order is fine.
    expect(step(5).result).toMatch(/^1 run\(s\) for 50 uploads: (49 covered, 1 started|1 started, 49 covered)$/);
  });

  it('step 6: a malformed file fails its run with a clear cause; the rejected rows are quarantined with file, line and reason', () => {
    const run = runOfStep(6);
    const quarantineKey = `quarantine/${run.runId}/rejected.jsonl`;
    const rejected = readFileSync(join(root, 'bucket', quarantineKey), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { file: string; line: number; reason: string; fields: string[] });

    expect(run).toMatchObject({ outcome: 'failed', deployed: false });
    expect(run.reason).toMatch(/^Prepare data failed: 305 of \d+ rows \(.*\) were rejected, more than the allowed 1% \(maxQuarantineShare\)/);
    expect(run.reason).toContain(quarantineKey);
    expect(step(6).championRunId).toBe(step(5).championRunId);
    expect(rejected).toHaveLength(305);
    expect(new Set(rejected.map((r) => r.file))).toEqual(new Set(['raw/2026-01-06/export-broken.csv']));
    expect(new Set(rejected.map((r) => r.line)).size).toBe(305);
    const reasons = new Map<string, number>();
    for (const r of rejected) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    expect(Object.fromEntries(reasons)).toEqual({
      'feature "income" is not a finite number: "n/a"': 301,
      'expected 9 fields, got 5': 1,
      'expected 9 fields, got 10': 1,
      'target "label" must be 0 or 1, got "yes"': 1,
      'feature "age" is not a finite number: "forty"': 1,
    });
  });

  it('writes a report file that mentions every run', () => {
    expect(existsSync(summary.report)).toBe(true);
    const html = readFileSync(summary.report, 'utf8');
    expect(summary.runs).toHaveLength(5);
    for (const run of summary.runs) expect(html).toContain(run.runId);
  });

  it('counts every trigger in exactly one outcome: five started runs, 51 covered triggers', () => {
    // Covered: the second initial file (step 1), the degradation alarm that arrived during the
    // new-data run's quiet period (step 4), and 49 of the burst (step 5).
    expect(summary.triggers).toEqual({ started: 5, covered: 51 });
    expect(triggerLog).toHaveLength(56);
  });

  it('prints the --json summary: the runs, the trigger outcomes and the report path', () => {
    const json = JSON.parse(JSON.stringify(demoJson(summary))) as Record<string, unknown>;

    expect(Object.keys(json).sort()).toEqual(['report', 'runs', 'triggers']);
    expect(json.report).toBe(summary.report);
    expect(json.triggers).toEqual(summary.triggers);
    expect(json.runs).toEqual(
      summary.runs.map((r) => ({
        runId: r.runId,
        trigger: r.trigger,
        outcome: r.outcome,
        candidateMetric: r.candidateMetric,
        championMetric: r.championMetric,
        deployed: r.deployed,
      })),
    );
  });
});
