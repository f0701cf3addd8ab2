/**
 * Generates what follows from the zod schema in lib/config.ts, so it cannot drift:
 * - retrain.config.schema.json, so editors complete and check retrain.config.json;
 * - the configuration table in README.md, between the config-table markers.
 * `npm run config:schema`; a test fails when either committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema, configMarkdownTable } from '../lib/config';

const root = join(__dirname, '..');
writeFileSync(join(root, 'retrain.config.schema.json'), configJsonSchema());

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const pattern = /(<!-- config-table:start -->\n)[\s\S]*?(<!-- config-table:end -->)/;
if (!pattern.test(readme)) throw new Error('README.md has no <!-- config-table:start --> ... <!-- config-table:end --> section');
writeFileSync(readmePath, readme.replace(pattern, (_m, start: string, end: string) => `${start}${configMarkdownTable()}${end}`));
console.log('wrote retrain.config.schema.json and the configuration table in README.md');
