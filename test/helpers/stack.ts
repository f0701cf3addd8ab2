import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type RetrainConfigInput } from '../../lib/config';
import { addRetrainStack } from '../../lib/retrain-app';
import type { RetrainStack } from '../../lib/retrain-stack';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface BuildOptions {
  /** Bundle Lambda code with esbuild (slow); unit tests skip it. */
  readonly bundling?: boolean;
  /** Run the cdk-nag pack at synthesis. */
  readonly nag?: boolean;
  /** Keep CDK's built-in CloudFormation validation on. */
  readonly cfnValidation?: boolean;
  /** A throwaway stack whose buckets are emptied on deletion (the integration test's). */
  readonly disposable?: boolean;
  /** Deploy-time environment; default: environment-agnostic, as `cdk synth` offline. */
  readonly env?: { account: string; region: string };
}

/** A fresh app and stack from a configuration (defaults filled in), as bin/app.ts builds it. */
export function buildStack(config: RetrainConfigInput = {}, options: BuildOptions = {}): { app: App; stack: RetrainStack } {
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': options.bundling ? ['**'] : [] },
    builtinCloudFormationValidation: options.cfnValidation ?? false,
  });
  if (options.env) {
    process.env.CDK_DEFAULT_ACCOUNT = options.env.account;
    process.env.CDK_DEFAULT_REGION = options.env.region;
  }
  try {
    const stack = addRetrainStack(app, parseConfig(config, 'test config'), { nag: options.nag ?? false, disposable: options.disposable ?? false });
    return { app, stack };
  } finally {
    delete process.env.CDK_DEFAULT_ACCOUNT;
    delete process.env.CDK_DEFAULT_REGION;
  }
}

const templates = new Map<string, Template>();

/**
 * The synthesized template of a stack built from this configuration. A Template only answers
 * questions, so tests in one file that ask about the same configuration share one synthesis
 * (each costs about a second); tests that change a stack use buildStack for a fresh one.
 */
export function template(config: RetrainConfigInput = {}, options: BuildOptions = {}): Template {
  const key = JSON.stringify([config, options]);
  let found = templates.get(key);
  if (!found) {
    found = Template.fromStack(buildStack(config, options).stack);
    templates.set(key, found);
  }
  return found;
}
