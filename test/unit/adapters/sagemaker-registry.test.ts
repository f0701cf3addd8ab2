import {
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
  type ModelPackageSummary,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import { createSageMakerRegistry } from '../../../lambdas/adapters/sagemaker-registry';
import { TransientError } from '../../../lambdas/core/errors';
import { modelPackageArn } from '../../helpers/fakes';
import { sentCommandProblems } from '../../helpers/api-model';

const GROUP = 'retrain-models';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const sagemaker = mockClient(SageMakerClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(sagemaker)).toEqual([]));

function validationError(message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** DescribeModelPackage of a package retrain registered. */
function described(version: number, overrides: Partial<DescribeModelPackageCommandOutput> = {}): DescribeModelPackageCommandOutput {
  const run = `run-${version}`;
  return {
    $metadata: {},
    ModelPackageName: GROUP,
    ModelPackageGroupName: GROUP,
    ModelPackageVersion: version,
    ModelPackageArn: modelPackageArn(GROUP, version),
    ModelPackageDescription: `auc 0.9${version} beats the champion`,
    CreationTime: new Date(Date.UTC(2026, 10, version)),
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [] },
    ModelApprovalStatus: 'Approved',
    InferenceSpecification: {
      Containers: [
        { Image: IMAGE, ModelDataUrl: `s3://data-bucket/runs/${run}/model/output/model.tar.gz` },
        { Image: 'second-container', ModelDataUrl: 's3://elsewhere/model.tar.gz' },
      ],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['text/csv'],
    },
    ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://data-bucket/runs/${run}/evaluation.json` } } },
    DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://data-bucket/runs/${run}/baseline.json` } } },
    CustomerMetadataProperties: { runId: run, metric: 'auc', candidate: `0.9${version}` },
    ...overrides,
  };
}

function summary(version: number): ModelPackageSummary {
  return {
    ModelPackageArn: modelPackageArn(GROUP, version),
    ModelPackageGroupName: GROUP,
    ModelPackageVersion: version,
    CreationTime: new Date(Date.UTC(2026, 10, version)),
    ModelPackageStatus: 'Completed',
    ModelApprovalStatus: 'Approved',
  };
}

/** Every package version answers DescribeModelPackage with described(version). */
function describeAnswers(...versions: number[]): void {
  for (const v of versions) sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: modelPackageArn(GROUP, v) }).resolves(described(v));
}

describe('sagemaker-registry', () => {
  const registry = createSageMakerRegistry(new SageMakerClient({ region: 'us-east-1' }));

  beforeEach(() => sagemaker.reset());

  describe('describePackage', () => {
    it('maps the first container, the metadata and the evaluation and baseline URIs', async () => {
      describeAnswers(3);

      const info = await registry.describePackage(modelPackageArn(GROUP, 3));

      expect(info).toEqual({
        arn: modelPackageArn(GROUP, 3),
        group: GROUP,
        version: 3,
        status: 'Approved',
        createdAt: new Date(Date.UTC(2026, 10, 3)),
        image: IMAGE,
        modelDataUrl: 's3://data-bucket/runs/run-3/model/output/model.tar.gz',
        description: 'auc 0.93 beats the champion',
        metadata: { runId: 'run-3', metric: 'auc', candidate: '0.93' },
        evaluationUri: 's3://data-bucket/runs/run-3/evaluation.json',
        baselineUri: 's3://data-bucket/runs/run-3/baseline.json',
      });
      expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: modelPackageArn(GROUP, 3) });
    });

    it('leaves out what a package registered elsewhere does not have', async () => {
      sagemaker.on(DescribeModelPackageCommand).resolves(
        described(2, {
          ModelPackageDescription: undefined,
          ModelMetrics: undefined,
          DriftCheckBaselines: undefined,
          CustomerMetadataProperties: undefined,
          ModelApprovalStatus: 'PendingManualApproval',
        }),
      );

      const info = await registry.describePackage(modelPackageArn(GROUP, 2));

      expect(info).toMatchObject({ status: 'PendingManualApproval', metadata: {} });
      expect(info).not.toHaveProperty('description');
      expect(info).not.toHaveProperty('evaluationUri');
      expect(info).not.toHaveProperty('baselineUri');
    });

    it('returns undefined for a package that does not exist', async () => {
      sagemaker.on(DescribeModelPackageCommand).rejects(validationError(`ModelPackage ${modelPackageArn(GROUP, 99)} does not exist.`));

      await expect(registry.describePackage(modelPackageArn(GROUP, 99))).resolves.toBeUndefined();
    });

    it('throws other validation errors, naming the package', async () => {
      sagemaker.on(DescribeModelPackageCommand).rejects(validationError('1 validation error detected: Value at modelPackageName failed to satisfy constraint'));

      const attempt = registry.describePackage('not an arn');

      await expect(attempt).rejects.toBeInstanceOf(AwsRequestError);
      await expect(attempt).rejects.toMatchObject({ context: expect.objectContaining({ arn: 'not an arn', awsError: 'ValidationException' }) });
    });

    it('maps throttling to a TransientError', async () => {
      sagemaker.on(DescribeModelPackageCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(registry.describePackage(modelPackageArn(GROUP, 1))).rejects.toBeInstanceOf(TransientError);
    });
  });

  describe('listPackages', () => {
    it('lists the group newest first and describes every package', async () => {
      sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [summary(3), summary(2), summary(1)] });
      describeAnswers(1, 2, 3);

      const packages = await registry.listPackages(GROUP);

      expect(packages.map((p) => p.version)).toEqual([3, 2, 1]);
      expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, {
        ModelPackageGroupName: GROUP,
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 100,
      });
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeModelPackageCommand, 3);
    });

    it('asks SageMaker for the approval status it filters on', async () => {
      sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });

      await registry.listPackages(GROUP, { status: 'Approved' });

      expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved' });
    });

    it('follows NextToken across pages', async () => {
      sagemaker
        .on(ListModelPackagesCommand)
        .resolvesOnce({ ModelPackageSummaryList: [summary(5), summary(4)], NextToken: 'page-2' })
        .resolvesOnce({ ModelPackageSummaryList: [summary(3)] });
      describeAnswers(3, 4, 5);

      const packages = await registry.listPackages(GROUP);

      expect(packages.map((p) => p.version)).toEqual([5, 4, 3]);
      expect(sagemaker).toHaveReceivedNthSpecificCommandWith(2, ListModelPackagesCommand, { ModelPackageGroupName: GROUP, NextToken: 'page-2' });
    });

    it('stops at the limit across pages, describing no more packages than it returns', async () => {
      sagemaker
        .on(ListModelPackagesCommand)
        .resolvesOnce({ ModelPackageSummaryList: [summary(5), summary(4)], NextToken: 'page-2' })
        .resolvesOnce({ ModelPackageSummaryList: [summary(3), summary(2)], NextToken: 'page-3' })
        .resolvesOnce({ ModelPackageSummaryList: [summary(1)] });
      describeAnswers(1, 2, 3, 4, 5);

      const packages = await registry.listPackages(GROUP, { limit: 3 });

      expect(packages.map((p) => p.version)).toEqual([5, 4, 3]);
      expect(sagemaker).toHaveReceivedCommandTimes(ListModelPackagesCommand, 2);
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeModelPackageCommand, 3);
    });

    it('stops after the page that reaches the limit exactly', async () => {
      sagemaker
        .on(ListModelPackagesCommand)
        .resolvesOnce({ ModelPackageSummaryList: [summary(5), summary(4)], NextToken: 'page-2' })
        .resolvesOnce({ ModelPackageSummaryList: [summary(3)] });
      describeAnswers(3, 4, 5);

      const packages = await registry.listPackages(GROUP, { limit: 2 });

      expect(packages.map((p) => p.version)).toEqual([5, 4]);
      expect(sagemaker).toHaveReceivedCommandTimes(ListModelPackagesCommand, 1);
    });

    it('skips a package deleted between the list and the describe', async () => {
      sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [summary(2), summary(1)] });
      describeAnswers(1);
      sagemaker
        .on(DescribeModelPackageCommand, { ModelPackageName: modelPackageArn(GROUP, 2) })
        .rejects(validationError(`ModelPackage ${modelPackageArn(GROUP, 2)} does not exist.`));

      const packages = await registry.listPackages(GROUP);

      expect(packages.map((p) => p.version)).toEqual([1]);
    });

    it('maps a failed page to the typed error, naming the group', async () => {
      sagemaker.on(ListModelPackagesCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

      await expect(registry.listPackages(GROUP)).rejects.toMatchObject({
        name: 'AwsRequestError',
        context: expect.objectContaining({ operation: 'ListModelPackages', group: GROUP }),
      });
    });
  });

  describe('setApproval', () => {
    it('updates the approval status with the description', async () => {
      sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: modelPackageArn(GROUP, 4) });

      await registry.setApproval(modelPackageArn(GROUP, 4), 'Rejected', 'precision too low on the new segment');

      expect(sagemaker).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
        ModelPackageArn: modelPackageArn(GROUP, 4),
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'precision too low on the new segment',
      });
    });

    it('cuts the description to the 1024 characters SageMaker accepts', async () => {
      sagemaker.on(UpdateModelPackageCommand).resolves({});

      await registry.setApproval(modelPackageArn(GROUP, 4), 'Approved', 'a'.repeat(2000));

      expect(sagemaker).toHaveReceivedCommandWith(UpdateModelPackageCommand, { ApprovalDescription: 'a'.repeat(1024) });
    });

    it('maps a conflicting update to a typed error with the package and status in its context', async () => {
      sagemaker.on(UpdateModelPackageCommand).rejects(Object.assign(new Error('busy'), { name: 'ConflictException', $metadata: { httpStatusCode: 409 } }));

      await expect(registry.setApproval(modelPackageArn(GROUP, 4), 'Approved', 'ok')).rejects.toMatchObject({
        name: 'AwsRequestError',
        context: expect.objectContaining({ arn: modelPackageArn(GROUP, 4), status: 'Approved' }),
      });
    });
  });
});
