#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` reads retrain.config.json (or `-c config=<path>`),
 * validates it and synthesizes the stack. A bad configuration prints one line per
 * problem, `file: field: reason`, and exits 1.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { addRetrainStack } from '../lib/retrain-app';

const app = new App();
const configPath = resolve(String(app.node.tryGetContext('config') ?? 'retrain.config.json'));

try {
  addRetrainStack(app, loadConfig(configPath));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Invalid configuration: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
