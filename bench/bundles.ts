/**
 * Lambda bundles: each lambdas/<name>/handler.ts bundled with esbuild exactly as
 * lib/private/retrain-function.ts has NodejsFunction do it (bundle, platform node, target node22,
 * CommonJS, minify, source map, @aws-sdk/* external), then its size and its cold initialisation:
 * a fresh Node.js process loading the bundle with the environment the stack gives the function
 * (NODE_OPTIONS=--enable-source-maps included), median of COLD_STARTS. @aws-sdk/* is not in the
 * bundle: it resolves from the repository's node_modules, as the Lambda runtime provides it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { median, progress } from './measure';
import { DATA_DIR } from './storage';

const REPO = join(__dirname, '..');
const LAMBDAS = join(REPO, 'lambdas');
export const COLD_STARTS = 10;

/** The esbuild options NodejsFunction derives from RetrainFunction's `bundling` (see the module comment). */
export const BUNDLING: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  external: ['@aws-sdk/*'],
};

export interface BundleResult {
  readonly name: string;
  /** Minified index.js. */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** index.js and its map compressed (about the deployment package). */
  readonly compressedBytes: number;
  /** Milliseconds from process start until the handler module is loaded (median): Node.js boot plus the bundle's own init. */
  readonly coldInitMs: number;
  /** Milliseconds of require() of the bundle alone (median). */
  readonly requireMs: number;
  /** The same two without --enable-source-maps, to show what the source maps cost. */
  readonly coldInitNoSourceMapsMs: number;
  readonly requireNoSourceMapsMs: number;
}

/** One dependency bundled alone the same way, to attribute the load time of the handlers. */
export interface ComponentResult {
  readonly component: string;
  readonly bytes: number;
  /** Milliseconds of require() in a fresh process (median), with source maps enabled. */
  readonly requireMs: number;
}

export interface BundlesResult {
  readonly node: string;
  /** Milliseconds from process start to the first line of an empty script (median): Node.js's own boot on this machine. */
  readonly nodeBootMs: number;
  readonly bundles: BundleResult[];
  readonly components: ComponentResult[];
}

/** What the handlers load at init besides their own code, each bundled alone. */
const COMPONENTS: ReadonlyArray<{ readonly component: string; readonly id: string; readonly source: string; readonly external?: string[] }> = [
  {
    component: 'zod (event schemas)',
    id: 'zod',
    source: "import { z } from 'zod';\nexport const schema = z.strictObject({ runId: z.string().min(1) });\n",
  },
  {
    component: 'zod/mini, the same schema (for comparison)',
    id: 'zod-mini',
    source: "import * as z from 'zod/mini';\nexport const schema = z.strictObject({ runId: z.string().check(z.minLength(1)) });\n",
  },
  {
    component: 'Powertools Logger + Metrics + Tracer (aws-xray-sdk-core)',
    id: 'powertools',
    source:
      "import { Logger } from '@aws-lambda-powertools/logger';\nimport { Metrics } from '@aws-lambda-powertools/metrics';\n" +
      "import { Tracer } from '@aws-lambda-powertools/tracer';\nexport const o = { logger: new Logger(), metrics: new Metrics(), tracer: new Tracer() };\n",
  },
  {
    component: 'Powertools Logger + Metrics, no Tracer (for comparison)',
    id: 'powertools-no-tracer',
    source:
      "import { Logger } from '@aws-lambda-powertools/logger';\nimport { Metrics } from '@aws-lambda-powertools/metrics';\n" +
      'export const o = { logger: new Logger(), metrics: new Metrics() };\n',
  },
  {
    component: 'AWS SDK S3 client alone (external: node_modules)',
    id: 'sdk-s3',
    source: "import { S3Client } from '@aws-sdk/client-s3';\nexport const clients = [new S3Client({})];\n",
  },
  {
    component: 'AWS SDK S3 + DynamoDB clients (external: node_modules)',
    id: 'sdk',
    source:
      "import { S3Client } from '@aws-sdk/client-s3';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
      'export const clients = [new S3Client({}), new DynamoDBClient({})];\n',
  },
  {
    component: 'the same two clients bundled and minified (for comparison)',
    id: 'sdk-bundled',
    external: [],
    source:
      "import { S3Client } from '@aws-sdk/client-s3';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
      'export const clients = [new S3Client({}), new DynamoDBClient({})];\n',
  },
];

export function lambdaNames(): string[] {
  return readdirSync(LAMBDAS)
    .filter((name) => existsSync(join(LAMBDAS, name, 'handler.ts')))
    .sort();
}

const LAMBDA_NAMES = new Set(lambdaNames());

export async function benchBundles(): Promise<BundlesResult> {
  const bundles: BundleResult[] = [];
  for (const name of lambdaNames()) {
    const outfile = join(DATA_DIR, 'bundles', name, 'index.js');
    await build({ ...BUNDLING, entryPoints: [join(LAMBDAS, name, 'handler.ts')], outfile, absWorkingDir: REPO, logLevel: 'error' });
    const code = readFileSync(outfile);
    const map = readFileSync(`${outfile}.map`);
    const withMaps = await coldStarts(name, outfile, true);
    const withoutMaps = await coldStarts(name, outfile, false);
    const result: BundleResult = {
      name,
      bytes: statSync(outfile).size,
      sourceMapBytes: map.length,
      compressedBytes: gzipSync(code).length + gzipSync(map).length,
      coldInitMs: withMaps.sinceStart,
      requireMs: withMaps.require,
      coldInitNoSourceMapsMs: withoutMaps.sinceStart,
      requireNoSourceMapsMs: withoutMaps.require,
    };
    progress(
      `bundle ${name}: ${(result.bytes / 1024).toFixed(0)} KiB, cold init ${result.coldInitMs.toFixed(0)} ms ` +
        `(require ${result.requireMs.toFixed(0)} ms; without source maps ${result.coldInitNoSourceMapsMs.toFixed(0)} ms)`,
    );
    bundles.push(result);
  }
  const components: ComponentResult[] = [];
  for (const { component, id, source, external } of COMPONENTS) {
    const entry = join(DATA_DIR, 'components', `${id}.mjs`);
    mkdirSync(join(entry, '..'), { recursive: true });
    writeFileSync(entry, source);
    const outfile = join(DATA_DIR, 'components', id, 'index.js');
    await build({ ...BUNDLING, ...(external ? { external } : {}), entryPoints: [entry], outfile, absWorkingDir: REPO, logLevel: 'error' });
    const { require } = await coldStarts(id, outfile, true);
    components.push({ component, bytes: statSync(outfile).size, requireMs: require });
    progress(`bundle component ${component}: ${(statSync(outfile).size / 1024).toFixed(0)} KiB, require ${require.toFixed(0)} ms`);
  }
  const boots: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) boots.push((await runNode(EMPTY, 'node boot', { NODE_OPTIONS: '--enable-source-maps' })).sinceStart);
  return { node: process.version, nodeBootMs: median(boots), bundles, components };
}

/** An empty script: when its first line runs. */
const EMPTY = 'process.stdout.write(JSON.stringify({ sinceStart: performance.now(), require: 0 }));';

/** Loads the bundle in a fresh process and reports when it was loaded. */
const LOADER = `
const start = performance.now();
const loaded = require(process.env.BENCH_BUNDLE);
const end = performance.now();
if (process.env.BENCH_HANDLER === '1' && typeof loaded.handler !== 'function') throw new Error('the bundle exports no handler');
process.stdout.write(JSON.stringify({ sinceStart: end, require: end - start }));
`;

async function coldStarts(name: string, bundle: string, sourceMaps: boolean): Promise<{ sinceStart: number; require: number }> {
  const runs: Array<{ sinceStart: number; require: number }> = [];
  for (let i = 0; i < COLD_STARTS; i++) runs.push(await coldStart(name, bundle, sourceMaps));
  return { sinceStart: median(runs.map((r) => r.sinceStart)), require: median(runs.map((r) => r.require)) };
}

async function coldStart(name: string, bundle: string, sourceMaps: boolean): Promise<{ sinceStart: number; require: number }> {
  return runNode(LOADER, name, {
    BENCH_BUNDLE: bundle,
    BENCH_HANDLER: LAMBDA_NAMES.has(name) ? '1' : '0',
    NODE_OPTIONS: sourceMaps ? '--enable-source-maps' : '',
  });
}

async function runNode(script: string, name: string, env: Record<string, string>): Promise<{ sinceStart: number; require: number }> {
  const child = spawn(process.execPath, ['-e', script], {
    // Only what Lambda would set (nothing inherited, e.g. no tsx loader in NODE_OPTIONS).
    env: { PATH: process.env.PATH ?? '', ...lambdaEnvironment(name), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`loading the ${name} bundle exited with code ${String(code)}`);
  return JSON.parse(output) as { sinceStart: number; require: number };
}

/** The environment of the deployed function (RetrainFunction and the constructs), with placeholder resource names. */
function lambdaEnvironment(name: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `retrain-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    POWERTOOLS_SERVICE_NAME: `retrain-${name}`,
    POWERTOOLS_METRICS_NAMESPACE: 'retrain',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    DATA_BUCKET: 'retrain-data',
    STATE_TABLE: 'retrain-state',
    PROJECT_NAME: 'retrain',
    METRICS_NAMESPACE: 'retrain',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:retrain-runs',
    // The SDK's "Node.js 20 loses support" warning would not be printed on the Node.js 22 runtime.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
