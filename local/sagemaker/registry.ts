/**
 * The model registry: model package groups and versioned model packages.
 *
 * - CreateModelPackage in a group gives version n+1 and the ARN
 *   arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>; ModelApprovalStatus
 *   defaults to PendingManualApproval; the package is Completed at once.
 * - UpdateModelPackage changes ModelApprovalStatus (with ApprovalDescription) and customer
 *   metadata.
 * - Both send a "SageMaker Model Package State Change" event (source aws.sagemaker) through
 *   onEvent, with the documented detail: ModelPackageGroupName, ModelPackageVersion,
 *   ModelPackageArn, ModelPackageName, CreationTime, InferenceSpecification,
 *   ModelPackageStatus, ModelPackageStatusDetails, CertifyForMarketplace, ModelApprovalStatus,
 *   MetadataProperties, ModelMetrics, LastModifiedTime (and ApprovalDescription,
 *   CustomerMetadataProperties, DriftCheckBaselines when set). SageMaker sends one on creation
 *   too; consumers filter on ModelApprovalStatus.
 */
import type {
  CreateModelPackageGroupInput,
  CreateModelPackageGroupOutput,
  CreateModelPackageInput,
  CreateModelPackageOutput,
  DescribeModelPackageGroupOutput,
  DescribeModelPackageOutput,
  ListModelPackagesInput,
  ListModelPackagesOutput,
  ModelApprovalStatus,
  ModelPackageSummary,
  UpdateModelPackageInput,
  UpdateModelPackageOutput,
} from '@aws-sdk/client-sagemaker';
import type { BackendContext } from './context';
import { SageMakerApiError } from './errors';
import { compareNames, paginate } from './paging';
import { validateName } from './names';

const APPROVAL: readonly ModelApprovalStatus[] = ['Approved', 'Rejected', 'PendingManualApproval'];

export class Registry {
  constructor(private readonly ctx: BackendContext) {}

  async createModelPackageGroup(request: CreateModelPackageGroupInput): Promise<CreateModelPackageGroupOutput> {
    const name = validateName(request.ModelPackageGroupName, 'modelPackageGroupName');
    const arn = this.ctx.arns.of('model-package-group', name);
    const group: DescribeModelPackageGroupOutput = {
      ModelPackageGroupName: name,
      ModelPackageGroupArn: arn,
      ModelPackageGroupDescription: request.ModelPackageGroupDescription,
      CreationTime: this.ctx.clock.now(),
      CreatedBy: {},
      ModelPackageGroupStatus: 'Completed',
    };
    if (!(await this.ctx.state.create('model-package-groups', name, group))) {
      throw new SageMakerApiError('ValidationException', `Model Package Group already exists: ${arn}`, { group: name });
    }
    return { ModelPackageGroupArn: arn };
  }

  /** Creates the group unless it exists; returns its ARN. */
  async ensureModelPackageGroup(name: string, description?: string): Promise<string> {
    const existing = await this.ctx.state.get<DescribeModelPackageGroupOutput>('model-package-groups', validateName(name, 'modelPackageGroupName'));
    if (existing) return existing.ModelPackageGroupArn as string;
    try {
      return (await this.createModelPackageGroup({ ModelPackageGroupName: name, ModelPackageGroupDescription: description })).ModelPackageGroupArn as string;
    } catch (error) {
      if (error instanceof SageMakerApiError && error.message.startsWith('Model Package Group already exists')) {
        return this.ctx.arns.of('model-package-group', name);
      }
      throw error;
    }
  }

  async describeModelPackageGroup(name: string): Promise<DescribeModelPackageGroupOutput> {
    const group = await this.ctx.state.get<DescribeModelPackageGroupOutput>('model-package-groups', validateName(name, 'modelPackageGroupName'));
    if (!group) throw new SageMakerApiError('ValidationException', `ModelPackageGroup ${name} does not exist.`, { group: name });
    return group;
  }

  async createModelPackage(request: CreateModelPackageInput): Promise<CreateModelPackageOutput> {
    if (request.ModelPackageGroupName === undefined) {
      throw new SageMakerApiError('ValidationException', 'local mode supports versioned model packages only: ModelPackageGroupName is required');
    }
    const group = validateName(request.ModelPackageGroupName, 'modelPackageGroupName');
    await this.describeModelPackageGroup(group);
    const status = request.ModelApprovalStatus ?? 'PendingManualApproval';
    if (!APPROVAL.includes(status)) throw invalidStatus(status);
    const existing = await this.ctx.state.list<DescribeModelPackageOutput>('model-packages', group);
    let version = existing.reduce((max, p) => Math.max(max, p.ModelPackageVersion ?? 0), 0) + 1;
    const now = this.ctx.clock.now();
    for (;;) {
      const arn = this.ctx.arns.of('model-package', `${group}/${version}`);
      const pkg: DescribeModelPackageOutput = {
        ModelPackageName: group,
        ModelPackageGroupName: group,
        ModelPackageVersion: version,
        ModelPackageArn: arn,
        ModelPackageDescription: request.ModelPackageDescription,
        CreationTime: now,
        InferenceSpecification: request.InferenceSpecification,
        ModelPackageStatus: 'Completed',
        ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
        CertifyForMarketplace: request.CertifyForMarketplace ?? false,
        ModelApprovalStatus: status,
        MetadataProperties: request.MetadataProperties,
        ModelMetrics: request.ModelMetrics,
        DriftCheckBaselines: request.DriftCheckBaselines,
        CustomerMetadataProperties: request.CustomerMetadataProperties,
        Domain: request.Domain,
        Task: request.Task,
        LastModifiedTime: now,
      };
      // Another process may have taken this version meanwhile: then take the next one.
      if (await this.ctx.state.create('model-packages', `${group}/${version}`, pkg)) {
        await this.emit(pkg);
        return { ModelPackageArn: arn };
      }
      version++;
    }
  }

  /** By ARN, or by "<group>/<version>". */
  async describeModelPackage(nameOrArn: string): Promise<DescribeModelPackageOutput> {
    const { group, version } = this.parse(nameOrArn);
    const pkg = await this.ctx.state.get<DescribeModelPackageOutput>('model-packages', `${group}/${version}`);
    if (!pkg) throw new SageMakerApiError('ValidationException', `ModelPackage ${nameOrArn} does not exist.`, { modelPackage: nameOrArn });
    return pkg;
  }

  /** ListModelPackages of a group: ModelApprovalStatus filter, SortBy CreationTime (default) or Name, SortOrder (default Ascending), MaxResults (default 10), NextToken. */
  async listModelPackages(request: ListModelPackagesInput = {}): Promise<ListModelPackagesOutput> {
    const groups =
      request.ModelPackageGroupName !== undefined
        ? [validateName(request.ModelPackageGroupName, 'modelPackageGroupName')]
        : await this.ctx.state.groups('model-packages');
    const all: DescribeModelPackageOutput[] = [];
    for (const group of groups) all.push(...(await this.ctx.state.list<DescribeModelPackageOutput>('model-packages', group)));
    const filtered = all.filter(
      (p) =>
        (request.ModelApprovalStatus === undefined || p.ModelApprovalStatus === request.ModelApprovalStatus) &&
        (request.NameContains === undefined || (p.ModelPackageName ?? '').includes(request.NameContains)) &&
        (request.CreationTimeAfter === undefined || (p.CreationTime as Date) > request.CreationTimeAfter) &&
        (request.CreationTimeBefore === undefined || (p.CreationTime as Date) < request.CreationTimeBefore),
    );
    const descending = request.SortOrder === 'Descending';
    filtered.sort((a, b) => {
      const order =
        request.SortBy === 'Name'
          ? compareNames(a.ModelPackageName as string, b.ModelPackageName as string) || (a.ModelPackageVersion ?? 0) - (b.ModelPackageVersion ?? 0)
          : (a.CreationTime as Date).getTime() - (b.CreationTime as Date).getTime() || (a.ModelPackageVersion ?? 0) - (b.ModelPackageVersion ?? 0);
      return descending ? -order : order;
    });
    return paginate(
      filtered,
      request.MaxResults,
      request.NextToken,
      (p): ModelPackageSummary => ({
        ModelPackageName: p.ModelPackageName,
        ModelPackageGroupName: p.ModelPackageGroupName,
        ModelPackageVersion: p.ModelPackageVersion,
        ModelPackageArn: p.ModelPackageArn,
        ModelPackageDescription: p.ModelPackageDescription,
        CreationTime: p.CreationTime,
        ModelPackageStatus: p.ModelPackageStatus,
        ModelApprovalStatus: p.ModelApprovalStatus,
      }),
      'ModelPackageSummaryList',
    );
  }

  async updateModelPackage(request: UpdateModelPackageInput): Promise<UpdateModelPackageOutput> {
    const arn = request.ModelPackageArn;
    if (arn === undefined) throw new SageMakerApiError('ValidationException', "1 validation error detected: Value null at 'modelPackageArn' failed to satisfy constraint: Member must not be null");
    const current = await this.describeModelPackage(arn);
    if (request.ModelApprovalStatus !== undefined && !APPROVAL.includes(request.ModelApprovalStatus)) throw invalidStatus(request.ModelApprovalStatus);
    const metadata = { ...(current.CustomerMetadataProperties ?? {}), ...(request.CustomerMetadataProperties ?? {}) };
    for (const key of request.CustomerMetadataPropertiesToRemove ?? []) delete metadata[key];
    const updated: DescribeModelPackageOutput = {
      ...current,
      ModelApprovalStatus: request.ModelApprovalStatus ?? current.ModelApprovalStatus,
      ApprovalDescription: request.ApprovalDescription ?? current.ApprovalDescription,
      CustomerMetadataProperties: Object.keys(metadata).length > 0 ? metadata : undefined,
      LastModifiedTime: this.ctx.clock.now(),
    };
    await this.ctx.state.put('model-packages', `${current.ModelPackageGroupName}/${current.ModelPackageVersion}`, updated);
    await this.emit(updated);
    return { ModelPackageArn: current.ModelPackageArn };
  }

  private parse(nameOrArn: string): { group: string; version: number } {
    const fromArn = this.ctx.arns.parseModelPackageArn(nameOrArn);
    if (fromArn) return fromArn;
    const match = /^([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/(\d+)$/.exec(nameOrArn);
    if (match) return { group: match[1], version: Number(match[2]) };
    throw new SageMakerApiError('ValidationException', `expected a versioned model package ARN or "<group>/<version>", got "${nameOrArn}"`, {
      modelPackage: nameOrArn,
    });
  }

  private async emit(pkg: DescribeModelPackageOutput): Promise<void> {
    const detail: Record<string, unknown> = {
      ModelPackageGroupName: pkg.ModelPackageGroupName,
      ModelPackageVersion: pkg.ModelPackageVersion,
      ModelPackageArn: pkg.ModelPackageArn,
      ModelPackageName: pkg.ModelPackageName,
      CreationTime: (pkg.CreationTime as Date).toISOString(),
      InferenceSpecification: pkg.InferenceSpecification,
      ModelPackageStatus: pkg.ModelPackageStatus,
      ModelPackageStatusDetails: pkg.ModelPackageStatusDetails,
      CertifyForMarketplace: pkg.CertifyForMarketplace,
      ModelApprovalStatus: pkg.ModelApprovalStatus,
      MetadataProperties: pkg.MetadataProperties,
      ModelMetrics: pkg.ModelMetrics,
      LastModifiedTime: (pkg.LastModifiedTime as Date).toISOString(),
    };
    if (pkg.ModelPackageDescription !== undefined) detail.ModelPackageDescription = pkg.ModelPackageDescription;
    if (pkg.ApprovalDescription !== undefined) detail.ApprovalDescription = pkg.ApprovalDescription;
    if (pkg.CustomerMetadataProperties !== undefined) detail.CustomerMetadataProperties = pkg.CustomerMetadataProperties;
    if (pkg.DriftCheckBaselines !== undefined) detail.DriftCheckBaselines = pkg.DriftCheckBaselines;
    await this.ctx.emit({
      source: 'aws.sagemaker',
      detailType: 'SageMaker Model Package State Change',
      resources: [pkg.ModelPackageArn as string],
      time: isoSeconds(pkg.LastModifiedTime as Date),
      region: this.ctx.arns.region,
      account: this.ctx.arns.accountId,
      detail: JSON.parse(JSON.stringify(detail)) as Record<string, unknown>,
    });
  }
}

function invalidStatus(status: string): SageMakerApiError {
  return new SageMakerApiError(
    'ValidationException',
    `1 validation error detected: Value '${status}' at 'modelApprovalStatus' failed to satisfy constraint: Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]`,
  );
}

/** EventBridge times have second precision: 2021-02-24T17:00:14Z. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
