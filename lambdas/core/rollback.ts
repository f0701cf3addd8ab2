/**
 * Rollback: `retrain rollback` starts the pipeline with an approved model package instead of
 * new data. Instead of preparing data, training and evaluating, the run takes the package's
 * model artifact, evaluation and baseline, and joins the deploy path — so a rollback is
 * deployed blue/green, waited for, promoted and recorded like any other run.
 */
import type { ModelRegistry } from '../adapters/ports';
import { InvalidInputError, NotFoundError } from './errors';
import type { GateDecision } from './types';

export interface RollbackRequest {
  /** The run state so far ($); its options carry rollbackTo. */
  readonly run: { readonly runId: string; readonly options: { readonly rollbackTo?: string } } & Record<string, unknown>;
  /** The project's model package group: only its packages can be rolled back to. */
  readonly modelPackageGroup: string;
}

/** Returns the run state with what the deploy path reads: training, registration, evaluation. */
export async function prepareRollback(registry: ModelRegistry, request: RollbackRequest): Promise<Record<string, unknown>> {
  const arn = request.run.options.rollbackTo;
  if (!arn) throw new InvalidInputError('prepare rollback: the run has no options.rollbackTo');
  const pkg = await registry.describePackage(arn);
  if (!pkg) throw new NotFoundError(`model package ${arn} does not exist`, { context: { arn } });
  if (pkg.group !== request.modelPackageGroup) {
    throw new InvalidInputError(`model package ${arn} belongs to group ${pkg.group}, not to this project's ${request.modelPackageGroup}`, {
      context: { arn },
    });
  }
  if (pkg.status !== 'Approved') {
    throw new InvalidInputError(`model package ${arn} is ${pkg.status}; only approved packages can be rolled back to`, { context: { arn } });
  }
  const baselineUri = pkg.baselineUri ?? pkg.metadata.baseline;
  const schemaUri = pkg.metadata.schema ?? baselineUri?.replace(/baseline\.json$/, 'schema.json');
  if (!baselineUri || !schemaUri) {
    throw new InvalidInputError(`model package ${arn} has no drift-check baseline; it was not registered by retrain`, { context: { arn } });
  }
  const metric = pkg.metadata.metric;
  const value = pkg.metadata.candidate?.trim() ? Number(pkg.metadata.candidate) : Number.NaN;
  if (!metric || !Number.isFinite(value)) {
    throw new InvalidInputError(`model package ${arn} has no evaluated metric in its metadata; it was not registered by retrain`, { context: { arn } });
  }
  const decision: GateDecision = {
    passed: true,
    metric,
    direction: pkg.metadata.direction === 'minimize' ? 'minimize' : 'maximize',
    candidate: value,
    minImprovement: 0,
    reason: `rollback to model package version ${pkg.version} (run ${pkg.metadata.runId ?? 'unknown'}, ${metric} ${value}) at a person's request`,
  };
  return {
    ...request.run,
    training: { jobName: null, modelArtifacts: pkg.modelDataUrl },
    registration: { modelPackageArn: pkg.arn },
    evaluation: { decision, approvalStatus: 'Approved', baselineUri, schemaUri, evaluationUri: pkg.evaluationUri ?? null },
  };
}
