/**
 * ETL throughput next to its two limits, per input size:
 * - ETL: the real core (prepareData) reading raw/ from the local S3 server and writing the
 *   splits, quarantine, baseline and manifest back to it through the project's S3 adapter;
 * - I/O limit: only streaming the same object from the same server through the same adapter;
 * - parse limit: only parsing the same bytes (from a local file) with the same CSV reader
 *   (lambdas/core/csv.ts readCsv, csv-parse underneath).
 * Each runs in its own child process; the three alternate, so that a noisy neighbour slows
 * them alike.
 */
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createS3ObjectStore } from '../lambdas/adapters/s3-object-store';
import { readCsv } from '../lambdas/core/csv';
import { prepareData, type EtlSettings, type SplitCounts } from '../lambdas/core/etl';
import { createS3rverClient } from '../test/helpers/s3rver';
import { CATEGORICAL_FEATURES, csvChunks, newStats, type GeneratedStats } from './data';
import { MB, measure, progress, runCase, type Measured } from './measure';
import { DATA_DIR, deletePrefix, freeBytes, uploadFile, writeChunks, type BenchServer } from './storage';
import { ratio, repetitions, summarize, type CaseSummary } from './summary';

/** One row in 50,000 has "n/a" in a numeric feature: the quarantine path runs too. */
export const BAD_EVERY = 50_000;

/** The dataset settings of the benchmark data (bench/data.ts), with the default limits and split. */
export const ETL_SETTINGS: Omit<EtlSettings, 'rawPrefix'> = {
  header: true,
  targetColumn: 'label',
  idColumn: 'id',
  categoricalFeatures: [...CATEGORICAL_FEATURES],
  problemType: 'binary',
  maxQuarantineShare: 0.01,
  minRows: 100,
  split: { train: 0.7, validation: 0.15, test: 0.15 },
};

/** Free disk needed for an input of this size: the file, the raw object, the outputs and multipart parts in flight. */
export function diskNeeded(bytes: number): number {
  return 5 * bytes + 1024 * MB;
}

export interface EtlSizeResult {
  readonly sizeMb: number;
  readonly generated: GeneratedStats;
  readonly generateSeconds: number;
  readonly uploadSeconds: number;
  readonly io: CaseSummary;
  readonly parse: CaseSummary;
  readonly etl: CaseSummary & { readonly split: SplitCounts };
  /** ETL throughput ÷ I/O-limit throughput. */
  readonly etlToIo: number;
  /** ETL throughput ÷ parse-limit throughput. */
  readonly etlToParse: number;
}

export interface EtlResult {
  readonly sizes: EtlSizeResult[];
  readonly skipped: Array<{ readonly sizeMb: number; readonly reason: string }>;
}

export async function benchEtl(server: BenchServer, sizesMb: readonly number[]): Promise<EtlResult> {
  const sizes: EtlSizeResult[] = [];
  const skipped: EtlResult['skipped'] = [];
  for (const sizeMb of sizesMb) {
    const bytes = sizeMb * MB;
    const free = freeBytes();
    if (free < diskNeeded(bytes)) {
      const reason = `needs ${(diskNeeded(bytes) / 1e9).toFixed(1)} GB of free disk, ${(free / 1e9).toFixed(1)} GB available`;
      progress(`ETL ${sizeMb} MB: skipped — ${reason}`);
      skipped.push({ sizeMb, reason });
      continue;
    }
    sizes.push(await benchSize(server, sizeMb));
  }
  return { sizes, skipped };
}

async function benchSize(server: BenchServer, sizeMb: number): Promise<EtlSizeResult> {
  const path = join(DATA_DIR, `etl-${sizeMb}mb.csv`);
  const rawPrefix = `raw-${sizeMb}mb/`;
  const key = `${rawPrefix}data.csv`;
  try {
    progress(`ETL ${sizeMb} MB: generating ${path}`);
    const generated = newStats();
    let started = performance.now();
    await writeChunks(path, csvChunks({ bytes: sizeMb * MB, badEvery: BAD_EVERY }, generated));
    const generateSeconds = (performance.now() - started) / 1000;
    progress(`ETL ${sizeMb} MB: ${generated.rows} rows generated in ${generateSeconds.toFixed(1)} s; uploading`);
    started = performance.now();
    await uploadFile(server.store, key, path, 'text/csv');
    const uploadSeconds = (performance.now() - started) / 1000;

    const reps = repetitions(generated.bytes);
    const io: Array<Measured<unknown>> = [];
    const parse: Array<Measured<unknown>> = [];
    const etl: Array<Measured<EtlRunOutput>> = [];
    for (let rep = 1; rep <= reps; rep++) {
      const tag = `ETL ${sizeMb} MB (run ${rep}/${reps})`;
      io.push(await runCase<Measured<IoOutput>>('etl-io', { endpoint: server.endpoint, bucket: server.bucket, key }));
      progress(`${tag}: I/O limit ${io[io.length - 1].seconds.toFixed(2)} s`);
      parse.push(await runCase<Measured<ParseOutput>>('etl-parse', { path }));
      progress(`${tag}: parse limit ${parse[parse.length - 1].seconds.toFixed(2)} s`);
      const runId = `bench-${sizeMb}mb-${rep}`;
      etl.push(await runCase<Measured<EtlRunOutput>>('etl-run', { endpoint: server.endpoint, bucket: server.bucket, rawPrefix, runId }));
      progress(`${tag}: ETL ${etl[etl.length - 1].seconds.toFixed(2)} s`);
      await deletePrefix(server, `runs/${runId}/`);
      await deletePrefix(server, `quarantine/${runId}/`);
    }
    checkRows(generated, etl[etl.length - 1].result.rows);
    const work = { bytes: generated.bytes, rows: generated.rows };
    const ioSummary = summarize(io, work);
    const parseSummary = summarize(parse, work);
    const etlSummary = { ...summarize(etl, work), split: etl[etl.length - 1].result.rows };
    return {
      sizeMb,
      generated,
      generateSeconds,
      uploadSeconds,
      io: ioSummary,
      parse: parseSummary,
      etl: etlSummary,
      etlToIo: ratio(etlSummary, ioSummary),
      etlToParse: ratio(etlSummary, parseSummary),
    };
  } finally {
    rmSync(path, { force: true });
    await deletePrefix(server, rawPrefix);
  }
}

/** The ETL must have read what was generated, or the figures measure something else. */
function checkRows(generated: GeneratedStats, rows: SplitCounts): void {
  if (rows.read !== generated.rows || rows.quarantined !== generated.badRows) {
    throw new Error(
      `the ETL read ${rows.read} rows (${rows.quarantined} quarantined), the generator wrote ${generated.rows} (${generated.badRows} bad)`,
    );
  }
}

// ----------------------------------------------------------------- child cases

interface IoOutput {
  readonly bytes: number;
}

export async function etlIoCase(input: { endpoint: string; bucket: string; key: string }): Promise<Measured<IoOutput>> {
  const store = createS3ObjectStore(createS3rverClient(input.endpoint), input.bucket);
  return measure(async () => {
    const { body } = await store.read(input.key);
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) bytes += chunk.length;
    return { bytes };
  });
}

interface ParseOutput {
  readonly records: number;
  readonly fields: number;
}

export async function etlParseCase(input: { path: string }): Promise<Measured<ParseOutput>> {
  return measure(async () => {
    let records = 0;
    let fields = 0;
    for await (const batch of readCsv(createReadStream(input.path), input.path)) {
      records += batch.length;
      for (const item of batch) if (item.ok) fields += item.fields.length;
    }
    return { records, fields };
  });
}

interface EtlRunOutput {
  readonly rows: SplitCounts;
  readonly bytes: number;
}

export async function etlRunCase(input: { endpoint: string; bucket: string; rawPrefix: string; runId: string }): Promise<Measured<EtlRunOutput>> {
  const store = createS3ObjectStore(createS3rverClient(input.endpoint), input.bucket);
  return measure(async () => {
    const prepared = await prepareData({ store }, { runId: input.runId, now: new Date(), settings: { ...ETL_SETTINGS, rawPrefix: input.rawPrefix } });
    return { rows: prepared.rows, bytes: prepared.bytes };
  });
}
