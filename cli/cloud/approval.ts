/**
 * `retrain approve` and `retrain reject`: set a package's approval status in the Model
 * Registry. Only packages pending manual approval can be decided here. The run waiting for the
 * package (if any) is resumed by the approval rule ("Model Package State Change" → the
 * approval Lambda), not by the CLI; the command says which run that is.
 */
import type { Command } from 'commander';
import { APPROVAL_PK, type WaitingApproval } from '../../lambdas/core/approval';
import { UserError } from '../errors';
import { cloudAction, openContext, print, withCloudOptions, type CloudDeps, type CloudOptions } from './context';
import { fields, packageLabel } from '../format';
import { resolvePackage } from './packages';
import { parseReason } from './parse';

export interface ApprovalCommandOptions extends CloudOptions {
  readonly reason?: string;
}

/** The object `retrain approve|reject --json` prints. */
export interface ApprovalJson {
  readonly modelPackageArn: string;
  readonly package: string;
  readonly status: 'Approved' | 'Rejected';
  readonly reason: string;
  /** The run that waits for this package and resumes, or null when none does. */
  readonly waitingRunId: string | null;
}

type Decision = 'Approved' | 'Rejected';

export function registerApprovalCommands(program: Command, deps: CloudDeps): void {
  const approve = program
    .command('approve')
    .description('Approve a model package pending manual approval; the run waiting for it deploys it.')
    .argument('<package>', 'version number in the project\'s model package group, or a model package ARN')
    .option('--reason <text>', 'recorded as the approval description', parseReason);
  withCloudOptions(approve, ['modelPackageGroup', 'table']).action(
    cloudAction(async (ref: string, options: ApprovalCommandOptions) => decide(ref, 'Approved', options, deps)),
  );

  const reject = program
    .command('reject')
    .description('Reject a model package pending manual approval; the run waiting for it ends as rejected.')
    .argument('<package>', 'version number in the project\'s model package group, or a model package ARN')
    .requiredOption('--reason <text>', 'why, recorded as the approval description', parseReason);
  withCloudOptions(reject, ['modelPackageGroup', 'table']).action(
    cloudAction(async (ref: string, options: ApprovalCommandOptions) => decide(ref, 'Rejected', options, deps)),
  );
}

async function decide(ref: string, status: Decision, options: ApprovalCommandOptions, deps: CloudDeps): Promise<void> {
  const verb = status === 'Approved' ? 'approve' : 'reject';
  const done = status === 'Approved' ? 'approved' : 'rejected';
  const context = await openContext(options, ['modelPackageGroup', 'table'], deps);
  const pkg = await resolvePackage(context, ref);
  const label = packageLabel(pkg.arn);
  if (pkg.status !== 'PendingManualApproval') {
    throw new UserError(`package ${label} is ${pkg.status}; only packages pending manual approval can be ${done}`);
  }
  const reason = options.reason ?? `${done} with retrain ${verb}`;
  await context.registry.setApproval(pkg.arn, status, reason);
  const waiting = await context.state.get<WaitingApproval>(APPROVAL_PK, pkg.arn);
  const json: ApprovalJson = { modelPackageArn: pkg.arn, package: label, status, reason, waitingRunId: waiting?.data.runId ?? null };
  const next =
    waiting === undefined
      ? 'no run waits for this package (its wait may have timed out); only the registry status changed'
      : `run ${waiting.data.runId} resumes through the approval rule and ${status === 'Approved' ? 'deploys the package' : 'ends as rejected'}`;
  print(options, json, () =>
    fields([
      [status, `${label} (${pkg.arn})`],
      ['Reason', reason],
      ['Next', next],
    ]),
  );
}
