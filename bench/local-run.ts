/**
 * What one happy-path run consists of, counted from a local execution of the synthesized state
 * machine (local/runner.ts LocalRetrain): the states each execution entered (state transitions),
 * every Lambda invocation with its duration measured here, and the function memory sizes and
 * instance types from the template and configuration. Two manual runs on the repository's
 * configuration: the first (no champion yet) and one with a champion (the steady state).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parseConfig, type RetrainConfigInput } from '../lib/config';
import { DataGenerator } from '../local/data-generator';
import { Intrinsics } from '../local/intrinsics';
import { LocalRetrain } from '../local/runner';
import type { ExecutionRecord } from '../local/state-machine';
import { waitLoopStates, type RunInputs, type StateMachineDefinition } from './cost';
import { progress, runCase } from './measure';
import { DATA_DIR } from './storage';

const REPO = join(__dirname, '..');
/**
 * Rows uploaded before each run: the second run has more data, so its candidate beats the champion
 * and is deployed (the happy path with a champion); small enough to run in seconds.
 */
const FIRST_ROWS = 1_500;
const SECOND_ROWS = 8_000;

export interface LocalInvocation {
  /** Folder name under lambdas/ (admit, etl, ...). */
  readonly fn: string;
  readonly ms: number;
  /** Rows the ETL read (ETL invocations only). */
  readonly rows?: number;
}

export interface LocalRun {
  readonly label: string;
  /** Whether a champion was serving when the run started (two batch transforms, a blue/green update). */
  readonly withChampion: boolean;
  readonly status: string;
  /** The run's outcome as Finalize recorded it (deployed, rejected, ...). */
  readonly outcome: string;
  readonly states: string[];
  readonly invocations: LocalInvocation[];
}

export interface LocalRunResult {
  readonly configFile: string;
  /** What the cost model prices, plus the deployment strategy it reports. */
  readonly config: RunInputs['config'] & { readonly strategy: string; readonly waitIntervalSeconds: number };
  /** Lambda functions of the template: folder name, memory (MB), timeout (s). */
  readonly functions: Array<{ readonly fn: string; readonly memoryMb: number; readonly timeoutSeconds: number }>;
  /** States of each wait loop of the definition, and the endpoint poll interval. */
  readonly waitLoops: string[][];
  readonly endpointPollSeconds: number;
  readonly runs: LocalRun[];
}

export async function benchLocalRun(): Promise<LocalRunResult> {
  progress('cost: a local execution of the synthesized state machine (two happy-path runs)');
  const result = await runCase<LocalRunResult>('local-run', {});
  for (const run of result.runs) {
    progress(`cost: ${run.label}: ${run.status}/${run.outcome}, ${run.states.length} states, ${run.invocations.length} Lambda invocations`);
  }
  return result;
}

/** The repository's configuration with the local data's columns (local/data-generator.ts) and no new-data rule (runs are started by hand). */
function benchConfig(configFile: string) {
  const input = parseJsonc(readFileSync(configFile, 'utf8')) as RetrainConfigInput;
  return parseConfig(
    {
      ...input,
      project: { name: 'bench' },
      dataset: { ...input.dataset, idColumn: 'id', categoricalFeatures: ['plan', 'region'], targetColumn: 'label', problemType: 'binary' },
      triggers: { ...input.triggers, newData: { ...input.triggers?.newData, enabled: false } },
    },
    configFile,
  );
}

export async function localRunCase(): Promise<LocalRunResult> {
  const configFile = join(REPO, 'retrain.config.json');
  const config = benchConfig(configFile);
  const root = join(DATA_DIR, 'local');
  rmSync(root, { recursive: true, force: true });
  const local = await LocalRetrain.open({
    root,
    config,
    start: new Date('2026-03-02T09:00:00.000Z'),
    // Synthesize this configuration in-process rather than read a cdk.out made from another one.
    cdkOut: join(DATA_DIR, 'no-cdk-out'),
    assemblyCache: join(DATA_DIR, 'assemblies'),
  });
  try {
    const prefix = `${config.project.name}-`;
    let invocations: LocalInvocation[] = [];
    for (const [name, handler] of Object.entries(local.functions)) {
      const fn = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      local.functions[name] = async (event) => {
        const started = performance.now();
        const output = await handler(event);
        const rows = fn === 'etl' ? (output as { rows?: { read?: number } } | undefined)?.rows?.read : undefined;
        invocations.push({ fn, ms: performance.now() - started, ...(rows === undefined ? {} : { rows }) });
        return output;
      };
    }
    const runs: LocalRun[] = [];
    const run = async (label: string, seed: number, rows: number) => {
      const withChampion = (await local.champion()) !== undefined;
      await local.upload(`raw/bench-${seed}.csv`, new DataGenerator({ seed }).csv(rows));
      invocations = [];
      const record = local.startRun({});
      await local.settle();
      runs.push({ label, withChampion, status: record.status, outcome: outcomeOf(record), states: [...record.states], invocations });
    };
    await run('first run (no champion)', 1, FIRST_ROWS);
    local.advance(24 * 3600);
    await run('run with a champion', 2, SECOND_ROWS);

    const template = local.assembly.template;
    const intrinsics = new Intrinsics(template, local.env);
    const machineId = intrinsics.find('AWS::StepFunctions::StateMachine') ?? '';
    const definition = JSON.parse(String(intrinsics.resolve(template.Resources[machineId].Properties?.DefinitionString))) as StateMachineDefinition;
    const poll = definition.States['Wait for endpoint'] as { Seconds?: number } | undefined;
    const functions = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.FunctionName ?? '').startsWith(prefix))
      .map((r) => ({
        fn: String(r.Properties?.FunctionName).slice(prefix.length),
        memoryMb: Number(r.Properties?.MemorySize ?? 128),
        timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
      }));
    const d = config.deployment;
    return {
      configFile: 'retrain.config.json',
      config: {
        trainingInstanceType: config.training.instanceType,
        trainingInstanceCount: config.training.instanceCount,
        numRound: Number(config.training.hyperparameters.num_round ?? 100),
        transformInstanceType: config.evaluation.transformInstanceType,
        endpointInstanceType: d.instanceType,
        endpointInstanceCount: d.instanceCount,
        serverless: d.serverless !== undefined,
        strategy: d.strategy.type,
        terminationWaitSeconds: d.strategy.terminationWaitSeconds,
        waitIntervalSeconds: d.strategy.waitIntervalSeconds,
      },
      functions,
      waitLoops: waitLoopStates(definition),
      endpointPollSeconds: poll?.Seconds ?? 30,
      runs,
    };
  } finally {
    await local.close();
  }
}

function outcomeOf(record: ExecutionRecord): string {
  const output = record.output as { outcome?: unknown } | undefined;
  return typeof output?.outcome === 'string' ? output.outcome : record.status;
}
