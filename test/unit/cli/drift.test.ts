import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { registerDriftCommand, type DriftJson } from '../../../cli/drift';
import { BaselineProfiler } from '../../../lambdas/core/profile';
import { categoricalGenerator, normalGenerator } from '../../helpers/capture';
import { csvText, type Cell } from '../../helpers/csv';

const ROOT = resolve(__dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retrain-drift-'));
  writeFileSync(join(dir, 'train.csv'), csvText(rows(3_000, 1)));
  writeFileSync(join(dir, 'same.csv'), csvText(rows(1_500, 2)));
  writeFileSync(join(dir, 'shifted.csv'), csvText(rows(1_500, 3, 0.5)));
  writeFileSync(join(dir, 'few.csv'), csvText(rows(50, 4)));
  writeFileSync(join(dir, 'other-columns.csv'), csvText([['a', 'b'], [1, 2]]));
  writeFileSync(join(dir, 'header-only.csv'), 'income,city,zip\n');
  writeFileSync(join(dir, 'empty.csv'), '');
  writeFileSync(join(dir, 'blank.csv'), '\n  \n');
  // What Excel's "Unicode Text" and PowerShell 5's Out-File write: UTF-16 little-endian with its byte order mark.
  writeFileSync(join(dir, 'utf16.csv'), Buffer.from(`\ufeff${csvText(rows(200, 6))}`, 'utf16le'));
  // A category saved as Latin-1: "Zürich" with ü as the single byte FC, at byte offset 20.
  writeFileSync(join(dir, 'latin1.csv'), Buffer.from('income,city,zip\n50,Zürich,1000\n', 'latin1'));
  writeFileSync(join(dir, 'broken.json'), '{"version": 1');
  writeFileSync(join(dir, 'baseline.json'), JSON.stringify(profileOf(rows(3_000, 1))));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Header, then rows of income (numeric), city (categorical), zip (numeric codes to be declared categorical) and the label. */
function rows(n: number, seed: number, shift = 0): Cell[][] {
  const income = normalGenerator(seed, 50 + 10 * shift, 10);
  const city = categoricalGenerator(seed + 1, ['Oslo', 'Rome', 'Lima'], [5, 3, 2]);
  const zip = categoricalGenerator(seed + 2, ['1000', '2000', '3000', '4000', '5000', '6000', '7000'], [1, 1, 1, 1, 1, 1, 1]);
  const out: Cell[][] = [['income', 'city', 'zip', 'label']];
  for (let i = 0; i < n; i++) out.push([income().toFixed(3), city(), zip(), i % 2]);
  return out;
}

function profileOf(table: Cell[][]) {
  const profiler = new BaselineProfiler([
    { name: 'income', declared: 'numeric' },
    { name: 'city', declared: 'categorical' },
    { name: 'zip', declared: 'categorical' },
  ]);
  for (const row of table.slice(1)) profiler.add([Number(row[0]), String(row[1]), String(row[2])]);
  return profiler.finish({ runId: 'run-3', createdAt: '2024-05-01T00:00:00.000Z' });
}

/** Runs `retrain drift <args>` through commander; returns what it printed and the exit code. */
async function drift(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command('retrain').exitOverride();
  registerDriftCommand(program);
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['drift', ...args], { from: 'user' });
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = undefined;
  }
}

const at = (name: string) => join(dir, name);

describe('retrain drift: reports', () => {
  it('prints exactly one JSON object with the documented fields and no drift for data from the same distribution', async () => {
    const { stdout, exitCode } = await drift('--baseline', at('train.csv'), '--current', at('same.csv'), '--json', '--categorical', 'zip');
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout) as DriftJson;
    expect(Object.keys(json).sort()).toEqual(['drifted', 'driftedShare', 'features', 'rows', 'status']);
    expect(json).toMatchObject({ status: 'OK', drifted: false, driftedShare: 0, rows: { baseline: 3_000, current: 1_500 } });
    expect(json.features.map((f) => [f.name, f.type, f.method])).toEqual([
      ['income', 'numeric', 'ks'],
      ['city', 'categorical', 'chi2'],
      ['zip', 'categorical', 'chi2'],
    ]);
    expect(Object.keys(json.features[0]).sort()).toEqual(
      ['adjustedPValue', 'drifted', 'effect', 'method', 'name', 'pValue', 'psi', 'statistic', 'type'].sort(),
    );
  });

  it('detects a 0.5σ shift of a feature, leaving the label column of a CSV baseline out', async () => {
    const { stdout } = await drift('--baseline', at('train.csv'), '--current', at('shifted.csv'), '--json');
    const json = JSON.parse(stdout) as DriftJson;
    expect(json.features.map((f) => f.name)).toEqual(['income', 'city', 'zip']);
    const income = json.features[0];
    expect(income.drifted).toBe(true);
    expect(income.effect).toBeGreaterThan(0.3);
    // Without --categorical, zip codes are numbers: profiled as numeric.
    expect(json.features[2].type).toBe('numeric');
  });

  it('reads a baseline.json written by a run', async () => {
    const { stdout, exitCode } = await drift('--baseline', at('baseline.json'), '--current', at('shifted.csv'), '--json');
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout) as DriftJson;
    expect(json.rows.baseline).toBe(3_000);
    expect(json.features.find((f) => f.name === 'income')?.drifted).toBe(true);
  });

  it('prints a table with one row per feature and the verdict', async () => {
    const { stdout } = await drift('--baseline', at('baseline.json'), '--current', at('shifted.csv'));
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^feature\s+type\s+method\s+effect\s+statistic\s+p-value\s+adj\. p\s+PSI\s+drifted$/);
    expect(lines[1]).toMatch(/^income\s+numeric\s+ks\s+0\.\d{3}\s+0\.\d{3}\s+\S+\s+\S+\s+\d\.\d{3}\s+yes$/);
    expect(stdout).toMatch(/Dataset drift: (yes|no) — 1 of 3 features drifted \(share 0\.33, threshold 0\.5; baseline 3000 rows, current 1500 rows\)\./);
  });

  it('takes the threshold from --threshold', async () => {
    const { stdout } = await drift('--baseline', at('baseline.json'), '--current', at('shifted.csv'), '--json', '--threshold', '5');
    expect((JSON.parse(stdout) as DriftJson).features.every((f) => !f.drifted)).toBe(true);
  });

  it('reports INSUFFICIENT_DATA below the minimum rows instead of a verdict', async () => {
    const { stdout, exitCode } = await drift('--baseline', at('baseline.json'), '--current', at('few.csv'));
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Insufficient data: 50 current rows, at least 100 needed for a verdict');
  });

  it('compares on the common columns and says which baseline features the current file lacks', async () => {
    writeFileSync(at('income-only.csv'), csvText([['income'], ...rows(200, 5).slice(1).map((r) => [r[0]])]));
    const { stdout, stderr } = await drift('--baseline', at('baseline.json'), '--current', at('income-only.csv'), '--json');
    expect((JSON.parse(stdout) as DriftJson).features.map((f) => f.name)).toEqual(['income']);
    expect(stderr).toBe(`retrain: not in ${at('income-only.csv')}, left out: city, zip`);
  });
});

describe('retrain drift: bad input exits with code 2 and one line', () => {
  it.each([
    [['--baseline', 'missing.csv', '--current', 'same.csv'], /^retrain: --baseline .*missing\.csv: no such file$/],
    [['--baseline', 'train.csv', '--current', 'nope.csv'], /^retrain: --current .*nope\.csv: no such file$/],
    [['--baseline', 'train.csv', '--current', 'other-columns.csv'], /^retrain: no column of .*other-columns\.csv is a feature of the baseline \(features: income, city, zip; columns: a, b\)$/],
    [['--baseline', 'train.csv', '--current', 'header-only.csv'], /^retrain: .*header-only\.csv has no data rows: nothing to compare$/],
    [['--baseline', 'train.csv', '--current', 'empty.csv'], /^retrain: .*empty\.csv is empty \(0 bytes\): expected a header row$/],
    [['--baseline', 'train.csv', '--current', 'blank.csv'], /^retrain: .*blank\.csv has only blank lines: expected a header row$/],
    [['--baseline', 'train.csv', '--current', 'utf16.csv'], /^retrain: .*utf16\.csv is UTF-16 \(little-endian, byte order mark FF FE\), not UTF-8: save it as UTF-8$/],
    [['--baseline', 'utf16.csv', '--current', 'same.csv'], /^retrain: .*utf16\.csv is UTF-16 \(little-endian, byte order mark FF FE\), not UTF-8: save it as UTF-8$/],
    [['--baseline', 'train.csv', '--current', 'latin1.csv'], /^retrain: .*latin1\.csv line 2, byte offset 20: byte FC is not UTF-8; save the file as UTF-8$/],
    [['--baseline', 'broken.json', '--current', 'same.csv'], /^retrain: .*broken\.json: not JSON/],
    [['--baseline', 'train.csv', '--current', 'same.csv', '--target', 'y'], /^retrain: --target "y" is not a column of .*train\.csv/],
    [['--baseline', 'train.csv', '--current', 'same.csv', '--categorical', 'zip,nope'], /features of .*train\.csv: nope$/],
  ])('%j', async (args, message) => {
    const resolved = args.map((a, i) => (i > 0 && args[i - 1].startsWith('--') && /\.(csv|json)$/.test(a) ? at(a) : a));
    const { stdout, stderr, exitCode } = await drift(...resolved);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('exits with code 2 as a process (spawned with tsx)', () => {
    const script = join(dir, 'run-drift.ts');
    writeFileSync(
      script,
      [
        `import { Command } from ${JSON.stringify(join(ROOT, 'node_modules/commander'))};`,
        `import { registerDriftCommand } from ${JSON.stringify(join(ROOT, 'cli/drift'))};`,
        `const program = new Command('retrain');`,
        `registerDriftCommand(program);`,
        `void program.parseAsync(process.argv);`,
      ].join('\n'),
    );
    const result = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [script, 'drift', '--baseline', at('missing.csv'), '--current', at('same.csv')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`retrain: --baseline ${at('missing.csv')}: no such file`);
    expect(result.stdout).toBe('');
  });
});
