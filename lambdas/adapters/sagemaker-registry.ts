/** ModelRegistry on the SageMaker Model Registry. */
import {
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
  type ListModelPackagesInput,
  type ListModelPackagesOutput,
  type SageMakerClient,
  type UpdateModelPackageInput,
} from '@aws-sdk/client-sagemaker';
import { awsErrorName, withAwsErrors } from './aws-errors';
import type { ModelPackageInfo, ModelRegistry } from './ports';

/** The three registry calls, as the SageMaker API shapes them (the SDK, or local mode's backend). */
export interface RegistryApi {
  /** undefined when the package does not exist. */
  describe(arn: string): Promise<Omit<DescribeModelPackageCommandOutput, '$metadata'> | undefined>;
  list(input: ListModelPackagesInput): Promise<Pick<ListModelPackagesOutput, 'ModelPackageSummaryList' | 'NextToken'>>;
  update(input: UpdateModelPackageInput): Promise<unknown>;
}

/**
 * DescribeModelPackage's ModelPackageName: a versioned package ARN, or a name of 1-63 characters
 * a-z, A-Z, 0-9 and hyphen (SageMaker API Reference, DescribeModelPackage).
 */
export const MODEL_PACKAGE_NAME_PATTERN = /^(arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package\/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\/[0-9]{1,10}|[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$/;

export function createSageMakerRegistry(client: SageMakerClient): ModelRegistry {
  return createRegistry({
    async describe(arn) {
      try {
        return await withAwsErrors({ service: 'SageMaker', operation: 'DescribeModelPackage', context: { arn } }, () =>
          client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })),
        );
      } catch (error) {
        // The API model declares no error for DescribeModelPackage: SageMaker answers a missing
        // package with ValidationException, as it does a malformed name. For a well-formed ARN
        // or name, ValidationException can only mean the package does not exist.
        if (awsErrorName((error as Error).cause) === 'ValidationException' && MODEL_PACKAGE_NAME_PATTERN.test(arn)) return undefined;
        throw error;
      }
    },
    list: (input) =>
      withAwsErrors({ service: 'SageMaker', operation: 'ListModelPackages', context: { group: input.ModelPackageGroupName } }, () =>
        client.send(new ListModelPackagesCommand({ ...input, MaxResults: 100 })),
      ),
    update: (input) =>
      withAwsErrors({ service: 'SageMaker', operation: 'UpdateModelPackage', context: { arn: input.ModelPackageArn, status: input.ModelApprovalStatus } }, () =>
        client.send(new UpdateModelPackageCommand(input)),
      ),
  });
}

/** ModelRegistry on any RegistryApi: newest first, paged, each package described. */
export function createRegistry(api: RegistryApi): ModelRegistry {
  const describe = async (arn: string): Promise<ModelPackageInfo | undefined> => {
    const out = await api.describe(arn);
    return out ? toModelPackageInfo(out) : undefined;
  };
  return {
    describePackage: describe,
    async listPackages(group, options = {}) {
      const found: ModelPackageInfo[] = [];
      let token: string | undefined;
      do {
        const page = await api.list({
          ModelPackageGroupName: group,
          ...(options.status ? { ModelApprovalStatus: options.status } : {}),
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          NextToken: token,
        });
        for (const summary of page.ModelPackageSummaryList ?? []) {
          if (options.limit !== undefined && found.length >= options.limit) return found;
          const info = summary.ModelPackageArn ? await describe(summary.ModelPackageArn) : undefined;
          if (info) found.push(info);
        }
        token = page.NextToken;
      } while (token && (options.limit === undefined || found.length < options.limit));
      return found;
    },
    async setApproval(arn, status, description) {
      await api.update({ ModelPackageArn: arn, ModelApprovalStatus: status, ApprovalDescription: description.slice(0, 1024) });
    },
  };
}

/** A DescribeModelPackage response as the port's ModelPackageInfo (local mode maps its backend's the same way). */
export function toModelPackageInfo(out: Omit<DescribeModelPackageCommandOutput, '$metadata'>): ModelPackageInfo {
  const container = out.InferenceSpecification?.Containers?.[0];
  return {
    arn: out.ModelPackageArn ?? '',
    group: out.ModelPackageGroupName ?? '',
    version: out.ModelPackageVersion ?? 0,
    status: (out.ModelApprovalStatus ?? 'PendingManualApproval') as ModelPackageInfo['status'],
    createdAt: out.CreationTime ?? new Date(0),
    image: container?.Image ?? '',
    modelDataUrl: container?.ModelDataUrl ?? '',
    ...(out.ModelPackageDescription ? { description: out.ModelPackageDescription } : {}),
    metadata: out.CustomerMetadataProperties ?? {},
    ...(out.ModelMetrics?.ModelQuality?.Statistics?.S3Uri ? { evaluationUri: out.ModelMetrics.ModelQuality.Statistics.S3Uri } : {}),
    ...(out.DriftCheckBaselines?.ModelDataQuality?.Statistics?.S3Uri ? { baselineUri: out.DriftCheckBaselines.ModelDataQuality.Statistics.S3Uri } : {}),
  };
}
