/**
 * The ETL core on a large CSV through a real S3 API: s3rver runs in one child process; the ETL
 * runs in another, outside jest's VM sandbox — where every global lookup (Math, Buffer, Number)
 * in csv-parse's per-byte loop is several times slower than in Lambda — so the time and memory
 * measured are the ETL's own. The CSV is generated as a stream straight into the bucket, and
 * the outputs are counted as streams: nothing holds the data in memory, and the test checks
 * that the ETL does not either.
 *
 * Size: ETL_LARGE_MB megabytes of CSV (default 200).
 *
 * This file is also the child's program: run with ETL_LARGE_WORKER=1, it generates the file,
 * runs the ETL while sampling memory, and prints its measurements as one JSON line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../../lambdas/adapters/ports';
import { createS3ObjectStore } from '../../lambdas/adapters/s3-object-store';
import { prepareData, runKeys, type Manifest, type PreparedData } from '../../lambdas/core/etl';
import { etlSettings, LARGE_CSV_CATEGORICAL, LARGE_CSV_HEADER, largeCsvStream, type GeneratedCsvStats } from '../helpers/csv';
import { createS3rverClient, startS3rverProcess, type S3rverHandle } from '../helpers/s3rver';

const MEGABYTES = Number(process.env.ETL_LARGE_MB ?? 200);
/** Largest growth of RSS and of the JS heap over their values when the ETL starts. */
const MEMORY_BOUND = 200 * 1024 * 1024;
const BAD_EVERY = 5_000;
const RUN = 'large-1';
const KEYS = runKeys(RUN);
const BUCKET = 'retrain-data';

/** What the worker prints. */
interface Measurements {
  readonly generated: GeneratedCsvStats;
  readonly generateSeconds: number;
  readonly result: PreparedData;
  readonly etlSeconds: number;
  readonly cpuSeconds: number;
  readonly rssGrowth: number;
  readonly heapGrowth: number;
  readonly startRss: number;
}

if (process.env.ETL_LARGE_WORKER === '1') {
  runWorker().then(
    (measurements) => process.stdout.write(`${JSON.stringify(measurements)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
} else {
  describe('etl: a large CSV through S3', () => {
    let server: S3rverHandle;
    let store: ObjectStore;
    let measured: Measurements;

    beforeAll(async () => {
      server = await startS3rverProcess();
      await server.createBucket(BUCKET);
      store = createS3ObjectStore(server.client(), BUCKET);
      measured = await runInWorker(server.endpoint);
      const { generated, result, etlSeconds, cpuSeconds, rssGrowth, heapGrowth } = measured;
      const mb = generated.bytes / 1e6;
      console.log(
        `ETL of ${mb.toFixed(0)} MB (${generated.rows} rows) through s3rver: ${etlSeconds.toFixed(1)} s ` +
          `(${cpuSeconds.toFixed(1)} s CPU), ${Math.round(generated.rows / etlSeconds)} rows/s, ${(mb / etlSeconds).toFixed(1)} MB/s; ` +
          `generating took ${measured.generateSeconds.toFixed(1)} s; ` +
          `peak growth: RSS ${mib(rssGrowth)} MiB, heap ${mib(heapGrowth)} MiB; split ${JSON.stringify(result.rows)}`,
      );
    }, 600_000);

    afterAll(async () => {
      await server?.stop();
    });

    it('reads every row: valid and rejected rows add up to the rows generated', () => {
      const { generated, result } = measured;

      expect(result.rows).toMatchObject({ read: generated.rows, quarantined: generated.badRows, valid: generated.rows - generated.badRows });
      expect(result.rows.train + result.rows.validation + result.rows.test).toBe(result.rows.valid);
      expect(result.features).toEqual(LARGE_CSV_HEADER.filter((c) => c !== 'id' && c !== 'label'));
    });

    it('keeps memory bounded whatever the data size', () => {
      expect(measured.rssGrowth).toBeLessThan(MEMORY_BOUND);
      expect(measured.heapGrowth).toBeLessThan(MEMORY_BOUND);
    });

    it('writes as many lines to each output as it reports', async () => {
      const { result, generated } = measured;

      const [train, validation, test, quarantined] = await Promise.all(
        [KEYS.train, KEYS.validation, KEYS.test, KEYS.quarantine].map((key) => countLines(store, key)),
      );

      expect({ train, validation, test }).toEqual({ train: result.rows.train, validation: result.rows.validation, test: result.rows.test });
      expect(quarantined).toBe(generated.badRows);
      expect(await firstLine((await store.read(KEYS.train)).body)).toMatch(/^[01](,[^,]*){10}$/);
    });

    it('records the object it read in the manifest', async () => {
      const manifest = JSON.parse(await streamText((await store.read(KEYS.manifest)).body)) as Manifest;

      expect(manifest).toMatchObject({ status: 'succeeded', files: [{ key: 'raw/large.csv', size: measured.generated.bytes }] });
    });
  });
}

/** Runs this file as the worker against the server; resolves with what it printed. */
async function runInWorker(endpoint: string): Promise<Measurements> {
  const tsx = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, __filename], {
    env: { ...process.env, ETL_LARGE_WORKER: '1', ETL_LARGE_ENDPOINT: endpoint, ETL_LARGE_MB: String(MEGABYTES) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the ETL worker exited with code ${String(code)}`);
  return JSON.parse(output) as Measurements;
}

async function runWorker(): Promise<Measurements> {
  const client = createS3rverClient(process.env.ETL_LARGE_ENDPOINT ?? '');
  const store = createS3ObjectStore(client, BUCKET);
  try {
    const generating = process.hrtime.bigint();
    const { stream, stats } = largeCsvStream({ bytes: MEGABYTES * 1_000_000, badEvery: BAD_EVERY });
    await store.write('raw/large.csv', stream, { contentType: 'text/csv' });
    const generateSeconds = seconds(generating);

    const startMemory = process.memoryUsage();
    let peakRss = startMemory.rss;
    let peakHeap = startMemory.heapUsed;
    const sample = () => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    };
    const timer = setInterval(sample, 50);
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    try {
      const result = await prepareData(
        { store },
        { runId: RUN, now: new Date(), settings: etlSettings({ idColumn: 'id', categoricalFeatures: LARGE_CSV_CATEGORICAL, minRows: 100 }) },
      );
      sample();
      const used = process.cpuUsage(cpu);
      return {
        generated: stats,
        generateSeconds,
        result,
        etlSeconds: seconds(started),
        cpuSeconds: (used.user + used.system) / 1e6,
        rssGrowth: peakRss - startMemory.rss,
        heapGrowth: peakHeap - startMemory.heapUsed,
        startRss: startMemory.rss,
      };
    } finally {
      clearInterval(timer);
    }
  } finally {
    client.destroy();
  }
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}

/** Lines of an object, counted as it streams. */
async function countLines(store: ObjectStore, key: string): Promise<number> {
  const { body } = await store.read(key);
  let count = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count += 1;
  }
  return count;
}

async function firstLine(body: Readable): Promise<string> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    body.destroy();
    return chunk.toString('utf8').split('\n')[0];
  }
  return '';
}

async function streamText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
