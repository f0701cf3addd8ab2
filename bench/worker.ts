/**
 * The child process of one benchmark case (see measure.ts): `node --import tsx bench/worker.ts
 * <case>` with the case's input as JSON in BENCH_INPUT. Only the case's own module is loaded,
 * so the memory measured is the case's. Prints one result line.
 */
import { RESULT_MARKER } from './measure';

type CaseFunction = (input: never) => Promise<unknown>;

const CASES: Record<string, () => Promise<CaseFunction>> = {
  'etl-io': async () => (await import('./etl')).etlIoCase,
  'etl-parse': async () => (await import('./etl')).etlParseCase,
  'etl-run': async () => (await import('./etl')).etlRunCase,
  'drift-io': async () => (await import('./drift')).driftIoCase,
  'drift-parse': async () => (await import('./drift')).driftParseCase,
  'drift-run': async () => (await import('./drift')).driftRunCase,
  evaluate: async () => (await import('./evaluate')).evaluateCase,
  'local-run': async () => (await import('./local-run')).localRunCase,
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const load = CASES[name];
  if (!load) throw new Error(`unknown benchmark case "${name}" (known: ${Object.keys(CASES).join(', ')})`);
  const run = await load();
  const result = await run(JSON.parse(process.env.BENCH_INPUT ?? '{}') as never);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().then(
  // Open handles (sockets of the S3 client, timers of local mode) must not keep the case alive.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
