/**
 * How every benchmark case is measured: in a child process of its own (`node --import tsx
 * bench/worker.ts <case>`), outside any test sandbox, so that its time and peak memory are the
 * case's alone — the parent, the S3 server and the other cases run in other processes. The
 * child prints one result line; the parent reads it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The line a worker prints its result on starts with this. */
export const RESULT_MARKER = '@@bench-result ';

const WORKER = join(__dirname, 'worker.ts');

/** What measuring a piece of work in the current process found. */
export interface Measured<T> {
  readonly result: T;
  /** Wall-clock seconds of the work. */
  readonly seconds: number;
  /** User + system CPU seconds of this process during the work (all its threads). */
  readonly cpuSeconds: number;
  /** RSS when the work started, in bytes. */
  readonly startRssBytes: number;
  /** Peak RSS of the process over its whole life (getrusage maxrss), in bytes. */
  readonly peakRssBytes: number;
  /** Highest JS heap in use seen while sampling every SAMPLE_MS, in bytes. */
  readonly peakHeapBytes: number;
  /** Highest memory of ArrayBuffers (Buffers: stream chunks, upload parts) seen while sampling, in bytes. */
  readonly peakBuffersBytes: number;
}

/** How often memory is sampled while work runs (a busy event loop may sample less often). */
const SAMPLE_MS = 25;

/** Times `work` and reports the process's peak RSS once it is done. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const startRssBytes = process.memoryUsage.rss();
  let peakHeapBytes = 0;
  let peakBuffersBytes = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakHeapBytes = Math.max(peakHeapBytes, usage.heapUsed);
    peakBuffersBytes = Math.max(peakBuffersBytes, usage.arrayBuffers);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let result: T;
  try {
    result = await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  sample();
  return {
    result,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    startRssBytes,
    // maxRSS is in kilobytes on Linux and macOS.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes,
    peakBuffersBytes,
  };
}

/** Runs one case in a fresh child process and returns what it printed. */
export async function runCase<T>(name: string, input: unknown): Promise<T> {
  const tsx = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, WORKER, name], {
    // The SDK warns once per process that Node.js 20 will lose support; the run says which Node it used.
    env: { ...process.env, BENCH_INPUT: JSON.stringify(input), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const line = output.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`benchmark case "${name}" exited with ${signal ?? `code ${String(code)}`} and ${line ? 'a result' : 'no result'}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const MB = 1_000_000;
export const MIB = 1024 * 1024;

/** Prints a progress line (the run takes minutes). */
export function progress(message: string): void {
  const time = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[bench ${time}] ${message}\n`);
}
