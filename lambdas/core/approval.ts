/**
 * Manual approval: a run waits (task token) until a person approves or rejects its model
 * package in the registry — with `retrain approve|reject` or in the SageMaker console. The
 * token is stored with the package's ARN; the "Model Package State Change" event resumes
 * the run.
 */
import type { Clock, EventPublisher, ModelRegistry, Notifier, StateStore, TaskTokens } from '../adapters/ports';
import { KEYS, type RunRecord } from './admission';
import { RUN_EVENT_TYPES_BY_OUTCOME } from './run-events';
import { NotFoundError } from './errors';

export const APPROVAL_PK = 'APPROVAL';

export interface WaitingApproval {
  readonly taskToken: string;
  readonly runId: string;
  readonly modelPackageArn: string;
  readonly executionArn: string;
  readonly since: string;
}

export interface ApprovalPorts {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly tokens: TaskTokens;
  readonly registry: ModelRegistry;
  readonly events: EventPublisher;
  readonly notifier: Notifier;
}

export async function registerWait(
  ports: ApprovalPorts,
  request: Omit<WaitingApproval, 'since'>,
): Promise<{ waiting: true; modelPackageArn: string } | ResumeResult> {
  await ports.state.put<WaitingApproval>(
    { pk: APPROVAL_PK, sk: request.modelPackageArn, data: { ...request, since: ports.clock.now().toISOString() } },
    { always: true },
  );
  // A person may have decided before the token was stored; the state change event is gone then.
  const pkg = await ports.registry.describePackage(request.modelPackageArn);
  if (pkg && pkg.status !== 'PendingManualApproval') {
    return resumeRun(ports, { modelPackageArn: pkg.arn, status: pkg.status, reason: pkg.description ?? `${pkg.status.toLowerCase()} before the run waited` });
  }
  // The history shows the run as waiting for a person, and people are told.
  const run = await ports.state.get<RunRecord>(KEYS.runPk, request.runId);
  if (run && run.data.status === 'running') {
    await ports.state.put<RunRecord>({ pk: KEYS.runPk, sk: request.runId, data: { ...run.data, status: 'awaiting-approval' } }, { ifVersion: run.version });
  }
  const detailType = RUN_EVENT_TYPES_BY_OUTCOME['awaiting-approval'];
  await ports.events.publish(detailType, { runId: request.runId, modelPackageArn: request.modelPackageArn, executionArn: request.executionArn });
  await ports.notifier.notify(
    `retrain: ${detailType} (run ${request.runId})`,
    [
      `Run ${request.runId} passed the gate and waits for a person.`,
      `Model package: ${request.modelPackageArn}${pkg?.description ? `\nWhy: ${pkg.description}` : ''}`,
      `Approve: retrain approve ${request.modelPackageArn} --reason "<why>"`,
      `Reject:  retrain reject ${request.modelPackageArn} --reason "<why>"`,
      'or in the SageMaker console (Model Registry). Without a decision the run ends as rejected when the wait times out.',
    ].join('\n'),
  );
  return { waiting: true, modelPackageArn: request.modelPackageArn };
}

export interface PackageDecision {
  readonly modelPackageArn: string;
  readonly status: 'Approved' | 'Rejected';
  readonly reason?: string;
  readonly by?: string;
}

export type ResumeResult = { resumed: true; runId: string; approved: boolean } | { resumed: false; reason: string };

/** Resumes the run waiting for this package; a package no run waits for is left alone. */
export async function resumeRun(ports: { state: StateStore; tokens: TaskTokens }, decision: PackageDecision): Promise<ResumeResult> {
  const waiting = await ports.state.get<WaitingApproval>(APPROVAL_PK, decision.modelPackageArn);
  if (!waiting) return { resumed: false, reason: `no run waits for ${decision.modelPackageArn}` };
  try {
    if (decision.status === 'Approved') {
      await ports.tokens.succeed(waiting.data.taskToken, {
        approved: true,
        reason: decision.reason ?? `approved${decision.by ? ` by ${decision.by}` : ''}`,
      });
    } else {
      await ports.tokens.fail(waiting.data.taskToken, 'ModelPackageRejected', decision.reason ?? `rejected${decision.by ? ` by ${decision.by}` : ''}`);
    }
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    // The wait timed out (or the execution ended): nothing to resume any more.
    await ports.state.delete(APPROVAL_PK, decision.modelPackageArn, { ifVersion: waiting.version });
    return { resumed: false, reason: `run ${waiting.data.runId} no longer waits: ${error.message}` };
  }
  await ports.state.delete(APPROVAL_PK, decision.modelPackageArn, { ifVersion: waiting.version });
  return { resumed: true, runId: waiting.data.runId, approved: decision.status === 'Approved' };
}
