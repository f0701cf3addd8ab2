/**
 * Drift monitor throughput next to its two limits, per window size (captured rows):
 * - drift monitor: the real core (runDriftMonitor) over one window of SageMaker Data Capture
 *   files on the local S3 server, against a champion's baseline.json and schema.json;
 * - I/O limit: only listing and streaming the same capture objects through the same adapter;
 * - parse limit: only reading the same bytes (local files) into capture records with the same
 *   reader (lambdas/core/capture.ts readCaptureRecords: lines, JSON, CSV row).
 */
import { createReadStream, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createS3ObjectStore } from '../lambdas/adapters/s3-object-store';
import { captureHourPrefixes, newCaptureStats, readCaptureRecords } from '../lambdas/core/capture';
import { DEFAULT_DRIFT_SETTINGS } from '../lambdas/core/drift';
import { DRIFT_MONITOR_KEY, runDriftMonitor, type DriftMonitorState } from '../lambdas/core/drift-monitor';
import { CHAMPION_KEY } from '../lambdas/core/promote';
import type { Champion } from '../lambdas/core/types';
import { MemoryMetrics } from '../test/helpers/memory';
import { MemoryStateStore } from '../test/helpers/memory-state-store';
import { createS3rverClient } from '../test/helpers/s3rver';
import { captureBaseline, captureChunks, captureSchema, newStats, type GeneratedStats } from './data';
import { measure, progress, runCase, type Measured } from './measure';
import { DATA_DIR, deletePrefix, uploadFile, writeChunks, type BenchServer } from './storage';
import { ratio, repetitions, summarize, type CaseSummary } from './summary';

/** Records per capture file (SageMaker writes many smaller files; the count barely matters here). */
export const FILE_ROWS = 100_000;
const ENDPOINT = 'bench-endpoint';
const CHAMPION_RUN = 'bench-champion';
const BASELINE_KEY = `runs/${CHAMPION_RUN}/baseline.json`;
const SCHEMA_KEY = `runs/${CHAMPION_RUN}/schema.json`;

export interface DriftSizeResult {
  readonly rows: number;
  readonly files: number;
  readonly generated: GeneratedStats;
  readonly io: CaseSummary;
  readonly parse: CaseSummary;
  readonly monitor: CaseSummary & { readonly status: string; readonly rowsInWindow: number };
  readonly monitorToIo: number;
  readonly monitorToParse: number;
}

export interface DriftResult {
  readonly sizes: DriftSizeResult[];
}

export async function benchDrift(server: BenchServer, windows: readonly number[]): Promise<DriftResult> {
  await server.store.write(BASELINE_KEY, JSON.stringify(captureBaseline(CHAMPION_RUN)), { contentType: 'application/json' });
  await server.store.write(SCHEMA_KEY, JSON.stringify(captureSchema(CHAMPION_RUN)), { contentType: 'application/json' });
  const sizes: DriftSizeResult[] = [];
  try {
    for (const rows of windows) sizes.push(await benchWindow(server, rows));
  } finally {
    await deletePrefix(server, `runs/${CHAMPION_RUN}/`);
  }
  return { sizes };
}

async function benchWindow(server: BenchServer, rows: number): Promise<DriftSizeResult> {
  const dir = join(DATA_DIR, `capture-${rows}`);
  const capturePrefix = `capture-${rows}/`;
  // The previous window ended just before these files were uploaded, so the next run reads all of them.
  const windowStart = new Date(Date.now() - 5_000).toISOString();
  try {
    progress(`drift ${rows} rows: generating capture files in ${dir}`);
    const generated = newStats();
    const now = new Date();
    const hourPrefix = captureHourPrefixes(ENDPOINT, 'AllTraffic', now, now, capturePrefix)[0];
    const files = Math.ceil(rows / FILE_ROWS);
    for (let f = 0; f < files; f++) {
      const path = join(dir, `part-${String(f).padStart(3, '0')}.jsonl`);
      const count = Math.min(FILE_ROWS, rows - f * FILE_ROWS);
      await writeChunks(path, captureChunks({ rows: count, first: f * FILE_ROWS, inferenceTime: now.toISOString() }, generated));
      await uploadFile(server.store, `${hourPrefix}part-${String(f).padStart(3, '0')}.jsonl`, path, 'application/jsonl');
    }
    progress(`drift ${rows} rows: ${files} files, ${(generated.bytes / 1e6).toFixed(0)} MB uploaded`);

    const reps = repetitions(generated.bytes);
    const io: Array<Measured<unknown>> = [];
    const parse: Array<Measured<unknown>> = [];
    const monitor: Array<Measured<MonitorOutput>> = [];
    for (let rep = 1; rep <= reps; rep++) {
      const tag = `drift ${rows} rows (run ${rep}/${reps})`;
      io.push(await runCase<Measured<unknown>>('drift-io', { endpoint: server.endpoint, bucket: server.bucket, capturePrefix }));
      progress(`${tag}: I/O limit ${io[io.length - 1].seconds.toFixed(2)} s`);
      parse.push(await runCase<Measured<unknown>>('drift-parse', { dir }));
      progress(`${tag}: parse limit ${parse[parse.length - 1].seconds.toFixed(2)} s`);
      monitor.push(
        await runCase<Measured<MonitorOutput>>('drift-run', { endpoint: server.endpoint, bucket: server.bucket, capturePrefix, windowStart }),
      );
      progress(`${tag}: drift monitor ${monitor[monitor.length - 1].seconds.toFixed(2)} s`);
    }
    const last = monitor[monitor.length - 1].result;
    if (last.rows !== generated.rows) {
      throw new Error(`the drift monitor read ${last.rows} rows of the window, ${generated.rows} were captured (status ${last.status})`);
    }
    const work = { bytes: generated.bytes, rows: generated.rows };
    const ioSummary = summarize(io, work);
    const parseSummary = summarize(parse, work);
    const monitorSummary = { ...summarize(monitor, work), status: last.status, rowsInWindow: last.rows };
    return {
      rows,
      files,
      generated,
      io: ioSummary,
      parse: parseSummary,
      monitor: monitorSummary,
      monitorToIo: ratio(monitorSummary, ioSummary),
      monitorToParse: ratio(monitorSummary, parseSummary),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await deletePrefix(server, capturePrefix);
  }
}

// ----------------------------------------------------------------- child cases

export async function driftIoCase(input: { endpoint: string; bucket: string; capturePrefix: string }): Promise<Measured<{ bytes: number }>> {
  const store = createS3ObjectStore(createS3rverClient(input.endpoint), input.bucket);
  return measure(async () => {
    let bytes = 0;
    for await (const object of store.list(input.capturePrefix)) {
      const { body } = await store.read(object.key);
      for await (const chunk of body as AsyncIterable<Buffer>) bytes += chunk.length;
    }
    return { bytes };
  });
}

export async function driftParseCase(input: { dir: string }): Promise<Measured<{ records: number }>> {
  return measure(async () => {
    const stats = newCaptureStats();
    let records = 0;
    for (const name of readdirSync(input.dir).sort()) {
      for await (const record of readCaptureRecords(createReadStream(join(input.dir, name)), stats, name)) {
        if (record.features.length > 0) records += 1;
      }
    }
    return { records };
  });
}

interface MonitorOutput {
  readonly status: string;
  readonly rows: number;
}

export async function driftRunCase(input: {
  endpoint: string;
  bucket: string;
  capturePrefix: string;
  windowStart: string;
}): Promise<Measured<MonitorOutput>> {
  const objects = createS3ObjectStore(createS3rverClient(input.endpoint), input.bucket);
  const end = new Date();
  const clock = { now: () => end };
  const state = new MemoryStateStore(clock);
  const champion: Champion = {
    runId: CHAMPION_RUN,
    modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/bench/1',
    modelName: `bench-${CHAMPION_RUN}`,
    endpointConfigName: `bench-${CHAMPION_RUN}`,
    metric: { name: 'auc', value: 0.8 },
    baselineUri: `s3://${input.bucket}/${BASELINE_KEY}`,
    schemaUri: `s3://${input.bucket}/${SCHEMA_KEY}`,
    since: '2026-01-01T00:00:00.000Z',
  };
  await state.put({ ...CHAMPION_KEY, data: champion }, { ifAbsent: true });
  const previous: DriftMonitorState = { windowEnd: input.windowStart, championRunId: CHAMPION_RUN, status: 'OK' };
  await state.put({ ...DRIFT_MONITOR_KEY, data: previous }, { ifAbsent: true });
  return measure(async () => {
    const { report } = await runDriftMonitor(
      { objects, state, clock, metrics: new MemoryMetrics() },
      { projectName: 'bench', endpointName: ENDPOINT, drift: DEFAULT_DRIFT_SETTINGS, capturePrefix: input.capturePrefix },
    );
    return { status: report.status, rows: report.rows.current };
  });
}
