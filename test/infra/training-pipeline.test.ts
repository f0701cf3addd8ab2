import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { defaultConfig, type RetrainConfigInput } from '../../lib/config';
import { TrainingPipeline, type TrainingPipelineProps } from '../../lib/training-pipeline';
import { renderToken, resolveIntrinsics, synthesizeDefinition, type SynthesizedDefinition } from '../helpers/definition';
import { nagFindings } from '../helpers/nag';
import { buildStack } from '../helpers/stack';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The rendered statements of every policy attached to the role (all roles when none is given). */
function statementsOf(synthesized: SynthesizedDefinition, roleArnToken?: string): Statement[] {
  const roleRef = roleArnToken === undefined ? undefined : synthesized.stack.resolve(roleArnToken);
  const roleId = (roleRef as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  const policies = synthesized.template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => roleId === undefined || (policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((policy) => (resolveIntrinsics(policy.Properties.PolicyDocument, synthesized.template, synthesized.env) as { Statement: Statement[] }).Statement);
}

const actionsMatching = (statements: Statement[], pattern: RegExp) => statements.filter((s) => list(s.Action).some((a) => pattern.test(a)));

/** One stack for the read-only assertions: a project named "churn", with manual approval. */
let synthesized: SynthesizedDefinition;
beforeAll(() => {
  synthesized = synthesizeDefinition({ project: { name: 'churn' }, deployment: { manualApproval: true } });
});

describe('pipeline: IAM', () => {
  let bucketArn: string;
  beforeAll(() => {
    bucketArn = renderToken(synthesized, synthesized.stack.storage.dataBucket.bucketArn) as string;
  });

  it('lets training jobs read runs/ and write only models/ and the checkpoints of a run', () => {
    const statements = statementsOf(synthesized, synthesized.stack.pipeline.trainingRole.roleArn);
    const reads = actionsMatching(statements, /^s3:(GetObject|List)/).flatMap((s) => list(s.Resource));
    const writes = actionsMatching(statements, /^s3:(Put|Delete|Abort)/).flatMap((s) => list(s.Resource));

    expect(reads).toContain(`${bucketArn}/runs/*`);
    expect(writes.sort()).toEqual([`${bucketArn}/models/*`, `${bucketArn}/runs/*/checkpoints/*`]);
    expect(actionsMatching(statements, /^s3:Delete/)).toEqual([]);
  });

  it('lets the model read artifacts and splits and write only transform output and data capture', () => {
    const statements = statementsOf(synthesized, synthesized.stack.pipeline.modelRole.roleArn);
    const writes = actionsMatching(statements, /^s3:(Put|Delete|Abort)/).flatMap((s) => list(s.Resource));

    expect(writes.sort()).toEqual([`${bucketArn}/capture/*`, `${bucketArn}/runs/*/transform/*`]);
  });

  it('passes only the two SageMaker roles, and only to SageMaker', () => {
    const passRole = actionsMatching(statementsOf(synthesized), /^iam:PassRole$/);
    const roleArns = [synthesized.stack.pipeline.trainingRole.roleArn, synthesized.stack.pipeline.modelRole.roleArn].map((arn) => renderToken(synthesized, arn));

    expect(passRole).toHaveLength(1);
    expect(list(passRole[0].Resource).sort()).toEqual(roleArns.sort());
    expect(passRole[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
  });

  it("limits every SageMaker action to the project's own resources", () => {
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:';
    const own = new RegExp(
      `^${arn}((training-job|transform-job|model|endpoint-config)/churn-\\*|endpoint/churn|model-package/churn/\\*|model-package-group/churn)$`.replace(/\//g, '\\/'),
    );
    const statements = actionsMatching(statementsOf(synthesized), /^sagemaker:/);
    expect(statements.length).toBeGreaterThan(5);

    for (const statement of statements) {
      const actions = list(statement.Action);
      const resources = list(statement.Resource);
      if (resources.includes('*')) {
        // The only SageMaker action without resource-level permissions the pipeline needs.
        expect(actions.filter((a) => a.startsWith('sagemaker:'))).toEqual(['sagemaker:ListEndpointConfigs']);
        continue;
      }
      for (const resource of resources) expect({ actions, resource }).toEqual({ actions, resource: expect.stringMatching(own) });
    }
  });

  it('logs every execution to a log group encrypted with the project key, with tracing on', () => {
    const keyArn = synthesized.stack.resolve(synthesized.stack.storage.key.keyArn);
    const logGroups = synthesized.template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/vendedlogs/states/churn-pipeline' },
    });
    const [logGroupId] = Object.keys(logGroups);

    expect(logGroups[logGroupId].Properties.KmsKeyId).toEqual(keyArn);
    synthesized.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'churn-pipeline',
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: keyArn },
    });
  });
});

describe('pipeline: endpoint alarms', () => {
  const variant = [
    { Name: 'EndpointName', Value: 'churn' },
    { Name: 'VariantName', Value: 'primary' },
  ];

  it('alarms on 5XX errors of the endpoint variant from one per minute by default, paging the topic', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-endpoint-5xx',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: variant,
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [synthesized.stack.resolve(synthesized.stack.notifications.topic.topicArn)],
    });
  });

  it('alarms on the average model latency of the endpoint variant, in microseconds, from 1 s by default, paging the topic', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-endpoint-latency',
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: variant,
      Statistic: 'Average',
      Threshold: 1_000_000,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [synthesized.stack.resolve(synthesized.stack.notifications.topic.topicArn)],
    });
  });

  it('takes the configured thresholds', () => {
    const t = pipelineTemplate({ errorAlarmThreshold: 5, latencyAlarmThresholdMs: 250 });

    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Threshold: 5 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: 250_000 });
  });
});

describe('pipeline: validation', () => {
  it('rejects an error alarm threshold that is not above 0', () => {
    expect(() => pipelineTemplate({ errorAlarmThreshold: 0 })).toThrow(/TrainingPipeline errorAlarmThreshold: expected a number > 0, got 0/);
  });

  it('rejects a latency alarm threshold that is not above 0', () => {
    expect(() => pipelineTemplate({ latencyAlarmThresholdMs: -250 })).toThrow(/TrainingPipeline latencyAlarmThresholdMs: expected a number > 0, got -250/);
  });
});

describe('the whole stack: cdk-nag AwsSolutions', () => {
  const everything: RetrainConfigInput = {
    notifications: { email: 'ml-ops@example.com' },
    training: { spot: { enabled: true, maxWaitSeconds: 7200 }, vpc: { subnetIds: ['subnet-0abc'], securityGroupIds: ['sg-0abc'] } },
    deployment: { manualApproval: true },
    triggers: { extraAlarmArns: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:business-kpi'] },
  };

  it('has no unacknowledged finding with a serverless endpoint', () => {
    const { app } = buildStack({ deployment: { serverless: { memorySizeMb: 2048, maxConcurrency: 5 } } });

    expect(nagFindings(app)).toEqual([]);
  });

  it('has no unacknowledged finding with manual approval, spot, VPC, e-mail and extra alarms', () => {
    const { app } = buildStack(everything);

    expect(nagFindings(app)).toEqual([]);
  });

  it('has no unacknowledged finding in a concrete account and region (acknowledgements hold in any region)', () => {
    const { app, stack } = buildStack(everything, { env: { account: '123456789012', region: 'eu-west-1' } });

    expect([stack.account, stack.region]).toEqual(['123456789012', 'eu-west-1']);
    expect(nagFindings(app)).toEqual([]);
  });
});

/** A TrainingPipeline alone in a stack, with its own bucket, key, table and topic. */
function pipelineTemplate(props: Partial<TrainingPipelineProps> = {}): Template {
  // No bundling, no built-in CloudFormation validation (as test/helpers/stack.ts): both take seconds.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Pipeline');
  const key = new kms.Key(stack, 'Key');
  new TrainingPipeline(stack, 'Pipeline', {
    config: defaultConfig(),
    bucket: new s3.Bucket(stack, 'Bucket', { encryptionKey: key }),
    key,
    table: new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
    topic: new sns.Topic(stack, 'Topic'),
    ...props,
  });
  return Template.fromStack(stack);
}
