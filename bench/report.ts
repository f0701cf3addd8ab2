/**
 * The results of a run (bench/results.json) and how they read: Markdown tables (printed, and the
 * generated part of bench/PERFORMANCE.md) and the check of each target.
 */
import type { BundlesResult } from './bundles';
import { FULL_VCPU_MB } from './cost';
import type { CostReport } from './cost-report';
import type { DevLoopResult } from './devloop';
import type { DriftResult } from './drift';
import type { EtlResult } from './etl';
import type { EvaluateResult } from './evaluate';
import type { LocalRunResult } from './local-run';
import { MIB } from './measure';

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly cpus: string;
    readonly memoryGb: number;
    /** 1-minute load average when the run started (other work on the machine slows every case alike). */
    readonly loadAverage: number;
  };
  readonly options: { readonly sizesMb: number[]; readonly driftRows: number[]; readonly withTests: boolean; readonly skipped: string[] };
  readonly etl?: EtlResult;
  readonly drift?: DriftResult;
  readonly evaluate?: EvaluateResult;
  readonly bundles?: BundlesResult;
  readonly local?: LocalRunResult;
  readonly cost?: CostReport;
  readonly devLoop?: DevLoopResult;
  readonly targets: TargetCheck[];
  /** Sections that failed, with the error. */
  readonly errors: Array<{ readonly section: string; readonly message: string }>;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export const TARGETS = {
  etlToParse: 0.5,
  driftToParse: 0.5,
  memoryGrowth: 1.2,
  bundleBytes: 1_000_000,
  coldInitMs: 150,
  stateTransitions: 40,
} as const;

export function checkTargets(r: Omit<BenchResults, 'targets' | 'finishedAt'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const s of r.etl?.sizes ?? []) {
    checks.push({
      target: `ETL ${s.sizeMb} MB: throughput ≥ ${pct(TARGETS.etlToParse)} of the parse limit`,
      measured: `${pct(s.etlToParse)} (${s.etl.mbPerSecond.toFixed(1)} vs ${s.parse.mbPerSecond.toFixed(1)} MB/s)`,
      met: s.etlToParse >= TARGETS.etlToParse,
    });
  }
  const etl = r.etl?.sizes ?? [];
  if (etl.length >= 2) {
    const [small, large] = [etl[0], etl[etl.length - 1]];
    const growth = large.etl.peakRssBytes / small.etl.peakRssBytes;
    checks.push({
      target: `ETL peak RSS at ${large.sizeMb} MB within ${TARGETS.memoryGrowth}× of ${small.sizeMb} MB`,
      measured: `${growth.toFixed(2)}× (${mib(large.etl.peakRssBytes)} vs ${mib(small.etl.peakRssBytes)})`,
      met: growth <= TARGETS.memoryGrowth,
    });
  }
  for (const s of r.drift?.sizes ?? []) {
    checks.push({
      target: `drift monitor, ${count(s.rows)} rows: throughput ≥ ${pct(TARGETS.driftToParse)} of the parse limit`,
      measured: `${pct(s.monitorToParse)} (${count(s.monitor.rowsPerSecond)} vs ${count(s.parse.rowsPerSecond)} rows/s)`,
      met: s.monitorToParse >= TARGETS.driftToParse,
    });
  }
  const drift = r.drift?.sizes ?? [];
  if (drift.length >= 2) {
    const [small, large] = [drift[0], drift[drift.length - 1]];
    const growth = large.monitor.peakRssBytes / small.monitor.peakRssBytes;
    checks.push({
      target: `drift monitor peak RSS at ${count(large.rows)} rows within ${TARGETS.memoryGrowth}× of ${count(small.rows)} rows`,
      measured: `${growth.toFixed(2)}× (${mib(large.monitor.peakRssBytes)} vs ${mib(small.monitor.peakRssBytes)})`,
      met: growth <= TARGETS.memoryGrowth,
    });
  }
  if (r.bundles) {
    const largest = [...r.bundles.bundles].sort((a, b) => b.bytes - a.bytes)[0];
    checks.push({
      target: 'every Lambda bundle under 1 MB minified',
      measured: `largest ${largest.name} ${kb(largest.bytes)}`,
      met: largest.bytes < TARGETS.bundleBytes,
    });
    const slowest = [...r.bundles.bundles].sort((a, b) => b.requireMs - a.requireMs)[0];
    checks.push({
      target: `cold init under ${TARGETS.coldInitMs} ms median (loading the bundle in a fresh process)`,
      measured:
        `slowest ${slowest.name} ${slowest.requireMs.toFixed(0)} ms to load ` +
        `(${slowest.coldInitMs.toFixed(0)} ms after process start; Node.js alone boots in ${r.bundles.nodeBootMs.toFixed(0)} ms here)`,
      met: slowest.requireMs < TARGETS.coldInitMs,
    });
  }
  if (r.cost) {
    const worst = [...r.cost.runs].sort((a, b) => b.states - a.states)[0];
    checks.push({
      target: `at most ${TARGETS.stateTransitions} state transitions for a happy-path run, excluding wait loops`,
      measured: `${worst.states} with one pass through the endpoint poll (${worst.outsideWaitLoops} outside wait loops)`,
      met: worst.states <= TARGETS.stateTransitions,
    });
  }
  return checks;
}

// ----------------------------------------------------------------- Markdown

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Measured ${r.finishedAt.slice(0, 10)} on ${m.cpus}, ${m.memoryGb} GB RAM, ${m.platform}, Node.js ${m.node} ` +
      `(load average ${m.loadAverage.toFixed(2)} at the start). Each case ran in a child process of its own; the S3 server ` +
      '(s3rver) in another. Figures are medians of 3 runs for inputs up to 600 MB, single runs above.',
    '',
  );
  if (r.etl) out.push(...etlSection(r.etl));
  if (r.drift) out.push(...driftSection(r.drift));
  if (r.evaluate) out.push(...evaluateSection(r.evaluate));
  if (r.bundles) out.push(...bundlesSection(r.bundles));
  if (r.cost) out.push(...costSection(r.cost));
  if (r.devLoop) out.push(...devLoopSection(r.devLoop));
  out.push('### Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  out.push('');
  if (r.errors.length > 0) {
    out.push('### Sections that failed', '');
    for (const e of r.errors) out.push(`- ${e.section}: ${e.message}`);
    out.push('');
  }
  return out.join('\n');
}

function etlSection(etl: EtlResult): string[] {
  const out = [
    '### ETL (prepareData, raw CSV → splits, baseline, manifest, through a local S3 server)',
    '',
    '20 numeric and 5 categorical features, binary label, id column; one row in 50,000 quarantined.',
    'I/O limit: only streaming the same object from the same server. Parse limit: only parsing the same bytes with the same CSV reader.',
    '',
    '| input | rows | ETL | rows/s | MB/s | peak RSS | I/O limit | parse limit | ETL ÷ I/O | ETL ÷ parse |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of etl.sizes) {
    out.push(
      `| ${s.sizeMb} MB | ${count(s.generated.rows)} | ${secs(s.etl.seconds)} | ${count(s.etl.rowsPerSecond)} | ${s.etl.mbPerSecond.toFixed(1)} | ` +
        `${mib(s.etl.peakRssBytes)} | ${s.io.mbPerSecond.toFixed(0)} MB/s | ${s.parse.mbPerSecond.toFixed(1)} MB/s | ${pct(s.etlToIo)} | ${pct(s.etlToParse)} |`,
    );
  }
  for (const s of etl.skipped) out.push(`| ${s.sizeMb} MB | skipped: ${s.reason} | | | | | | | | |`);
  out.push(
    '',
    'Memory of the same runs: peak JS heap and peak Buffer memory (stream chunks, multipart parts) sampled every 25 ms; ' +
      'the parse limit\'s peak RSS for comparison.',
    '',
    '| input | ETL peak RSS | ETL peak heap | ETL peak buffers | parse-limit peak RSS | I/O-limit peak RSS | ETL CPU time |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of etl.sizes) {
    out.push(
      `| ${s.sizeMb} MB | ${mib(s.etl.peakRssBytes)} | ${mib(s.etl.peakHeapBytes)} | ${mib(s.etl.peakBuffersBytes)} | ${mib(s.parse.peakRssBytes)} | ` +
        `${mib(s.io.peakRssBytes)} | ${secs(s.etl.cpuSeconds)} |`,
    );
  }
  out.push('');
  return out;
}

function driftSection(drift: DriftResult): string[] {
  const out = [
    '### Drift monitor (runDriftMonitor over one window of Data Capture files on the local S3 server)',
    '',
    '25 features per captured row (model input: numbers, category codes), one request per line, 100,000 records per file. ' +
      'I/O limit: listing and streaming the same objects. Parse limit: reading the same bytes into capture records with the same reader.',
    '',
    '| window | MB | monitor | rows/s | peak RSS | I/O limit | parse limit | monitor ÷ I/O | monitor ÷ parse | status |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of drift.sizes) {
    out.push(
      `| ${count(s.rows)} rows | ${(s.generated.bytes / 1e6).toFixed(0)} | ${secs(s.monitor.seconds)} | ${count(s.monitor.rowsPerSecond)} | ` +
        `${mib(s.monitor.peakRssBytes)} | ${count(s.io.rowsPerSecond)} rows/s | ${count(s.parse.rowsPerSecond)} rows/s | ` +
        `${pct(s.monitorToIo)} | ${pct(s.monitorToParse)} | ${s.monitor.status} |`,
    );
  }
  out.push('');
  return out;
}

function evaluateSection(evaluate: EvaluateResult): string[] {
  const out = ['### Evaluate', '', `${count(evaluate.rows)} predictions, median of several repetitions.`, '', '| what | time | rows/s |', '|---|---|---|'];
  for (const t of evaluate.timings) out.push(`| ${t.what} | ${secs(t.seconds)} | ${count(t.rowsPerSecond)} |`);
  out.push('');
  return out;
}

function bundlesSection(b: BundlesResult): string[] {
  const out = [
    '### Lambda bundles',
    '',
    'esbuild as NodejsFunction runs it for RetrainFunction (bundle, minify, CommonJS, target node22, source map, `@aws-sdk/*` external). ' +
      'Cold init: a fresh Node.js process with the function\'s environment (NODE_OPTIONS=--enable-source-maps, as the stack sets it) ' +
      `loads the bundle; median of 10. \`@aws-sdk/*\` resolves from the repository's node_modules (the Lambda runtime provides it). ` +
      `Node.js ${b.node} here, the runtime has Node.js 22; Node.js alone boots in ${b.nodeBootMs.toFixed(0)} ms on this machine.`,
    '',
    '| function | minified | source map | compressed (js + map) | load (require) | process start → loaded | load without source maps |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const x of b.bundles) {
    out.push(
      `| ${x.name} | ${kb(x.bytes)} | ${kb(x.sourceMapBytes)} | ${kb(x.compressedBytes)} | ${x.requireMs.toFixed(0)} ms | ` +
        `${x.coldInitMs.toFixed(0)} ms | ${x.requireNoSourceMapsMs.toFixed(0)} ms |`,
    );
  }
  out.push('', 'What the handlers load besides their own code, each bundled alone the same way:', '', '| component | minified | load (require) |', '|---|---|---|');
  for (const c of b.components) out.push(`| ${c.component} | ${kb(c.bytes)} | ${c.requireMs.toFixed(0)} ms |`);
  out.push('');
  return out;
}

function costSection(c: CostReport): string[] {
  const p = c.prices;
  const cfg = c.config;
  const out = [
    '### Cost of one happy-path run',
    '',
    `Counted from a local execution of the synthesized state machine (${c.configFile}, runs started by hand): states entered ` +
      'and Lambda invocations with their durations; ETL and Evaluate durations from the benchmarks above; cold init from the bundles. ' +
      `Prices: on-demand list prices, ${p.region}, as of ${p.asOf} (bench/prices.ts). SageMaker job times are estimates (assumptions below), not measurements.`,
    '',
    '| run | outcome | states entered | outside wait loops | Lambda invocations |',
    '|---|---|---|---|---|',
  ];
  for (const r of c.runs) {
    const calls = Object.entries(r.invocations)
      .map(([fn, n]) => `${fn} ${n}`)
      .join(', ');
    out.push(`| ${r.label} | ${r.outcome} | ${r.states} | ${r.outsideWaitLoops} | ${calls} |`);
  }
  out.push(
    '',
    `Wait loops (not bounded by the target): ${c.waitLoops.map((l) => `${l.join(' → ')} (+${l.length} per pass)`).join('; ')}. ` +
      `Local mode polls the endpoint once; in AWS it polls every ${c.endpointPollSeconds} s, ${c.perSize[0]?.endpointPolls ?? 1} times ` +
      `for an endpoint that takes ${c.assumptions.endpointSettleSeconds / 60} minutes to settle, each poll one Lambda invocation (included below). ` +
      'A new-data trigger passes the debounce loop at least once (+3 transitions, +1 invocation per quiet-period check).',
    '',
    `Estimates for "${c.basedOn}" by input size (training on ${cfg.trainingInstanceCount} × ${cfg.trainingInstanceType}, ${cfg.numRound} rounds; ` +
      `batch transform on ${cfg.transformInstanceType}; endpoint ${cfg.endpointInstanceCount} × ${cfg.endpointInstanceType}, ${cfg.strategy}):`,
    '',
    '| input | rows | ETL | state transitions | Lambda invocations | Lambda GB-s | training (billable) | batch transform (billable) | endpoint overlap | Step Functions | Lambda | SageMaker | total per run | wall time (est.) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of c.perSize) {
    const use = (kind: string) => s.sagemaker.find((u) => u.use === kind);
    const seconds = (kind: string) => {
      const u = use(kind);
      return u ? `${secs(u.seconds)} (${money(u.cost)})` : '—';
    };
    out.push(
      `| ${s.sizeMb} MB | ${count(s.rows)} | ${secs(s.etlSeconds)} | ${s.stateTransitions} | ${s.lambdaInvocations} | ${s.lambdaGbSeconds.toFixed(1)} | ` +
        `${seconds('training')} | ${seconds('batch transform')} | ${seconds('endpoint overlap during deploy')} | ` +
        `${money(s.costs.stepFunctions)} | ${money(s.costs.lambda)} | ${money(s.costs.sagemaker)} | **${money(s.costs.total)}** | ${minutes(s.wallSeconds)} |`,
    );
  }
  const e = c.maxEtlInput;
  out.push(
    '',
    `SageMaker instance time per run is listed per instance type above (training: ${cfg.trainingInstanceType}; batch transform: ` +
      `${cfg.transformInstanceType}; endpoint: ${cfg.endpointInstanceType}). Between runs the endpoint keeps serving: ` +
      `${c.endpointMonthly === undefined ? 'no price listed' : `${money(c.endpointMonthly)} a month`} (${cfg.endpointInstanceCount} × ${cfg.endpointInstanceType}, 730 h), far more than the runs themselves.`,
    '',
    `Largest input one ETL invocation can prepare (${(e.memoryMb / 1024).toFixed(0)} GB memory, ${e.timeoutSeconds / 60} minutes) at the rate ` +
      `measured on ${(e.measuredOnBytes / 1e6).toFixed(0)} MB (${(e.bytesPerSecond / 1e6).toFixed(1)} MB/s): ` +
      `**about ${(e.bytes / 1e9).toFixed(1)} GB**. The ETL uses one core (${secs(e.cpuSeconds)} of CPU in ${secs(e.seconds)}), so the ` +
      `${vcpus(e.configuredMemoryMb)} vCPU it has at ${e.configuredMemoryMb} MB or the ${vcpus(e.memoryMb)} at ${e.memoryMb} MB add no speed; ` +
      `memory is no limit either (peak RSS ${mib(e.peakRssBytes)}).`,
    '',
    'Prices used:',
    '',
    `- Step Functions Standard: $${(p.stepFunctions.perStateTransition * 1000).toFixed(4)} per 1,000 state transitions — ${p.stepFunctions.source}`,
    `- Lambda arm64: $${(p.lambda.perRequest * 1e6).toFixed(2)} per 1M requests, $${p.lambda.perGbSecondArm64} per GB-second — ${p.lambda.source}`,
    `- SageMaker per instance-hour: training ${priceList(p.sagemaker.training)}; batch transform ${priceList(p.sagemaker.batchTransform)}; ` +
      `real-time ${priceList(p.sagemaker.realTimeInference)} — ${p.sagemaker.source}`,
    '',
    'Assumptions (bench/cost.ts ASSUMPTIONS):',
    '',
    `- Lambda: local duration ÷ the function's CPU share (memory ÷ 1,769 MB, at most 1), one local core = one Lambda vCPU, ` +
      `+${c.assumptions.apiOverheadMs} ms of AWS API calls per invocation, + the measured cold init once per function per run (INIT is billed since 2025-08-01).`,
    `- Training: ${c.assumptions.trainingStartupSeconds} s start-up + reading train and validation CSV at ${c.assumptions.trainingReadBytesPerSecond / 1e6} MB/s ` +
      `+ rows × rounds at ${count(c.assumptions.trainingRowRoundsPerSecond)} per second; ${c.assumptions.trainingProvisioningSeconds} s unbilled provisioning.`,
    `- Batch transform: ${c.assumptions.transformStartupSeconds} s start-up + ${count(c.assumptions.transformRowsPerSecond)} test rows/s, candidate and champion in parallel.`,
    `- Endpoint: ${c.assumptions.endpointSettleSeconds / 60} minutes to InService; a blue/green update runs both fleets for that long plus the termination wait (${cfg.terminationWaitSeconds} s).`,
    '',
  );
  return out;
}

function devLoopSection(d: DevLoopResult): string[] {
  const out = ['### Developer loop', '', '| command | time | exit |', '|---|---|---|'];
  out.push(`| \`cdk synth\` (bundles 9 functions, cdk-nag) | ${secs(d.synth.seconds)} | ${String(d.synth.exitCode)} |`);
  if (d.tests) out.push(`| \`npm test\` (tsc, eslint, jest) | ${minutes(d.tests.seconds)} | ${String(d.tests.exitCode)} |`);
  else out.push('| `npm test` | not measured (run `npm run bench -- --with-tests`; it takes minutes) | |');
  out.push('');
  return out;
}

// ----------------------------------------------------------------- formats

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}

export function kb(bytes: number): string {
  return `${Math.round(bytes / 1000).toLocaleString('en-US')} kB`;
}

export function secs(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

export function minutes(seconds: number): string {
  return seconds < 120 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** Dollars with enough digits to see sub-cent amounts. */
export function money(amount: number | undefined): string {
  if (amount === undefined) return 'no price';
  if (amount === 0) return '$0';
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  return `$${amount.toPrecision(2)}`;
}

/** vCPUs Lambda gives a function of this memory size (one per 1,769 MB). */
function vcpus(memoryMb: number): string {
  return (memoryMb / FULL_VCPU_MB).toFixed(1);
}

function priceList(prices: Readonly<Record<string, number>>): string {
  return Object.entries(prices)
    .map(([type, price]) => `${type} $${price}`)
    .join(', ');
}

/** Replaces the generated part of a Markdown document (between the markers), or appends it. */
export const DOC_START = '<!-- bench:results:start (generated by `npm run bench -- --update-doc`) -->';
export const DOC_END = '<!-- bench:results:end -->';

export function replaceGenerated(document: string, generated: string): string {
  const block = `${DOC_START}\n\n${generated.trimEnd()}\n\n${DOC_END}`;
  const start = document.indexOf(DOC_START);
  const end = document.indexOf(DOC_END);
  if (start === -1 || end === -1 || end < start) return `${document.trimEnd()}\n\n${block}\n`;
  return `${document.slice(0, start)}${block}${document.slice(end + DOC_END.length)}`;
}
