/**
 * Model packages as people name them on the command line: a version number of the project's
 * group (`7`) or a versioned model package ARN. Packages of another group are refused.
 */
import { DescribeModelPackageGroupCommand } from '@aws-sdk/client-sagemaker';
import { isAwsError, withAwsErrors } from '../../lambdas/adapters/aws-errors';
import type { ModelPackageInfo } from '../../lambdas/adapters/ports';
import { UserError } from '../errors';
import type { CloudContext } from './context';
import { packageLabel } from '../format';

const PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([^/]+)\/(\d+)$/;

/** The package `ref` names, described; throws UserError when it is malformed, missing or foreign. */
export async function resolvePackage(context: CloudContext, ref: string): Promise<ModelPackageInfo> {
  const group = context.resource('modelPackageGroup');
  let arn: string;
  if (/^\d+$/.test(ref)) {
    arn = `${await groupArn(context, group)}/${Number(ref)}`.replace(':model-package-group/', ':model-package/');
  } else {
    const match = PACKAGE_ARN.exec(ref);
    if (match === null) {
      throw new UserError(
        `"${ref}" is not a model package: expected a version number of group ${group} or a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/${group}/<version>)`,
      );
    }
    assertOwnGroup(ref, match[1], group);
    arn = ref;
  }
  const info = await context.registry.describePackage(arn);
  if (info === undefined) throw new UserError(`package ${packageLabel(arn)} does not exist (${arn})`);
  assertOwnGroup(arn, info.group, group);
  return info;
}

function assertOwnGroup(arn: string, actual: string, group: string): void {
  if (actual.toLowerCase() !== group.toLowerCase()) {
    throw new UserError(`package ${packageLabel(arn)} belongs to group ${actual}, not to this project's group ${group}`);
  }
}

async function groupArn(context: CloudContext, group: string): Promise<string> {
  try {
    const out = await withAwsErrors({ service: 'SageMaker', operation: 'DescribeModelPackageGroup', context: { group } }, () =>
      context.clients.sageMaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group })),
    );
    if (out.ModelPackageGroupArn === undefined) throw new UserError(`SageMaker returned no ARN for model package group ${group}`);
    return out.ModelPackageGroupArn;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (isAwsError(cause, 'ValidationException') && /does not exist/i.test(cause instanceof Error ? cause.message : '')) {
      throw new UserError(`model package group ${group} does not exist: check --model-package-group or --stack`);
    }
    throw error;
  }
}
