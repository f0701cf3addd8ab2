/**
 * Local mode is not kinder than AWS: each scenario runs through the AWS adapter (SageMaker
 * answering, via aws-sdk-client-mock, with the exception the SDK builds for that answer) and
 * through the local port (the local backend answering), and both must end the same way — the
 * same value, or the same error class with the same retryability.
 *
 * SageMaker's answers come from outside this project: a missing endpoint, config or package and
 * a busy endpoint are ValidationException (the API model declares no error for DescribeEndpoint,
 * DeleteEndpointConfig or DescribeModelPackage; botocore's EndpointDeleted waiter treats
 * ValidationException as "gone"; the wordings are those users report, e.g.
 * aws/amazon-sagemaker-examples#2339 and #2402, awslabs/spot-tagging-bot-for-digital-assets#2).
 */
import {
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeModelPackageCommand,
  ListEndpointConfigsCommand,
  SageMakerClient,
  SageMakerServiceException,
  CreateEndpointCommand,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
  type EndpointConfigSummary,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { ModelHosting, ModelRegistry } from '../../../lambdas/adapters/ports';
import { createSageMakerHosting } from '../../../lambdas/adapters/sagemaker-hosting';
import { createSageMakerRegistry } from '../../../lambdas/adapters/sagemaker-registry';
import { TransientError } from '../../../lambdas/core/errors';
import { promoteChampion } from '../../../lambdas/core/promote';
import { localHosting, localRegistry } from '../../../local/sagemaker-ports';
import { sentCommandProblems } from '../../helpers/api-model';
import { MemoryStateStore } from '../../helpers/memory-state-store';
import { endpointConfig, makeBackend, trainedModel, type TestBackend } from './sagemaker/fixtures';

const ACCOUNT = '000000000000';
const arnOf = (kind: string, name: string) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:${kind}/${name}`;
const MISSING_PACKAGE = arnOf('model-package', 'retrain-models/99');

function validationException(message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

type Outcome = { resolved: unknown } | { rejected: string; retryable: boolean; awsError?: unknown };

async function outcome(attempt: Promise<unknown>): Promise<Outcome> {
  try {
    return { resolved: await attempt };
  } catch (error) {
    const context = (error as { context?: Record<string, unknown> }).context ?? {};
    return { rejected: (error as Error).constructor.name, retryable: error instanceof TransientError, awsError: context.awsError };
  }
}

describe('local SageMaker ports: the same outcome as the AWS adapters', () => {
  // Only this instance is mocked: the local ports' own SageMakerClient must reach the backend.
  const cloudClient = new SageMakerClient({ region: 'us-east-1' });
  const sagemaker = mockClient(cloudClient);
  const aws = { hosting: createSageMakerHosting(cloudClient), registry: createSageMakerRegistry(cloudClient) };
  let t: TestBackend;
  let local: { hosting: ModelHosting; registry: ModelRegistry };

  beforeAll(async () => {
    t = await makeBackend();
    await t.backend.ensureModelPackageGroup('retrain-models');
    await trainedModel(t, 'model-a');
    await endpointConfig(t, 'retrain-config-a', 'model-a');
    await endpointConfig(t, 'retrain-config-b', 'model-a');
    local = { hosting: localHosting(t.backend), registry: localRegistry(t.backend) };
  });
  afterAll(async () => {
    sagemaker.restore();
    await t.cleanup();
  });
  beforeEach(() => sagemaker.reset());
  // Every command the AWS side sends must be one the service's API model accepts.
  afterEach(() => expect(sentCommandProblems(sagemaker)).toEqual([]));

  it('describes a missing endpoint as undefined', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(validationException(`Could not find endpoint "${arnOf('endpoint', 'nothing-here')}".`));

    const [cloud, here] = await Promise.all([outcome(aws.hosting.describeEndpoint('nothing-here')), outcome(local.hosting.describeEndpoint('nothing-here'))]);

    expect(here).toEqual(cloud);
    expect(here).toEqual({ resolved: undefined });
  });

  it('treats deleting a missing endpoint config as done', async () => {
    sagemaker.on(DeleteEndpointConfigCommand).rejects(validationException(`Could not find endpoint configuration "${arnOf('endpoint-config', 'retrain-gone')}".`));

    const [cloud, here] = await Promise.all([outcome(aws.hosting.deleteEndpointConfig('retrain-gone')), outcome(local.hosting.deleteEndpointConfig('retrain-gone'))]);

    expect(here).toEqual(cloud);
    expect(here).toEqual({ resolved: undefined });
  });

  it('rejects creating an endpoint on a missing config as a request error that is not retried', async () => {
    sagemaker.on(CreateEndpointCommand).rejects(validationException(`Could not find endpoint configuration "${arnOf('endpoint-config', 'retrain-none')}".`));

    const [cloud, here] = await Promise.all([outcome(aws.hosting.createEndpoint('orphan', 'retrain-none')), outcome(local.hosting.createEndpoint('orphan', 'retrain-none'))]);

    expect(here).toEqual(cloud);
    expect(here).toEqual({ rejected: 'AwsRequestError', retryable: false, awsError: 'ValidationException' });
  });

  it('reports an update of an endpoint that is still being created as busy', async () => {
    sagemaker.on(UpdateEndpointCommand).rejects(validationException(`Cannot update in-progress endpoint "${arnOf('endpoint', 'busy')}".`));
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'busy', EndpointStatus: 'Creating', EndpointConfigName: 'retrain-config-a' });
    await local.hosting.createEndpoint('busy', 'retrain-config-a');

    const [cloud, here] = await Promise.all([outcome(aws.hosting.updateEndpoint('busy', 'retrain-config-b')), outcome(local.hosting.updateEndpoint('busy', 'retrain-config-b'))]);
    await t.backend.waitForSettled();

    expect(here).toEqual(cloud);
    expect(here).toEqual({ rejected: 'EndpointBusyError', retryable: false, awsError: undefined });
  });

  it('describes a missing model package as undefined', async () => {
    sagemaker.on(DescribeModelPackageCommand).rejects(validationException(`ModelPackage ${MISSING_PACKAGE} does not exist.`));

    const [cloud, here] = await Promise.all([outcome(aws.registry.describePackage(MISSING_PACKAGE)), outcome(local.registry.describePackage(MISSING_PACKAGE))]);

    expect(here).toEqual(cloud);
    expect(here).toEqual({ resolved: undefined });
  });

  it('rejects approving a missing model package as a request error that is not retried', async () => {
    sagemaker.on(UpdateModelPackageCommand).rejects(validationException(`ModelPackage ${MISSING_PACKAGE} does not exist.`));

    const [cloud, here] = await Promise.all([
      outcome(aws.registry.setApproval(MISSING_PACKAGE, 'Approved', 'gate passed')),
      outcome(local.registry.setApproval(MISSING_PACKAGE, 'Approved', 'gate passed')),
    ]);

    expect(here).toEqual(cloud);
    expect(here).toEqual({ rejected: 'AwsRequestError', retryable: false, awsError: 'ValidationException' });
  });

  it('lets promote count a config deleted meanwhile as deleted, not as a cleanup failure', async () => {
    // Two stale configs listed; the older one is gone by the time promote deletes it (a retried
    // promote, or another run's cleanup).
    const created = new Date('2026-11-27T12:00:00.000Z');
    const names = ['retrain-20261127-120000-aaaaaa', 'retrain-20261127-110000-bbbbbb'];
    const listed: EndpointConfigSummary[] = names.map((name, i) => ({ EndpointConfigName: name, EndpointConfigArn: arnOf('endpoint-config', name), CreationTime: new Date(created.getTime() - i * 3_600_000) }));
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'retrain', EndpointStatus: 'InService', EndpointConfigName: 'retrain-current' });
    sagemaker.on(ListEndpointConfigsCommand).resolves({ EndpointConfigs: listed });
    sagemaker.on(DeleteEndpointConfigCommand, { EndpointConfigName: names[0] }).resolves({});
    sagemaker.on(DeleteEndpointConfigCommand, { EndpointConfigName: names[1] }).rejects(validationException(`Could not find endpoint configuration "${arnOf('endpoint-config', names[1])}".`));
    // Locally: the first config exists, the second was deleted before promote runs.
    const hosting: ModelHosting = { ...local.hosting, listEndpointConfigs: async () => listed.map((c) => ({ name: c.EndpointConfigName!, createdAt: c.CreationTime! })) };
    await endpointConfig(t, names[0], 'model-a');

    const request = {
      runId: '20261127-130000-cccccc',
      endpointName: 'retrain',
      endpointConfigName: 'retrain-current',
      modelName: 'model-a',
      modelPackageArn: arnOf('model-package', 'retrain-models/1'),
      metric: { name: 'auc', value: 0.9 },
      baselineUri: 's3://b/baseline.json',
      schemaUri: 's3://b/schema.json',
      configPrefix: 'retrain-',
      keepConfigs: 0,
    };
    const clock = { now: () => new Date('2026-11-27T13:00:00.000Z') };
    const cloud = await promoteChampion({ state: new MemoryStateStore(clock), hosting: aws.hosting, clock }, request);
    const here = await promoteChampion({ state: new MemoryStateStore(clock), hosting, clock }, request);

    expect(here.deletedConfigs).toEqual(cloud.deletedConfigs);
    expect(here.cleanupFailures).toEqual(cloud.cleanupFailures);
    expect(here.cleanupFailures).toEqual([]);
    expect(here.deletedConfigs).toEqual(names);
  });
});

describe('local SageMaker listings: sorted and paged as the API reference says', () => {
  let t: TestBackend;
  const COUNT = 105;
  const nameOf = (i: number) => `retrain-lc-${String(i).padStart(3, '0')}`;

  beforeAll(async () => {
    t = await makeBackend();
    await t.store.write('m/model.tar.gz', 'x');
    await t.backend.createModel({ ModelName: 'm', PrimaryContainer: { Image: 'xgboost', ModelDataUrl: 's3://retrain-data/m/model.tar.gz' } });
    for (let i = 0; i < COUNT; i++) {
      await endpointConfig(t, nameOf(i), 'm');
      t.clock.advanceSeconds(60);
    }
    // Upper case sorts before lower case in code-unit (and UTF-8) order, after it in most locales.
    await endpointConfig(t, 'retrain-Zz', 'm');
    await endpointConfig(t, 'retrain-aa', 'm');
  });
  afterAll(() => t.cleanup());

  it('answers one page of 10 by default, newest first, with a NextToken: code that forgets it misses configs', async () => {
    // ListEndpointConfigs: SortBy "The default is CreationTime", SortOrder "The default is Descending" (API Reference).
    const page = await t.backend.listEndpointConfigs({ NameContains: 'retrain-lc-' });

    expect(page.EndpointConfigs?.map((c) => c.EndpointConfigName)).toEqual([104, 103, 102, 101, 100, 99, 98, 97, 96, 95].map(nameOf));
    expect(page.NextToken).toEqual(expect.any(String));
  });

  it('rejects MaxResults outside 1..100 as SageMaker does, instead of clamping it', async () => {
    // MaxResults "Valid Range: Minimum value of 1. Maximum value of 100." (API Reference, ListEndpointConfigs and ListModelPackages)
    await expect(t.backend.listEndpointConfigs({ MaxResults: 101 })).rejects.toMatchObject({ code: 'ValidationException', message: expect.stringContaining("at 'maxResults'") });
    await expect(t.backend.listEndpointConfigs({ MaxResults: 0 })).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(t.backend.listModelPackages({ MaxResults: 1000 })).rejects.toMatchObject({ code: 'ValidationException' });
    expect((await t.backend.listEndpointConfigs({ MaxResults: 100 })).EndpointConfigs).toHaveLength(100);
  });

  it('sorts names by code unit, not by locale', async () => {
    const page = await t.backend.listEndpointConfigs({ NameContains: 'retrain-', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 100 });

    expect(page.EndpointConfigs?.map((c) => c.EndpointConfigName).slice(0, 3)).toEqual(['retrain-Zz', 'retrain-aa', nameOf(0)]);
  });

  it('keeps configs created exactly at CreationTimeAfter ("greater than or equal to", API Reference)', async () => {
    const page = await t.backend.listEndpointConfigs({ NameContains: 'retrain-lc-', CreationTimeAfter: new Date('2026-11-27T13:43:00.000Z') });

    expect(page.EndpointConfigs?.map((c) => c.EndpointConfigName)).toEqual([nameOf(104), nameOf(103)]);
  });

  it('lists every config across pages through the local port, newest first', async () => {
    const configs = await localHosting(t.backend).listEndpointConfigs('retrain-lc-');

    expect(configs.map((c) => c.name)).toEqual(Array.from({ length: COUNT }, (_, i) => nameOf(COUNT - 1 - i)));
  });
});
