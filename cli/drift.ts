/**
 * `retrain drift`: offline drift check of a CSV of current inputs against a baseline — a
 * baseline.json written by a run, or a training CSV profiled on the spot with the same
 * profiler the ETL uses — with the same statistics as the drift monitor (DESIGN.md section 4).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { readCsv, type CsvRecord } from '../lambdas/core/csv';
import {
  CurrentWindow,
  DEFAULT_DRIFT_SETTINGS,
  compareToBaseline,
  parseBaseline,
  type DriftReport,
  type FeatureDrift,
} from '../lambdas/core/drift';
import { parseDecimal } from '../lambdas/core/encoding';
import { RetrainError } from '../lambdas/core/errors';
import { BaselineProfiler, type ProfileFeature } from '../lambdas/core/profile';
import type { Baseline } from '../lambdas/core/types';
import { UserError, action } from './errors';
import { parsePositiveInteger, parsePositiveNumber } from './parse';

/** Exit code of every input problem: a missing file, no common columns, an empty window. */
export const BAD_INPUT = 2;

/** Target column left out of a CSV baseline when --target is not given (the configuration's default). */
const DEFAULT_TARGET = 'label';

export interface DriftCommandOptions {
  readonly baseline: string;
  readonly current: string;
  readonly json?: boolean;
  readonly target?: string;
  readonly categorical?: string[];
  readonly threshold: number;
  readonly minRows: number;
}

/** The object `retrain drift --json` prints. */
export interface DriftJson {
  readonly status: DriftReport['status'];
  readonly drifted: boolean;
  readonly driftedShare: number;
  readonly rows: { readonly baseline: number; readonly current: number };
  readonly features: Array<Pick<FeatureDrift, 'name' | 'type' | 'method' | 'effect' | 'statistic' | 'pValue' | 'adjustedPValue' | 'psi' | 'drifted'>>;
}

export function registerDriftCommand(program: Command): void {
  program
    .command('drift')
    .description('Compare a CSV of current inputs with a baseline (a run\'s baseline.json, or a training CSV) and report drift per feature.')
    .requiredOption('--baseline <file>', 'baseline.json written by a run, or a training CSV (with a header) to profile')
    .requiredOption('--current <file>', 'CSV of current inputs, with a header; columns are matched by name')
    .option('--json', 'print one JSON object instead of a table')
    .option('--target <column>', `target column of a CSV baseline, left out (default: "${DEFAULT_TARGET}" when there is one)`)
    .option('--categorical <columns>', 'comma-separated columns of a CSV baseline to treat as categories', parseList)
    .option('--threshold <n>', 'effect size from which a feature counts as drifted', parsePositiveNumber, DEFAULT_DRIFT_SETTINGS.featureThreshold)
    .option('--min-rows <n>', 'fewest current rows for a verdict (fewer: INSUFFICIENT_DATA)', parsePositiveInteger, DEFAULT_DRIFT_SETTINGS.minRows)
    .action(action(async (options: DriftCommandOptions) => runDriftCommand(options)));
}

export async function runDriftCommand(options: DriftCommandOptions): Promise<void> {
  await assertReadable(options.baseline, '--baseline');
  await assertReadable(options.current, '--current');
  const baseline = /\.json$/i.test(options.baseline) ? await loadBaseline(options.baseline, options) : await profileCsv(options.baseline, options);
  const { report, leftOut } = await compareCsv(baseline, options.current, { ...DEFAULT_DRIFT_SETTINGS, featureThreshold: options.threshold, minRows: options.minRows });
  if (leftOut.length > 0) console.error(`retrain: not in ${options.current}, left out: ${leftOut.join(', ')}`);
  console.log(options.json ? JSON.stringify(toJson(report)) : formatTable(report));
}

async function assertReadable(path: string, option: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UserError(`${option} ${path} is not a file`, BAD_INPUT);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${option} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(error)})`}`, BAD_INPUT);
  }
}

async function loadBaseline(path: string, options: DriftCommandOptions): Promise<Baseline> {
  if (options.categorical || options.target) console.error('retrain: --target and --categorical apply to a CSV baseline only; ignored');
  try {
    return parseBaseline(await readFile(path, 'utf8'), path);
  } catch (error) {
    throw asUserError(error);
  }
}

/**
 * Profiles a training CSV in two streaming passes: the first decides each column's type (numeric
 * when every non-empty value is a number, unless --categorical names it), the second profiles.
 * Rows whose field count differs from the header are skipped and counted.
 */
export async function profileCsv(path: string, options: Pick<DriftCommandOptions, 'target' | 'categorical'>): Promise<Baseline> {
  const header = await readHeader(path);
  const target = options.target ?? (header.includes(DEFAULT_TARGET) ? DEFAULT_TARGET : undefined);
  if (target !== undefined && !header.includes(target)) {
    throw new UserError(`--target "${target}" is not a column of ${path} (columns: ${header.join(', ')})`, BAD_INPUT);
  }
  const unknown = (options.categorical ?? []).filter((c) => !header.includes(c) || c === target);
  if (unknown.length > 0) throw new UserError(`--categorical names columns that are not features of ${path}: ${unknown.join(', ')}`, BAD_INPUT);
  const columns = header.map((name, index) => ({ name, index })).filter((c) => c.name !== target);
  if (columns.length === 0) throw new UserError(`${path} has no feature columns`, BAD_INPUT);

  const numeric = columns.map((c) => !(options.categorical ?? []).includes(c.name));
  await eachRecord(path, header.length, (fields) => {
    for (let i = 0; i < columns.length; i++) {
      const text = fields[columns[i].index];
      if (numeric[i] && text.trim() !== '' && parseDecimal(text) === undefined) numeric[i] = false;
    }
  });
  const features: ProfileFeature[] = columns.map((c, i) => ({ name: c.name, declared: numeric[i] ? 'numeric' : 'categorical' }));
  const profiler = new BaselineProfiler(features);
  const skipped = await eachRecord(path, header.length, (fields) => {
    profiler.add(columns.map((c, i) => (numeric[i] ? parseDecimal(fields[c.index]) : fields[c.index].trim())));
  });
  if (skipped > 0) console.error(`retrain: ${path}: ${skipped} rows skipped (unreadable or not ${header.length} fields)`);
  const baseline = profiler.finish({ runId: 'offline', createdAt: new Date().toISOString() });
  if (baseline.rows === 0) throw new UserError(`${path} has no data rows`, BAD_INPUT);
  return baseline;
}

/** The current CSV against the baseline, on the features both have. */
async function compareCsv(
  fullBaseline: Baseline,
  path: string,
  settings: typeof DEFAULT_DRIFT_SETTINGS,
): Promise<{ report: DriftReport; leftOut: string[] }> {
  const header = await readHeader(path);
  const positions = new Map(header.map((name, i) => [name, i]));
  const common = fullBaseline.features.filter((f) => positions.has(f.name));
  if (common.length === 0) {
    throw new UserError(
      `no column of ${path} is a feature of the baseline (features: ${fullBaseline.features.map((f) => f.name).join(', ')}; columns: ${header.join(', ')})`,
      BAD_INPUT,
    );
  }
  const baseline: Baseline = common.length === fullBaseline.features.length ? fullBaseline : { ...fullBaseline, features: common };
  const indexes = common.map((f) => positions.get(f.name)!);
  const window = new CurrentWindow(baseline);
  const skipped = await eachRecord(path, header.length, (fields) => window.add(indexes.map((i) => fields[i].trim())));
  if (skipped > 0) console.error(`retrain: ${path}: ${skipped} rows skipped (unreadable or not ${header.length} fields)`);
  if (window.rows === 0) throw new UserError(`${path} has no data rows: nothing to compare`, BAD_INPUT);
  const leftOut = fullBaseline.features.filter((f) => !positions.has(f.name)).map((f) => f.name);
  return { report: compareToBaseline(baseline, window, settings), leftOut };
}

async function readHeader(path: string): Promise<string[]> {
  const stream = createReadStream(path);
  try {
    for await (const batch of readCsv(stream, path)) {
      const first = batch[0];
      if (!first) continue;
      if (!first.ok) throw new UserError(`${path} line ${first.line}: the header cannot be read (${first.reason})`, BAD_INPUT);
      const header = first.fields.map((f) => f.trim());
      const duplicate = header.find((name, i) => header.indexOf(name) !== i);
      if (duplicate !== undefined) throw new UserError(`${path}: column "${duplicate}" appears twice in the header`, BAD_INPUT);
      return header;
    }
  } catch (error) {
    throw asUserError(error);
  } finally {
    stream.destroy();
  }
  const { size } = await stat(path);
  throw new UserError(`${path} ${size === 0 ? 'is empty (0 bytes)' : 'has only blank lines'}: expected a header row`, BAD_INPUT);
}

/** Calls `each` for every data row with `width` fields (after the header); returns how many rows were skipped. */
async function eachRecord(path: string, width: number, each: (fields: string[]) => void): Promise<number> {
  let header = true;
  let skipped = 0;
  try {
    for await (const batch of readCsv(createReadStream(path), path)) {
      for (const item of batch) {
        if (header) {
          header = false;
          continue;
        }
        if (!item.ok || (item as CsvRecord).fields.length !== width) {
          skipped += 1;
          continue;
        }
        each(item.fields);
      }
    }
  } catch (error) {
    throw asUserError(error);
  }
  return skipped;
}

function asUserError(error: unknown): unknown {
  return error instanceof RetrainError ? new UserError(error.message, BAD_INPUT) : error;
}

export function toJson(report: DriftReport): DriftJson {
  return {
    status: report.status,
    drifted: report.drifted,
    driftedShare: report.driftedShare,
    rows: report.rows,
    features: report.features.map((f) => ({
      name: f.name,
      type: f.type,
      method: f.method,
      effect: f.effect,
      statistic: f.statistic,
      pValue: f.pValue,
      adjustedPValue: f.adjustedPValue,
      psi: f.psi,
      drifted: f.drifted,
    })),
  };
}

/** A table a person reads: one row per feature, then the verdict and any anomalies. */
export function formatTable(report: DriftReport): string {
  const head = ['feature', 'type', 'method', 'effect', 'statistic', 'p-value', 'adj. p', 'PSI', 'drifted'];
  const rows = report.features.map((f) => [
    f.name,
    f.type,
    f.method,
    fixed(f.effect),
    fixed(f.statistic),
    pValue(f.pValue),
    pValue(f.adjustedPValue),
    fixed(f.psi),
    f.drifted ? 'yes' : 'no',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const lines = [line(head), ...rows.map(line), ''];
  const drifted = report.features.filter((f) => f.drifted).length;
  const counts = `baseline ${report.rows.baseline} rows, current ${report.rows.current} rows`;
  if (report.status === 'INSUFFICIENT_DATA') {
    lines.push(`Insufficient data: ${report.rows.current} current rows, at least ${report.settings.minRows} needed for a verdict (${counts}).`);
  } else {
    lines.push(
      `Dataset drift: ${report.drifted ? 'yes' : 'no'} — ${drifted} of ${report.features.length} features drifted ` +
        `(share ${fixed(report.driftedShare, 2)}, threshold ${report.settings.driftedShare}; ${counts}).`,
    );
  }
  for (const anomaly of report.anomalies) lines.push(`Anomaly: ${anomaly}`);
  return lines.join('\n');
}

function fixed(x: number, digits = 3): string {
  return x.toFixed(digits);
}

function pValue(p: number): string {
  if (p === 0) return '<1e-300';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected comma-separated column names');
  return items;
}
