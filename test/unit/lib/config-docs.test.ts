import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { configJsonSchema, configMarkdownTable, defaultConfig, loadConfig } from '../../../lib/config';

const root = join(__dirname, '..', '..', '..');

describe('config: generated documents stay true', () => {
  it('retrain.config.schema.json is the schema generated from lib/config.ts (run npm run config:schema)', () => {
    expect(readFileSync(join(root, 'retrain.config.schema.json'), 'utf8')).toBe(configJsonSchema());
  });

  it("README's configuration table lists every field (run npm run config:schema)", () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(configMarkdownTable());
  });

  it('the committed example sets every section to the defaults and points at the schema', () => {
    const raw = parseJsonc(readFileSync(join(root, 'retrain.config.json'), 'utf8')) as Record<string, unknown>;

    expect(raw.$schema).toBe('./retrain.config.schema.json');
    const { $schema: _ignored, ...example } = loadConfig(join(root, 'retrain.config.json'));
    const { $schema: _none, ...defaults } = defaultConfig();
    expect(example).toEqual(defaults);
    for (const section of Object.keys(defaults)) expect(raw).toHaveProperty(section);
  });
});
