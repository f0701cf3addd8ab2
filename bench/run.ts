/**
 * `npm run bench`: what a run costs and how fast the data path is, each throughput measured in
 * the same run next to its limit. Prints Markdown tables, writes bench/results.json, and with
 * --update-doc rewrites the generated part of bench/PERFORMANCE.md. Not part of `npm test`.
 *
 *   npm run bench                          everything (several minutes; needs ~6 GB free disk for 1 GB)
 *   npm run bench -- --sizes 10,100        smaller ETL inputs
 *   npm run bench -- --with-tests          also time `npm test` (minutes more)
 *   npm run bench -- --only bundles,cost   some sections only
 *   npm run bench -- --report-only         re-price and print the last results (no measuring)
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { benchBundles } from './bundles';
import { buildCostReport } from './cost-report';
import { benchDevLoop } from './devloop';
import { benchDrift } from './drift';
import { benchEtl } from './etl';
import { benchEvaluate } from './evaluate';
import { benchLocalRun } from './local-run';
import { progress } from './measure';
import { checkTargets, renderMarkdown, replaceGenerated, type BenchResults } from './report';
import { DATA_DIR, removeDataDir, startServer, type BenchServer } from './storage';

export const SECTIONS = ['bundles', 'evaluate', 'etl', 'drift', 'cost', 'devloop'] as const;
type Section = (typeof SECTIONS)[number];

const RESULTS_FILE = join(__dirname, 'results.json');
const DOC_FILE = join(__dirname, 'PERFORMANCE.md');

interface Options {
  readonly sizes: number[];
  readonly driftRows: number[];
  readonly only?: Section[];
  readonly skip: Section[];
  readonly withTests: boolean;
  readonly updateDoc: boolean;
  readonly keepData: boolean;
  readonly reportOnly: boolean;
}

function positiveList(value: string): number[] {
  const numbers = value.split(',').map((v) => Number(v.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidArgumentError(`expected positive whole numbers separated by commas, got "${value}"`);
  }
  return numbers.sort((a, b) => a - b);
}

function sectionList(value: string): Section[] {
  const names = value.split(',').map((v) => v.trim());
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  return names as Section[];
}

export function parseOptions(argv: readonly string[]): Options {
  const program = new Command()
    .name('npm run bench --')
    .description('Benchmarks of the data path, the Lambda bundles, the cost of a run and the developer loop')
    .option('--sizes <mb>', 'ETL input sizes in MB', positiveList, [10, 100, 1000])
    .option('--drift-rows <rows>', 'captured rows per drift-monitor window', positiveList, [100_000, 1_000_000])
    .option('--only <sections>', `run only these sections (${SECTIONS.join(', ')})`, sectionList)
    .option('--skip <sections>', 'leave these sections out', sectionList, [])
    .option('--with-tests', 'also time `npm test` (takes minutes)', false)
    .option('--update-doc', 'rewrite the generated part of bench/PERFORMANCE.md', false)
    .option('--keep-data', 'keep the generated data in bench/.data', false)
    .option('--report-only', 'measure nothing: re-price and render the last bench/results.json', false)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' });
  return program.opts<Options>();
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.reportOnly) return reportStored(options);
  const wanted = (s: Section) => (options.only ? options.only.includes(s) : true) && !options.skip.includes(s);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const startedAt = new Date().toISOString();
  const cpuList = cpus();
  const machine = {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: `${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown CPU'}`,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    loadAverage: loadavg()[0],
  };
  progress(`machine: ${machine.cpus}, ${machine.memoryGb} GB, Node.js ${machine.node}, load average ${machine.loadAverage.toFixed(2)}`);
  removeDataDir();

  // A section that fails is reported (and the exit code is 1); the others still run.
  const errors: BenchResults['errors'] = [];
  const section = async <T>(name: Section, work: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted(name)) return undefined;
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      progress(`${name}: FAILED: ${message}`);
      errors.push({ section: name, message });
      return undefined;
    }
  };

  let server: BenchServer | undefined;
  const stop = async () => {
    await server?.stop();
    server = undefined;
    if (!options.keepData) removeDataDir();
  };
  process.once('SIGINT', () => {
    void stop().finally(() => process.exit(130));
  });
  let measured: Pick<BenchResults, 'bundles' | 'evaluate' | 'etl' | 'drift' | 'local' | 'cost' | 'devLoop'>;
  try {
    const bundles = await section('bundles', benchBundles);
    const evaluate = await section('evaluate', () => benchEvaluate());
    if (wanted('etl') || wanted('drift')) server = await startServer();
    const etl = await section('etl', () => benchEtl(server!, options.sizes));
    const drift = await section('drift', () => benchDrift(server!, options.driftRows));
    await server?.stop();
    server = undefined;
    const local = await section('cost', benchLocalRun);
    const cost = await section('cost', async () => {
      if (!local || !etl || !evaluate) throw new Error('the cost model needs the etl and evaluate sections too');
      return buildCostReport(local, etl, evaluate, bundles);
    });
    const devLoop = await section('devloop', () => benchDevLoop({ withTests: options.withTests }));
    measured = { bundles, evaluate, etl, drift, local, cost, devLoop };
  } finally {
    await stop();
  }

  const results = {
    version: 1 as const,
    startedAt,
    machine,
    options: { sizesMb: options.sizes, driftRows: options.driftRows, withTests: options.withTests, skipped: SECTIONS.filter((s) => !wanted(s)) },
    ...measured,
    errors,
  };
  const done: BenchResults = { ...results, finishedAt: new Date().toISOString(), targets: checkTargets(results) };
  if (!options.keepData) progress(`${DATA_DIR} removed`);
  return report(done, options);
}

/** Writes results.json, prints the tables and, with --update-doc, rewrites the generated part of PERFORMANCE.md. */
function report(done: BenchResults, options: Options): number {
  writeFileSync(RESULTS_FILE, `${JSON.stringify(done, null, 2)}\n`);
  const markdown = renderMarkdown(done);
  process.stdout.write(`\n${markdown}\n`);
  progress(`results written to ${RESULTS_FILE}`);
  if (options.updateDoc) {
    const document = existsSync(DOC_FILE) ? readFileSync(DOC_FILE, 'utf8') : '# Performance\n';
    writeFileSync(DOC_FILE, replaceGenerated(document, markdown));
    progress(`generated part of ${DOC_FILE} updated`);
  }
  return done.errors.length > 0 ? 1 : 0;
}

/**
 * --report-only: measures nothing; re-prices the stored measurements (after a change to the
 * prices or the assumptions), checks the targets again and renders bench/results.json.
 */
function reportStored(options: Options): number {
  if (!existsSync(RESULTS_FILE)) throw new Error(`${RESULTS_FILE} does not exist: run the benchmark first`);
  const stored = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;
  const cost = stored.local && stored.etl && stored.evaluate ? buildCostReport(stored.local, stored.etl, stored.evaluate, stored.bundles) : stored.cost;
  const results = { ...stored, cost };
  return report({ ...results, targets: checkTargets(results) }, options);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
