import type { SageMakerEvent } from '../../../../local/sagemaker/backend';
import { BUCKET, makeBackend, type TestBackend } from './fixtures';

describe('local sagemaker: model registry', () => {
  let t: TestBackend;
  const events: SageMakerEvent[] = [];

  beforeAll(async () => {
    t = await makeBackend({ onEvent: (event) => void events.push(event) });
  });
  afterAll(() => t.cleanup());

  const register = (status?: 'Approved' | 'PendingManualApproval' | 'Rejected') =>
    t.backend.createModelPackage({
      ModelPackageGroupName: 'retrain-models',
      ModelPackageDescription: 'run r1',
      ModelApprovalStatus: status,
      InferenceSpecification: {
        Containers: [{ Image: 'xgboost:1.7-1', ModelDataUrl: `s3://${BUCKET}/runs/r1/model/r1/output/model.tar.gz` }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${BUCKET}/runs/r1/evaluation.json` } } },
      DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${BUCKET}/runs/r1/baseline.json` } } },
      CustomerMetadataProperties: { runId: 'r1' },
    });

  it('creates the group once; ensureModelPackageGroup is idempotent', async () => {
    const arn = await t.backend.ensureModelPackageGroup('retrain-models', 'churn models');
    expect(arn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model-package-group/retrain-models');
    expect(await t.backend.ensureModelPackageGroup('retrain-models')).toBe(arn);
    await expect(t.backend.createModelPackageGroup({ ModelPackageGroupName: 'retrain-models' })).rejects.toThrow(/Model Package Group already exists/);
  });

  it('gives packages consecutive versions and SageMaker\'s ARN', async () => {
    const first = await register();
    t.clock.advanceSeconds(60);
    const second = await register('Approved');
    t.clock.advanceSeconds(60);
    await register('Rejected');
    expect(first.ModelPackageArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1');
    expect(second.ModelPackageArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/2');
    const described = await t.backend.describeModelPackage(first.ModelPackageArn as string);
    expect(described).toMatchObject({
      ModelPackageGroupName: 'retrain-models',
      ModelPackageVersion: 1,
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageStatus: 'Completed',
      CustomerMetadataProperties: { runId: 'r1' },
      CreationTime: new Date('2026-11-27T12:00:00.000Z'),
    });
  });

  it('lists packages by approval status, sorted by creation time', async () => {
    const approved = await t.backend.listModelPackages({ ModelPackageGroupName: 'retrain-models', ModelApprovalStatus: 'Approved' });
    expect(approved.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([2]);
    const newestFirst = await t.backend.listModelPackages({ ModelPackageGroupName: 'retrain-models', SortBy: 'CreationTime', SortOrder: 'Descending' });
    expect(newestFirst.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([3, 2, 1]);
    expect(newestFirst.ModelPackageSummaryList?.[0]).toMatchObject({ ModelPackageGroupName: 'retrain-models', ModelApprovalStatus: 'Rejected' });
  });

  it('approves a package and sends the documented "SageMaker Model Package State Change" event', async () => {
    events.length = 0;
    t.clock.advanceSeconds(60);
    await t.backend.updateModelPackage({
      ModelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1',
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'approved by ops',
    });
    expect((await t.backend.describeModelPackage('retrain-models/1')).ModelApprovalStatus).toBe('Approved');
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      source: 'aws.sagemaker',
      detailType: 'SageMaker Model Package State Change',
      resources: ['arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1'],
      time: '2026-11-27T12:03:00Z',
      region: 'us-east-1',
      account: '000000000000',
      detail: expect.objectContaining({
        ModelPackageGroupName: 'retrain-models',
        ModelPackageVersion: 1,
        ModelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1',
        ModelPackageName: 'retrain-models',
        ModelPackageStatus: 'Completed',
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'approved by ops',
        CreationTime: '2026-11-27T12:00:00.000Z',
        InferenceSpecification: expect.objectContaining({ SupportedContentTypes: ['text/csv'] }),
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${BUCKET}/runs/r1/evaluation.json` } } },
        CertifyForMarketplace: false,
      }),
    });
  });

  it('rejects an approval status SageMaker does not know and a package that does not exist', async () => {
    await expect(
      t.backend.updateModelPackage({ ModelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/retrain-models/1', ModelApprovalStatus: 'Maybe' as 'Approved' }),
    ).rejects.toThrow(/Member must satisfy enum value set/);
    await expect(t.backend.describeModelPackage('retrain-models/99')).rejects.toThrow(/does not exist/);
    await expect(t.backend.createModelPackage({ ModelPackageGroupName: 'no-group' })).rejects.toThrow(/ModelPackageGroup no-group does not exist/);
  });
});
