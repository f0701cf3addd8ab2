import { InvalidInputError, NotFoundError } from '../../../lambdas/core/errors';
import { prepareRollback, type RollbackRequest } from '../../../lambdas/core/rollback';
import { FakeRegistry, modelPackage, modelPackageArn, trigger } from '../../helpers/fakes';

const GROUP = 'retrain-models';
const ARN = modelPackageArn(GROUP, 3);

function request(rollbackTo: string | null = ARN): RollbackRequest {
  const run = {
    runId: '20261127-120000-abcdef',
    trigger: trigger({ reason: `rollback to ${ARN}: v4 misroutes refunds` }),
    options: { dryRun: false, force: true, ...(rollbackTo ? { rollbackTo } : {}) },
    admission: { outcome: 'started' },
  };
  return { run, modelPackageGroup: GROUP };
}

describe('rollback: prepareRollback', () => {
  it('returns the run with the training, registration and evaluation the deploy path reads', async () => {
    const pkg = modelPackage({ arn: ARN, group: GROUP, version: 3 });
    const registry = new FakeRegistry().withPackage(pkg);

    const run = await prepareRollback(registry, request());

    expect(run).toEqual({
      ...request().run,
      training: { jobName: null, modelArtifacts: pkg.modelDataUrl },
      registration: { modelPackageArn: ARN },
      evaluation: {
        decision: {
          passed: true,
          metric: 'auc',
          direction: 'maximize',
          candidate: 0.91,
          minImprovement: 0,
          reason: "rollback to model package version 3 (run 20261120-080000-abcdef, auc 0.91) at a person's request",
        },
        approvalStatus: 'Approved',
        baselineUri: pkg.baselineUri,
        schemaUri: pkg.metadata.schema,
        evaluationUri: pkg.evaluationUri,
      },
    });
  });

  it('takes the baseline from the metadata when the package has no drift-check baseline, and the schema next to it', async () => {
    const pkg = modelPackage({
      arn: ARN,
      baselineUri: undefined,
      evaluationUri: undefined,
      metadata: { runId: 'r3', metric: 'rmse', candidate: '12.5', baseline: 's3://data-bucket/runs/r3/baseline.json' },
    });
    const registry = new FakeRegistry().withPackage(pkg);

    const run = await prepareRollback(registry, request());

    expect(run.evaluation).toMatchObject({
      baselineUri: 's3://data-bucket/runs/r3/baseline.json',
      schemaUri: 's3://data-bucket/runs/r3/schema.json',
      evaluationUri: null,
      decision: { metric: 'rmse', candidate: 12.5 },
    });
  });

  it('fails with InvalidInputError when the run has no package to roll back to', async () => {
    const attempt = prepareRollback(new FakeRegistry(), request(null));

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow('prepare rollback: the run has no options.rollbackTo');
  });

  it('fails with NotFoundError naming a package that does not exist', async () => {
    const attempt = prepareRollback(new FakeRegistry(), request());

    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(attempt).rejects.toThrow(`model package ${ARN} does not exist`);
  });

  it("refuses a package of another group than the project's", async () => {
    const other = modelPackageArn('someone-elses-models', 1);
    const registry = new FakeRegistry().withPackage(modelPackage({ arn: other, group: 'someone-elses-models' }));

    const attempt = prepareRollback(registry, request(other));

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(`model package ${other} belongs to group someone-elses-models, not to this project's ${GROUP}`);
  });

  it.each(['Rejected', 'PendingManualApproval'] as const)('refuses a package that is %s', async (status) => {
    const registry = new FakeRegistry().withPackage(modelPackage({ arn: ARN, status }));

    await expect(prepareRollback(registry, request())).rejects.toThrow(
      `model package ${ARN} is ${status}; only approved packages can be rolled back to`,
    );
  });

  it('refuses a package without a baseline (not registered by retrain)', async () => {
    const registry = new FakeRegistry().withPackage(modelPackage({ arn: ARN, baselineUri: undefined, metadata: { metric: 'auc', candidate: '0.9' } }));

    const attempt = prepareRollback(registry, request());

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(`model package ${ARN} has no drift-check baseline; it was not registered by retrain`);
  });

  it.each([
    ['no metric', { candidate: '0.9' }],
    ['no candidate value', { metric: 'auc' }],
    ['a candidate value that is not a number', { metric: 'auc', candidate: 'n/a' }],
  ])('refuses a package whose metadata has %s', async (_what, metadata) => {
    const registry = new FakeRegistry().withPackage(modelPackage({ arn: ARN, metadata: { ...metadata, schema: 's3://b/runs/r/schema.json' } }));

    await expect(prepareRollback(registry, request())).rejects.toThrow(
      `model package ${ARN} has no evaluated metric in its metadata; it was not registered by retrain`,
    );
  });
});
