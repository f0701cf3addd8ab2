/**
 * The local CLI's user errors: one line on stderr (`retrain: …`), a non-zero exit code, never a
 * stack trace. Commands run through commander in-process (createProgram from bin/retrain.ts);
 * one runs as a real child process, to see what a person sees in the terminal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createProgram } from '../../bin/retrain';
import type { LocalRetrain } from '../../local/runner';
import { openLocal } from '../helpers/local';
import { finishAndClose, prepareCliDirectory, SCENARIO_CONFIG } from '../helpers/local-scenarios';

const REPO_ROOT = resolve(__dirname, '../..');

/** Runs `retrain <args>` in-process; returns what it printed and the exit code it set. */
async function retrain(args: string[], options: { cwd?: string } = {}): Promise<{ stdout: string[]; stderr: string[]; exitCode: number }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(parts.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(parts.join(' ')));
  const cwd = process.cwd();
  try {
    if (options.cwd) process.chdir(options.cwd);
    process.exitCode = undefined;
    await createProgram()
      .exitOverride()
      .parseAsync(['node', 'retrain', ...args]);
    return { stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = undefined;
    process.chdir(cwd);
    log.mockRestore();
    error.mockRestore();
  }
}

/** Runs `tsx bin/retrain.ts <args>` as a child process in `cwd`. */
function spawnRetrain(args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const tsxCli = createRequire(__filename).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsxCli, join(REPO_ROOT, 'bin', 'retrain.ts'), ...args], {
    cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ stdout, stderr, code }));
  });
}

describe('local CLI: user errors are one line and an exit code', () => {
  const dirs: string[] = [];
  /** Where the configuration and its template come from (nothing runs in it). */
  let source: LocalRetrain;
  /** A directory with the configuration and the cached template, as a first command leaves it. */
  let project: { dir: string; configPath: string; stateDir: string };

  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'retrain-cli-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    ({ local: source } = await openLocal(SCENARIO_CONFIG));
    const dir = tempDir();
    project = { dir, ...prepareCliDirectory(dir, source) };
  });

  afterAll(async () => {
    await finishAndClose(source);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('local upload of a file that does not exist', async () => {
    const result = await retrain(['local', '--dir', project.stateDir, '--config', project.configPath, 'upload', join(project.dir, 'missing.csv')]);

    expect(result.stderr).toEqual([`retrain: no such file: ${join(project.dir, 'missing.csv')}`]);
    expect(result.stdout).toEqual([]);
    expect(result.exitCode).toBe(1);
  });

  it('local invoke before anything is deployed', async () => {
    const result = await retrain(['local', '--dir', project.stateDir, '--config', project.configPath, 'invoke', '1,2']);

    expect(result.stderr).toEqual([expect.stringMatching(/^retrain: nothing is deployed yet: /)]);
    expect(result.stdout).toEqual([]);
    expect(result.exitCode).toBe(1);
  });

  // Bug (lib/private/retrain-function.ts): outside the repository, local mode cannot synthesize
  // the template — NodejsFunction looks for a package lock file from the working directory
  // (CannotFindPackageLockFile) and the CLI prints a stack trace. See the helper report; turn
  // into `it` once RetrainFunction passes projectRoot and depsLockFilePath.
  it('local invoke in a fresh directory outside the repository, where the template must be synthesized', async () => {
    const dir = tempDir();
    prepareCliDirectory(dir, source, { cacheTemplate: false });

    const result = await retrain(['local', 'invoke', '1,2'], { cwd: dir });

    expect(result.stderr).toEqual([expect.stringMatching(/^retrain: nothing is deployed yet: /)]);
    expect(result.exitCode).toBe(1);
  });

  it('prints the same single line from a real process, with no stack trace', async () => {
    const result = await spawnRetrain(['local', 'invoke', '1,2'], project.dir);

    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^retrain: nothing is deployed yet: upload data/)]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  }, 60_000);
});
