import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeModelPackageCommand, DescribeModelPackageGroupCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import type { ApprovalJson } from '../../../../cli/cloud/approval';
import type { WaitingApproval } from '../../../../lambdas/core/approval';
import { GROUP, cli, executionArn, mockRegistry, mockStack, mockTable, mocks, packageArn, packageDescription, resetMocks } from '../../../helpers/cloud-cli';

const WAITING: WaitingApproval = {
  taskToken: 'token',
  runId: '20261127-100000-ffffff',
  modelPackageArn: packageArn(9),
  executionArn: executionArn('x'),
  since: '2026-11-27T10:40:00.000Z',
};

beforeEach(() => {
  resetMocks();
  mockStack();
  mockTable([{ pk: 'APPROVAL', sk: WAITING.modelPackageArn, data: WAITING }]);
  mockRegistry([
    packageDescription(7, 'Approved'),
    packageDescription(8, 'Rejected'),
    packageDescription(9, 'PendingManualApproval'),
    packageDescription(10, 'PendingManualApproval'),
    packageDescription(3, 'PendingManualApproval', 'other'),
  ]);
});

describe('retrain approve', () => {
  it('approves a pending package named by its version and says which run resumes', async () => {
    const { stdout, stderr, exitCode } = await cli(['approve', '9', '--reason', 'checked the confusion matrix']);

    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(mocks.sageMaker).toHaveReceivedCommandWith(DescribeModelPackageGroupCommand, { ModelPackageGroupName: GROUP });
    expect(mocks.sageMaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: packageArn(9) });
    expect(mocks.sageMaker).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
      ModelPackageArn: packageArn(9),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'checked the confusion matrix',
    });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(GetItemCommand, { Key: { pk: { S: 'APPROVAL' }, sk: { S: packageArn(9) } } });
    expect(stdout).toBe(
      [
        `Approved  retrain/9 (${packageArn(9)})`,
        'Reason    checked the confusion matrix',
        'Next      run 20261127-100000-ffffff resumes through the approval rule and deploys the package',
      ].join('\n'),
    );
  });

  it('approves a package named by its ARN, with a default description', async () => {
    const { stdout, exitCode } = await cli(['approve', packageArn(10)]);

    expect(exitCode).toBe(0);
    expect(mocks.sageMaker).not.toHaveReceivedCommand(DescribeModelPackageGroupCommand);
    expect(mocks.sageMaker).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
      ModelPackageArn: packageArn(10),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'approved with retrain approve',
    });
    expect(stdout.split('\n')[2]).toBe('Next      no run waits for this package (its wait may have timed out); only the registry status changed');
  });

  it('refuses a package that is already approved', async () => {
    const { stderr, exitCode } = await cli(['approve', '7']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe('retrain: package retrain/7 is Approved; only packages pending manual approval can be approved');
    expect(mocks.sageMaker).not.toHaveReceivedCommand(UpdateModelPackageCommand);
  });

  it('refuses a package of another group', async () => {
    const { stderr, exitCode } = await cli(['approve', packageArn(3, 'other')]);

    expect(exitCode).toBe(1);
    expect(stderr).toBe("retrain: package other/3 belongs to group other, not to this project's group retrain");
    expect(mocks.sageMaker).not.toHaveReceivedCommand(UpdateModelPackageCommand);
  });

  it('says a version that does not exist does not exist', async () => {
    const { stderr, exitCode } = await cli(['approve', '42']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(`retrain: package retrain/42 does not exist (${packageArn(42)})`);
  });

  it('says the model package group does not exist', async () => {
    const { stderr, exitCode } = await cli(['approve', '9', '--model-package-group', 'nope', '--table', 't']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe('retrain: model package group nope does not exist: check --model-package-group or --stack');
  });

  it('refuses something that is neither a version nor a package ARN', async () => {
    const { stderr, exitCode } = await cli(['approve', 'latest']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(
      'retrain: "latest" is not a model package: expected a version number of group retrain or a versioned model package ARN ' +
        '(arn:aws:sagemaker:<region>:<account>:model-package/retrain/<version>)',
    );
  });

  it('prints one JSON object', async () => {
    const { stdout } = await cli(['approve', '9', '--json']);

    expect(JSON.parse(stdout)).toEqual({
      modelPackageArn: packageArn(9),
      package: 'retrain/9',
      status: 'Approved',
      reason: 'approved with retrain approve',
      waitingRunId: WAITING.runId,
    } satisfies ApprovalJson);
  });
});

describe('retrain reject', () => {
  it('rejects a pending package with the reason and says the run ends', async () => {
    const { stdout, exitCode } = await cli(['reject', '9', '--reason', 'recall on the fraud class dropped']);

    expect(exitCode).toBe(0);
    expect(mocks.sageMaker).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
      ModelPackageArn: packageArn(9),
      ModelApprovalStatus: 'Rejected',
      ApprovalDescription: 'recall on the fraud class dropped',
    });
    expect(stdout.split('\n')[2]).toBe('Next      run 20261127-100000-ffffff resumes through the approval rule and ends as rejected');
  });

  it('needs a reason', async () => {
    const { stderr, exitCode } = await cli(['reject', '9']);

    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/required option '--reason <text>' not specified/);
    expect(mocks.sageMaker.calls()).toHaveLength(0);
  });

  it('refuses a package that is already rejected', async () => {
    const { stderr, exitCode } = await cli(['reject', '8', '--reason', 'x']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe('retrain: package retrain/8 is Rejected; only packages pending manual approval can be rejected');
  });
});
