import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfigInput, parseConfig, type RetrainConfigInput } from '../../lib/config';
import { DataGenerator } from '../../local/data-generator';
import { LocalRetrain, type LocalRetrainOptions } from '../../local/runner';
import type { LocalFaults } from '../../local/sagemaker/backend';

/** Templates synthesized for tests, shared by every test file (one folder per configuration hash). */
export const ASSEMBLY_CACHE = join(tmpdir(), 'retrain-test-assemblies');

/** The configuration e2e tests start from: the generator's columns, small and quick. */
export const E2E_CONFIG: RetrainConfigInput = {
  project: { name: 'e2e' },
  dataset: { idColumn: 'id', categoricalFeatures: ['plan', 'region'] },
  evaluation: { minImprovement: 0.005 },
  training: { hyperparameters: { num_round: 40, max_depth: 4, eta: 0.3 } },
  triggers: { cooldownMinutes: 60 },
};

export interface OpenedLocal {
  readonly local: LocalRetrain;
  readonly faults: { trainingFails?: boolean; healthCheckFails?: boolean };
}

/** Local mode in a fresh temporary directory (or `options.root`), at a fixed virtual time. */
export async function openLocal(
  overrides: RetrainConfigInput = {},
  options: Partial<Omit<LocalRetrainOptions, 'config'>> = {},
): Promise<OpenedLocal> {
  const faults: OpenedLocal['faults'] = {};
  const config = parseConfig(mergeConfigInput(E2E_CONFIG, overrides), 'e2e config');
  const local = await LocalRetrain.open({
    root: mkdtempSync(join(tmpdir(), 'retrain-e2e-')),
    config,
    start: new Date('2026-03-02T09:00:00.000Z'),
    faults: faults as LocalFaults,
    assemblyCache: ASSEMBLY_CACHE,
    cdkOut: join(tmpdir(), 'retrain-no-cdk-out'),
    ...options,
  });
  return { local, faults };
}

/** A labelled CSV from the seeded generator. */
export function dataset(seed: number, rows: number, shift?: ConstructorParameters<typeof DataGenerator>[0]['shift']): string {
  return new DataGenerator({ seed, ...(shift ? { shift } : {}) }).csv(rows);
}
