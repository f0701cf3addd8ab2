import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { loadConfig, type RetrainConfigInput } from '../../lib/config';
import { nagFindings } from '../helpers/nag';
import { buildStack } from '../helpers/stack';

const root = join(__dirname, '..', '..');
const STAGES = ['retrain.staging.json', 'retrain.prod.json'] as const;

describe('stage configurations', () => {
  it.each(STAGES)('%s is a valid configuration that points at the schema', (file) => {
    const raw = parseJsonc(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

    const { $schema, ...settings } = raw;

    // Loading fills in defaults; every value the file sets comes through unchanged.
    expect(loadConfig(join(root, file))).toMatchObject(settings);
    expect($schema).toBe('./retrain.config.schema.json');
  });

  it('gives every stage, and the default configuration, its own project and so its own stack', () => {
    const names = [...STAGES, 'retrain.config.json'].map((file) => loadConfig(join(root, file)).project.name);

    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, 2)).toEqual(['retrain-staging', 'retrain-prod']);
  });

  it('commits no e-mail address (subscriptions are set per deployment)', () => {
    for (const file of STAGES) expect(loadConfig(join(root, file)).notifications.email).toBeUndefined();
  });

  it('deploys production with a canary, a manual model approval, and keeps its data when the stack goes', () => {
    const prod = loadConfig(join(root, 'retrain.prod.json'));

    expect(prod.deployment.strategy.type).toBe('canary');
    expect(prod.deployment.manualApproval).toBe(true);
    expect(prod.deployment.instanceCount).toBeGreaterThanOrEqual(2);
    expect(prod.retention.removalPolicy).toBe('retain');
  });

  it('lets staging models through without a person', () => {
    expect(loadConfig(join(root, 'retrain.staging.json')).deployment.manualApproval).toBe(false);
  });

  it.each(STAGES)('%s synthesizes with no cdk-nag finding', (file) => {
    const input = parseJsonc(readFileSync(join(root, file), 'utf8')) as RetrainConfigInput;

    const { app } = buildStack(input);

    expect(nagFindings(app)).toEqual([]);
  });
});
