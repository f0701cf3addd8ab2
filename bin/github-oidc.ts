#!/usr/bin/env node
/**
 * A separate CDK app for the one-off GitHub OIDC stack that lets GitHub Actions deploy
 * retrain (docs/ci-cd.md):
 *
 *   npx cdk -a "npx tsx bin/github-oidc.ts" -o cdk.out/github-oidc deploy \
 *     -c repository=owner/name [-c environments=staging,production] [-c branches=main] \
 *     [-c providerArn=arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com] \
 *     [-c qualifier=hnb659fds] [-c regions=eu-west-1,us-east-1]
 *
 * A missing or bad option prints one line and exits 1.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidInputError } from '../lambdas/core/errors';
import { GitHubOidcStack } from '../lib/github-oidc-stack';

const USAGE = 'npx cdk -a "npx tsx bin/github-oidc.ts" -o cdk.out/github-oidc deploy -c repository=owner/name';

const app = new App();

/** A context value as a trimmed string, or undefined when absent or blank. */
function option(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** A comma-separated context value as a list; `fallback` when absent. */
function list(name: string, fallback: string[] | undefined): string[] | undefined {
  const value = option(name);
  return value === undefined ? fallback : value.split(',').map((item) => item.trim()).filter(Boolean);
}

const repository = option('repository');
if (repository === undefined) {
  console.error(`Missing option: repository (the GitHub repository allowed to deploy, "owner/name"): ${USAGE}`);
  process.exit(1);
}

try {
  new GitHubOidcStack(app, 'retrain-github-oidc', {
    repository,
    environments: list('environments', ['staging', 'production']),
    branches: list('branches', undefined),
    providerArn: option('providerArn'),
    bootstrapQualifier: option('qualifier'),
    bootstrapRegions: list('regions', undefined),
    description: `retrain: GitHub Actions OIDC deploy role for ${repository}`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (error instanceof InvalidInputError) {
    console.error(`Invalid option: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
