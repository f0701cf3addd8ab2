/**
 * `retrain rollback`: redeploys an approved model package of the project through the pipeline
 * (blue/green, waited for, promoted and recorded like any run). Without --to, the target is the
 * previous approved package: the newest Approved package that is not the current champion's.
 */
import type { Command } from 'commander';
import type { ModelPackageInfo } from '../../lambdas/adapters/ports';
import { CHAMPION_KEY } from '../../lambdas/core/promote';
import type { Champion } from '../../lambdas/core/types';
import { UserError } from '../errors';
import { cloudAction, openContext, withCloudOptions, type CloudContext, type CloudDeps, type CloudOptions } from './context';
import { packageLabel } from '../format';
import { resolvePackage } from './packages';
import { parseReason } from './parse';
import { addWaitOptions, startAndReport, type WaitOptions } from './run';

export interface RollbackCommandOptions extends CloudOptions, WaitOptions {
  readonly to?: string;
  readonly reason: string;
}

export function registerRollbackCommand(program: Command, deps: CloudDeps): void {
  const command = program
    .command('rollback')
    .description('Redeploy an approved model package (default: the newest approved one that is not the champion).')
    .option('--to <package>', 'version number in the project\'s model package group, or a model package ARN')
    .requiredOption('--reason <text>', 'why, recorded with the run (1-1000 characters)', parseReason);
  addWaitOptions(command);
  withCloudOptions(command, ['stateMachine', 'modelPackageGroup', 'table']).action(
    cloudAction(async (options: RollbackCommandOptions) => {
      const context = await openContext(options, ['stateMachine', 'modelPackageGroup', 'table'], deps);
      const champion = (await context.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk))?.data;
      const target = options.to === undefined ? await previousApproved(context, champion) : await approvedPackage(context, options.to);
      if (champion?.modelPackageArn === target.arn) {
        console.error(`retrain: note: ${packageLabel(target.arn)} is already the champion; it is deployed again`);
      }
      const runOf = target.metadata.runId ? `run ${target.metadata.runId}` : undefined;
      const metric = target.metadata.metric && target.metadata.candidate ? `${target.metadata.metric} ${target.metadata.candidate}` : undefined;
      await startAndReport(
        context,
        'rollback',
        { rollback: { modelPackageArn: target.arn, reason: options.reason } },
        options,
        [['Rollback to', `${packageLabel(target.arn)}${runOf || metric ? ` (${[runOf, metric].filter(Boolean).join(', ')})` : ''}`]],
        { rollbackTo: { modelPackageArn: target.arn, package: packageLabel(target.arn), version: target.version } },
      );
    }),
  );
}

async function approvedPackage(context: CloudContext, ref: string): Promise<ModelPackageInfo> {
  const pkg = await resolvePackage(context, ref);
  if (pkg.status !== 'Approved') throw new UserError(`package ${packageLabel(pkg.arn)} is ${pkg.status}; only approved packages can be rolled back to`);
  return pkg;
}

async function previousApproved(context: CloudContext, champion: Champion | undefined): Promise<ModelPackageInfo> {
  const group = context.resource('modelPackageGroup');
  // The champion's package is at most one of them: two are enough.
  const approved = await context.registry.listPackages(group, { status: 'Approved', limit: 2 });
  const target = approved.find((p) => p.arn !== champion?.modelPackageArn);
  if (target === undefined) {
    const current = champion ? ` other than the champion's (${packageLabel(champion.modelPackageArn)})` : '';
    throw new UserError(`group ${group} has no approved package${current} to roll back to; pass --to <package>`);
  }
  return target;
}
