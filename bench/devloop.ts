/**
 * The developer loop: how long `cdk synth` takes (bundling every function, cdk-nag; written to
 * bench/.data so the repository's cdk.out is left alone) and, only when asked (it takes
 * minutes), how long `npm test` takes (type-check, lint, every jest suite).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { progress } from './measure';
import { DATA_DIR } from './storage';

const REPO = join(__dirname, '..');

export interface CommandTiming {
  readonly command: string;
  readonly seconds: number;
  readonly exitCode: number | null;
  /** The last lines of its output when it failed. */
  readonly outputTail?: string;
}

export interface DevLoopResult {
  readonly synth: CommandTiming;
  /** Undefined unless --with-tests. */
  readonly tests?: CommandTiming;
}

export async function benchDevLoop(options: { withTests: boolean }): Promise<DevLoopResult> {
  progress('developer loop: cdk synth');
  // No network: no notices, no telemetry (the app itself needs no AWS access).
  const synth = await timed('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', join(DATA_DIR, 'cdk.out')], { CDK_DISABLE_CLI_TELEMETRY: 'true' });
  progress(`developer loop: cdk synth ${synth.seconds.toFixed(1)} s (exit ${String(synth.exitCode)})`);
  if (!options.withTests) return { synth };
  progress('developer loop: npm test (type-check, lint, jest) — takes minutes');
  const tests = await timed('npm', ['test'], {});
  progress(`developer loop: npm test ${tests.seconds.toFixed(1)} s (exit ${String(tests.exitCode)})`);
  return { synth, tests };
}

async function timed(command: string, args: string[], env: Record<string, string>): Promise<CommandTiming> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  const text = `${command} ${args.join(' ')}`;
  return exitCode === 0 ? { command: text, seconds, exitCode } : { command: text, seconds, exitCode, outputTail: output.split('\n').slice(-30).join('\n') };
}
