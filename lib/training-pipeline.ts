import { ArnFormat, Aws, CfnMapping, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { RetrainConfig } from './config';
import { acknowledgeWildcards, ARN_PREFIX, GRANT_ACTIONS, unscoped } from './private/nag';
import { RetrainFunction } from './private/retrain-function';
import { SageMakerRoles } from './private/sagemaker-roles';
import { grantExecutionKey } from './private/state-machine-key';
import { hasInstanceStorage } from './private/instance-storage';
import { XGBOOST_IMAGE_ACCOUNTS } from './private/xgboost-images';
import { EVENT_SOURCE } from '../lambdas/core/run-events';
import { DATA_PREFIXES, PROJECT_TAG, resourceNames } from './types';

export interface TrainingPipelineProps {
  /** The validated configuration. */
  readonly config: RetrainConfig;
  /** The data bucket (raw/, runs/, quarantine/, capture/). */
  readonly bucket: s3.IBucket;
  /** The project key (bucket, table, topic, logs, SageMaker volumes). */
  readonly key: kms.IKey;
  /** The state table (lock, triggers, runs, champion). */
  readonly table: dynamodb.ITable;
  /** Where run outcomes are published. */
  readonly topic: sns.ITopic;
  /**
   * Endpoint 5XX errors per minute from which a deployment rolls back.
   * @default 1
   */
  readonly errorAlarmThreshold?: number;
  /**
   * Average model latency in milliseconds from which a deployment rolls back.
   * @default 1000
   */
  readonly latencyAlarmThresholdMs?: number;
}

/** Seconds between two endpoint status checks while a deployment settles. */
const ENDPOINT_POLL_SECONDS = 30;

/** Errors worth retrying on every Lambda task: Lambda's own transient errors and ours. */
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
];
/**
 * SageMaker errors worth retrying, by the names Step Functions gives them ("ServiceName.ErrorName",
 * Step Functions Developer Guide, "Call other AWS services" / AWS SDK integrations). Not the
 * generic "SageMaker.AmazonSageMakerException" (optimized integrations) or
 * "SageMaker.SageMakerException": SageMaker's model has no ValidationException shape, so those
 * names also carry ValidationException and AccessDenied, which no retry fixes; nor
 * "SageMaker.ResourceLimitExceededException" (a quota). Those fail the step at once, and the
 * cause (with SageMaker's error code and message) is what Finalize records.
 */
const SAGEMAKER_TRANSIENT = ['SageMaker.ThrottlingException', 'SageMaker.InternalFailure', 'SageMaker.ServiceUnavailable'];

/**
 * The retraining pipeline: one Standard state machine (JSONPath only, so the synthesized
 * definition runs locally unchanged) that admits a trigger, prepares the data, trains on
 * SageMaker, scores candidate and champion on the same held-out rows, gates, registers,
 * deploys blue/green with auto-rollback, waits for the endpoint, promotes the champion and
 * finalizes — or records exactly why it did not.
 */
export class TrainingPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'admit' | 'etl' | 'evaluate' | 'deploy' | 'promote' | 'finalize' | 'approval', RetrainFunction>;
  readonly trainingRole: iam.Role;
  readonly modelRole: iam.Role;
  /** Alarms that roll a deployment back (and page operators). */
  readonly endpointAlarms: cloudwatch.Alarm[];
  readonly endpointName: string;
  readonly modelPackageGroup: sagemaker.CfnModelPackageGroup;

  private readonly names: ReturnType<typeof resourceNames>;
  private readonly config: RetrainConfig;
  private readonly bucketName: string;
  private readonly keyArnValue: string;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    validateThreshold('errorAlarmThreshold', props.errorAlarmThreshold);
    validateThreshold('latencyAlarmThresholdMs', props.latencyAlarmThresholdMs);
    const { config } = props;
    this.config = config;
    this.names = resourceNames(config.project.name);
    this.endpointName = this.names.endpoint;
    this.bucketName = props.bucket.bucketName;
    this.keyArnValue = props.key.keyArn;
    this.key = props.key;

    const roles = new SageMakerRoles(this, 'SageMakerRoles', {
      projectName: config.project.name,
      bucket: props.bucket,
      key: props.key,
      vpc: config.training.vpc !== undefined,
    });
    this.trainingRole = roles.trainingRole;
    this.modelRole = roles.modelRole;

    this.endpointAlarms = this.createEndpointAlarms(props);
    // SageMaker reads the auto-rollback alarms of a blue/green update with the endpoint's
    // execution role (the model role) while the new fleet bakes. Source: SageMaker Developer
    // Guide, "Auto-Rollback Configuration and Monitoring" ("Ensure that your IAM execution role
    // has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms").
    this.modelRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: this.endpointAlarms.map((alarm) => alarm.alarmArn) }),
    );
    this.modelPackageGroup = new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: this.names.modelPackageGroup,
      modelPackageGroupDescription: `retrain (${config.project.name}): every candidate, with its evaluation, baseline and run metadata`,
    });
    this.functions = this.createFunctions(props);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: this.names.logGroups.stateMachine,
      retention: config.retention.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.names.stateMachine,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `retrain (${config.project.name}): admit, prepare data, train, evaluate, register, deploy, finalize`,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition()),
      timeout: Duration.hours(24 + (config.deployment.manualApproval ? config.deployment.approvalTimeoutHours : 0)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.key),
    });
    this.grantSageMaker(props);
    this.acknowledgeWildcards();
    this.stateMachine.node.addDependency(this.modelPackageGroup);
  }

  /**
   * Lets the grantee start runs: states:StartExecution on the pipeline and the project key for
   * the execution input Step Functions encrypts on the caller's behalf.
   */
  grantStartRun(grantee: iam.IGrantable): iam.Grant {
    const grant = this.stateMachine.grantStartExecution(grantee);
    grantExecutionKey(grantee, this.key, this.stateMachine.stateMachineArn, 'start');
    return grant;
  }

  /** Lets the grantee read runs: describe executions and their history, with the project key. */
  grantReadRuns(grantee: iam.IGrantable): iam.Grant {
    const grant = this.stateMachine.grantRead(grantee);
    grantExecutionKey(grantee, this.key, this.stateMachine.stateMachineArn, 'read');
    return grant;
  }

  // ---------------------------------------------------------------- functions

  private createFunctions(props: TrainingPipelineProps): TrainingPipeline['functions'] {
    const { config } = props;
    const common = {
      projectName: config.project.name,
      key: props.key,
      logRetentionDays: config.retention.logRetentionDays as logs.RetentionDays,
    };
    const env = {
      DATA_BUCKET: props.bucket.bucketName,
      STATE_TABLE: props.table.tableName,
      PROJECT_NAME: config.project.name,
    };
    const make = (id: string, name: string, description: string, extra: Partial<ConstructorParameters<typeof RetrainFunction>[2]> = {}) =>
      new RetrainFunction(this, id, { ...common, name, description, environment: { ...env, ...(extra.environment ?? {}) }, ...extra });

    const functions = {
      admit: make('Admit', 'admit', 'Admission: normalize the trigger, deduplicate, cooldown, lock or queue, debounce'),
      etl: make('Etl', 'etl', 'Prepare data: validate, quarantine, split, encode and profile raw CSV', {
        memorySize: 3008,
        timeout: Duration.minutes(15),
      }),
      evaluate: make('Evaluate', 'evaluate', 'Score candidate and champion on the same held-out rows and apply the gate', {
        memorySize: 2048,
        timeout: Duration.minutes(10),
      }),
      deploy: make('Deploy', 'deploy', 'Create the endpoint or update it blue/green with auto-rollback'),
      promote: make('Promote', 'promote', 'Write the champion pointer and delete old endpoint configs', {
        unscopedActions: ['sagemaker:ListEndpointConfigs'],
      }),
      finalize: make('Finalize', 'finalize', 'Record the outcome, notify, release the lock, start one follow-up run', {
        environment: { TOPIC_ARN: props.topic.topicArn },
      }),
      approval: make('Approval', 'approval', 'Store the approval task token, tell people; resume the run when a package is approved or rejected', {
        environment: { TOPIC_ARN: props.topic.topicArn },
        unscopedActions: ['states:SendTaskSuccess, states:SendTaskFailure and states:SendTaskHeartbeat (the task token is the capability)'],
      }),
    };

    for (const fn of Object.values(functions)) props.table.grantReadWriteData(fn.function);
    props.bucket.grantRead(functions.etl.function, `${config.dataset.rawPrefix}*`);
    props.bucket.grantReadWrite(functions.etl.function, 'runs/*');
    props.bucket.grantPut(functions.etl.function, 'quarantine/*');
    props.bucket.grantRead(functions.etl.function, 'models/*/schema.json'); // the champion's schema
    props.bucket.grantRead(functions.evaluate.function, 'runs/*');
    props.bucket.grantPut(functions.evaluate.function, 'runs/*/evaluation.json');
    for (const document of ['schema', 'baseline', 'evaluation']) props.bucket.grantPut(functions.evaluate.function, `models/*/${document}.json`);
    props.bucket.grantRead(functions.admit.function, 'runs/*/manifest.json');
    props.topic.grantPublish(functions.finalize.function);
    props.topic.grantPublish(functions.approval.function);

    const stack = Stack.of(this);
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.names.stateMachine,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executionArns = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.names.stateMachine}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Admission checks whether a lock holder still runs; finalize starts the follow-up run.
    // The state machine's data is encrypted with the project key: both need it for this
    // state machine's encryption context, as the approval function does to resume a run.
    functions.admit.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionArns] }));
    grantExecutionKey(functions.admit.role, props.key, stateMachineArn, 'read');
    functions.finalize.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));
    grantExecutionKey(functions.finalize.role, props.key, stateMachineArn, 'start');
    grantExecutionKey(functions.approval.role, props.key, stateMachineArn, 'start');
    for (const fn of [functions.finalize, functions.approval]) {
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['events:PutEvents'],
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
          // events:source is multivalued for PutEvents (one value per entry; Service
          // Authorization Reference, Amazon EventBridge: ArrayOfString): every entry must be ours.
          conditions: { 'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE] }, Null: { 'events:source': 'false' } },
        }),
      );
    }

    const sagemakerArn = (resource: string, name: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: name });
    const prefix = `${config.project.name}-*`;
    functions.deploy.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'],
        resources: [sagemakerArn('endpoint', this.names.endpoint), sagemakerArn('endpoint-config', prefix)],
      }),
    );
    functions.deploy.role.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [sagemakerArn('endpoint', this.names.endpoint)] }));
    grantKeyForAwsResources(props.key, functions.deploy.role);
    // Rollback reads the approved package it redeploys.
    functions.deploy.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [sagemakerArn('model-package', `${this.names.modelPackageGroup}/*`)],
      }),
    );
    functions.promote.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: [sagemakerArn('endpoint', this.names.endpoint)] }),
    );
    // The name prefix also matches other projects whose names extend this one (project
    // "retrain" and "retrain-staging-..."): deletion also needs this project's tag, which every
    // config the pipeline creates carries. The endpoint-config resource type takes
    // aws:ResourceTag (Service Authorization Reference for Amazon SageMaker).
    functions.promote.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DeleteEndpointConfig'],
        resources: [sagemakerArn('endpoint-config', prefix)],
        conditions: { StringEquals: { [`aws:ResourceTag/${PROJECT_TAG}`]: config.project.name } },
      }),
    );
    // ListEndpointConfigs has no resource-level permissions.
    functions.promote.role.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListEndpointConfigs'], resources: ['*'] }));
    // SendTaskSuccess/Failure/Heartbeat take no resource-level permissions (Service Authorization
    // Reference, AWS Step Functions): a state machine ARN there grants nothing; the task token is
    // the capability.
    functions.approval.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: ['*'],
      }),
    );
    functions.approval.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [sagemakerArn('model-package', `${this.names.modelPackageGroup}/*`)],
      }),
    );
    return functions;
  }

  // ---------------------------------------------------------------- alarms

  private createEndpointAlarms(props: TrainingPipelineProps): cloudwatch.Alarm[] {
    const dimensionsMap = { EndpointName: this.names.endpoint, VariantName: this.names.variant };
    const errors = new cloudwatch.Alarm(this, 'EndpointErrorsAlarm', {
      alarmName: this.names.alarms.endpointErrors,
      alarmDescription: 'The endpoint returns 5XX errors. Deployments in progress roll back automatically.',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: 'Invocation5XXErrors',
        dimensionsMap,
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: props.errorAlarmThreshold ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'EndpointLatencyAlarm', {
      alarmName: this.names.alarms.endpointLatency,
      alarmDescription: 'Model latency is too high. Deployments in progress roll back automatically.',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: 'ModelLatency',
        dimensionsMap,
        statistic: 'Average',
        period: Duration.minutes(1),
      }),
      // ModelLatency is reported in microseconds.
      threshold: (props.latencyAlarmThresholdMs ?? 1000) * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [errors, latency];
  }

  // ---------------------------------------------------------------- the definition

  private definition(): sfn.IChainable {
    // States are not resources: their own scope keeps their ids apart from the functions'.
    const scope = new Construct(this, 'States');
    const c = this.config;
    const n = this.names;
    const s3 = (key: string) => `s3://${this.bucketName}/${key}`;

    const finalize = new tasks.LambdaInvoke(scope, 'Finalize', {
      stateName: 'Finalize',
      comment: 'Record the outcome, notify, release the lock and start one follow-up run for triggers that arrived meanwhile',
      lambdaFunction: this.functions.finalize.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        run: sfn.JsonPath.entirePayload,
        execution: { arn: sfn.JsonPath.executionId, name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        stateMachineArn: sfn.JsonPath.stateMachineId,
        settings: this.admissionSettings(),
      }),
    });
    lambdaRetry(finalize);
    const runFailed = new sfn.Fail(scope, 'RunFailed', { stateName: 'Run failed', errorPath: '$.error', causePath: '$.cause' });
    finalize.next(
      new sfn.Choice(scope, 'FailedChoice', { stateName: 'Failed?' })
        .when(sfn.Condition.stringEquals('$.outcome', 'failed'), runFailed)
        .otherwise(new sfn.Succeed(scope, 'Done', { stateName: 'Done' })),
    );

    /** Catch everything from a step: remember which step, then finalize (which records the failure). */
    const failedAt = (state: { addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown }, step: string) => {
      const pass = new sfn.Pass(scope, `FailedAt${step.replace(/[^A-Za-z]/g, '')}`, {
        stateName: `${step} failed`,
        result: sfn.Result.fromString(step),
        resultPath: '$.failedStep',
      });
      pass.next(finalize);
      state.addCatch(pass, { errors: ['States.ALL'], resultPath: '$.error' });
    };

    // 1. Admission
    const admit = new tasks.LambdaInvoke(scope, 'Admit', {
      stateName: 'Admit',
      comment: 'Normalize the trigger; deduplicate by event id; cooldown; take the lock or queue behind its holder',
      lambdaFunction: this.functions.admit.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        action: 'admit',
        input: sfn.JsonPath.entirePayload,
        execution: { arn: sfn.JsonPath.executionId, name: sfn.JsonPath.executionName, startTime: sfn.JsonPath.executionStartTime },
        stateMachineArn: sfn.JsonPath.stateMachineId,
        settings: this.admissionSettings(),
      }),
    });
    lambdaRetry(admit);
    const notStarted = new sfn.Succeed(scope, 'NotStarted', { stateName: 'Not started', comment: 'queued, covered, cooldown or duplicate' });
    const invalidInput = new sfn.Fail(scope, 'InvalidInput', {
      stateName: 'Invalid input',
      errorPath: '$.admission.error',
      causePath: '$.admission.cause',
    });

    const checkQuiet = new tasks.LambdaInvoke(scope, 'CheckQuiet', {
      stateName: 'Check quiet period',
      comment: 'Debounce: has no new-data trigger arrived for the quiet period (or has the maximum wait passed)?',
      lambdaFunction: this.functions.admit.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        action: 'debounce',
        run: sfn.JsonPath.entirePayload,
        settings: this.admissionSettings(),
      }),
    });
    lambdaRetry(checkQuiet);
    failedAt(checkQuiet, 'Check quiet period');
    const debounce = new sfn.Wait(scope, 'Debounce', {
      stateName: 'Debounce',
      time: sfn.WaitTime.secondsPath('$.admission.debounceSeconds'),
    });
    const debounceChoice = new sfn.Choice(scope, 'DebounceChoice', { stateName: 'Wait for more data?' });

    // 2. Prepare data
    const prepare = new tasks.LambdaInvoke(scope, 'PrepareData', {
      stateName: 'Prepare data',
      comment: 'List raw/, validate and quarantine rows, split deterministically, encode, write splits, schema and baseline',
      lambdaFunction: this.functions.etl.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.runId'),
        settings: {
          header: c.dataset.header,
          ...(c.dataset.columns ? { columns: c.dataset.columns } : {}),
          targetColumn: c.dataset.targetColumn,
          ...(c.dataset.features ? { features: c.dataset.features } : {}),
          categoricalFeatures: c.dataset.categoricalFeatures,
          ...(c.dataset.idColumn ? { idColumn: c.dataset.idColumn } : {}),
          problemType: c.dataset.problemType,
          rawPrefix: c.dataset.rawPrefix,
          ...(c.dataset.lookbackDays ? { lookbackDays: c.dataset.lookbackDays } : {}),
          maxQuarantineShare: c.dataset.maxQuarantineShare,
          minRows: c.dataset.minRows,
          split: c.evaluation.split,
        },
        hyperparameters: c.training.hyperparameters,
      }),
      resultPath: '$.prepared',
    });
    lambdaRetry(prepare);
    failedAt(prepare, 'Prepare data');

    // 3. Train
    const image = this.trainingImage();
    const train = new sfn.CustomState(scope, 'Train', {
      stateJson: {
        Type: 'Task',
        Comment: 'SageMaker training job (.sync); the name is derived from the run id, so a redrive cannot start a second job',
        Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createTrainingJob.sync`,
        Parameters: {
          'TrainingJobName.$': `States.Format('${n.runResource('{}')}', $.runId)`,
          AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
          RoleArn: this.trainingRole.roleArn,
          // Configured values plus the objective, eval_metric and num_class the data implies.
          'HyperParameters.$': '$.prepared.hyperParameters',
          InputDataConfig: ['train', 'validation'].map((channel) => ({
            ChannelName: channel,
            ContentType: 'text/csv',
            CompressionType: 'None',
            DataSource: {
              S3DataSource: {
                S3DataType: 'S3Prefix',
                'S3Uri.$': `States.Format('${s3('runs/{}/data/' + channel + '.csv')}', $.runId)`,
                S3DataDistributionType: 'FullyReplicated',
              },
            },
          })),
          // models/ never expires: the artifact serves as long as its package may (README: data layout).
          OutputDataConfig: { 'S3OutputPath.$': `States.Format('${s3(`${DATA_PREFIXES.models}{}`)}', $.runId)`, KmsKeyId: this.keyArn() },
          ResourceConfig: {
            InstanceType: c.training.instanceType,
            InstanceCount: c.training.instanceCount,
            VolumeSizeInGB: c.training.volumeSizeGb,
            ...this.volumeKey('VolumeKmsKeyId', c.training.instanceType),
          },
          StoppingCondition: {
            MaxRuntimeInSeconds: c.training.maxRuntimeSeconds,
            ...(c.training.spot.enabled ? { MaxWaitTimeInSeconds: c.training.spot.maxWaitSeconds } : {}),
          },
          ...(c.training.spot.enabled
            ? {
                EnableManagedSpotTraining: true,
                CheckpointConfig: { 'S3Uri.$': `States.Format('${s3('runs/{}/checkpoints')}', $.runId)` },
              }
            : {}),
          EnableNetworkIsolation: true,
          EnableInterContainerTrafficEncryption: c.training.instanceCount > 1,
          ...this.vpcConfig(),
          Tags: [{ Key: PROJECT_TAG, Value: c.project.name }],
        },
        ResultSelector: { 'jobName.$': '$.TrainingJobName', 'modelArtifacts.$': '$.ModelArtifacts.S3ModelArtifacts' },
        ResultPath: '$.training',
      },
    });
    sageMakerRetry(train);
    failedAt(train, 'Train');

    const createModel = new sfn.CustomState(scope, 'CreateModel', {
      stateJson: {
        Type: 'Task',
        Comment: 'The candidate model (same image for inference), network isolated',
        Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createModel`,
        Parameters: {
          'ModelName.$': `States.Format('${n.runResource('{}')}', $.runId)`,
          PrimaryContainer: { Image: image, 'ModelDataUrl.$': '$.training.modelArtifacts' },
          ExecutionRoleArn: this.modelRole.roleArn,
          ...this.modelIsolation(),
          Tags: [{ Key: PROJECT_TAG, Value: c.project.name }],
        },
        ResultPath: null,
      },
    });
    sageMakerRetry(createModel);
    failedAt(createModel, 'Create model');

    // 4. Evaluate: both models score the same rows (test.csv minus its label column).
    const transform = (id: string, who: 'candidate' | 'champion', modelNamePath: string) =>
      sageMakerRetry(
        new sfn.CustomState(scope, id, {
          stateJson: {
            Type: 'Task',
            Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createTransformJob.sync`,
            Parameters: {
              'TransformJobName.$': `States.Format('${n.runResource('{}')}-${who === 'candidate' ? 'cand' : 'champ'}', $.runId)`,
              'ModelName.$': modelNamePath,
              BatchStrategy: 'MultiRecord',
              MaxPayloadInMB: 6,
              TransformInput: {
                DataSource: {
                  S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': `States.Format('${s3('runs/{}/data/test.csv')}', $.runId)` },
                },
                ContentType: 'text/csv',
                SplitType: 'Line',
                CompressionType: 'None',
              },
              DataProcessing: { InputFilter: '$[1:]', JoinSource: 'None' },
              TransformOutput: {
                'S3OutputPath.$': `States.Format('${s3('runs/{}/transform/' + who)}', $.runId)`,
                AssembleWith: 'Line',
                Accept: 'text/csv',
                KmsKeyId: this.keyArn(),
              },
              TransformResources: {
                InstanceType: c.evaluation.transformInstanceType,
                InstanceCount: 1,
                ...this.volumeKey('VolumeKmsKeyId', c.evaluation.transformInstanceType),
              },
              Tags: [{ Key: PROJECT_TAG, Value: c.project.name }],
            },
            ResultPath: null,
          },
        }),
      );
    const transformChampion = transform('TransformChampion', 'champion', '$.prepared.champion.modelName');
    const score = new sfn.Parallel(scope, 'Score', {
      stateName: 'Score test split',
      comment: 'Batch-transform the held-out rows with the candidate and, in parallel, with the champion',
      resultPath: sfn.JsonPath.DISCARD,
    });
    score.branch(transform('TransformCandidate', 'candidate', `States.Format('${n.runResource('{}')}', $.runId)`));
    score.branch(
      new sfn.Choice(scope, 'ChampionChoice', { stateName: 'Champion exists?' })
        .when(sfn.Condition.isPresent('$.prepared.champion.modelName'), transformChampion)
        .otherwise(new sfn.Pass(scope, 'NoChampion', { stateName: 'No champion', comment: 'First run: only the minimum applies' })),
    );
    failedAt(score, 'Score test split');

    const evaluate = new tasks.LambdaInvoke(scope, 'Evaluate', {
      stateName: 'Evaluate',
      comment: 'Metrics for candidate and champion on the same rows; the gate decides; writes evaluation.json',
      lambdaFunction: this.functions.evaluate.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.runId'),
        trigger: sfn.JsonPath.objectAt('$.trigger'),
        prepared: sfn.JsonPath.objectAt('$.prepared'),
        problemType: c.dataset.problemType,
        gate: {
          metric: c.evaluation.metric,
          direction: c.evaluation.direction,
          ...(c.evaluation.minimum !== undefined ? { minimum: c.evaluation.minimum } : {}),
          minImprovement: c.evaluation.minImprovement,
        },
        manualApproval: c.deployment.manualApproval,
      }),
      resultPath: '$.evaluation',
    });
    lambdaRetry(evaluate);
    failedAt(evaluate, 'Evaluate');

    // 5. Register
    const register = new sfn.CustomState(scope, 'Register', {
      stateJson: {
        Type: 'Task',
        Comment: 'A model package with the evaluation report, the baseline and the run metadata; status from the gate',
        Resource: `arn:${Stack.of(this).partition}:states:::aws-sdk:sagemaker:createModelPackage`,
        Parameters: {
          ModelPackageGroupName: n.modelPackageGroup,
          'ModelPackageDescription.$': '$.evaluation.decision.reason',
          'ModelApprovalStatus.$': '$.evaluation.approvalStatus',
          'ClientToken.$': '$.runId',
          InferenceSpecification: {
            Containers: [{ Image: image, 'ModelDataUrl.$': '$.training.modelArtifacts' }],
            SupportedContentTypes: ['text/csv'],
            SupportedResponseMIMETypes: ['text/csv'],
            SupportedTransformInstanceTypes: [c.evaluation.transformInstanceType],
            ...(c.deployment.serverless ? {} : { SupportedRealtimeInferenceInstanceTypes: [c.deployment.instanceType] }),
          },
          ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', 'S3Uri.$': '$.evaluation.evaluationUri' } } },
          DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', 'S3Uri.$': '$.evaluation.baselineUri' } } },
          'CustomerMetadataProperties.$': '$.evaluation.metadata',
        },
        ResultSelector: { 'modelPackageArn.$': '$.ModelPackageArn' },
        ResultPath: '$.registration',
      },
    });
    sageMakerRetry(register);
    failedAt(register, 'Register');

    // 6. Deploy
    const createEndpointConfig = new sfn.CustomState(scope, 'CreateEndpointConfig', {
      stateJson: {
        Type: 'Task',
        Comment: 'A new endpoint config per run: stable variant name, data capture of input and output with KMS',
        Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createEndpointConfig`,
        Parameters: {
          'EndpointConfigName.$': `States.Format('${n.runResource('{}')}', $.runId)`,
          ProductionVariants: [this.productionVariant()],
          ...this.dataCapture(s3('capture')),
          ...(c.deployment.serverless ? {} : this.volumeKey('KmsKeyId', c.deployment.instanceType)),
          Tags: [{ Key: PROJECT_TAG, Value: c.project.name }],
        },
        ResultPath: null,
      },
    });
    sageMakerRetry(createEndpointConfig);
    failedAt(createEndpointConfig, 'Create endpoint config');

    const maxPolls = Math.ceil((c.deployment.maxWaitMinutes * 60) / ENDPOINT_POLL_SECONDS);
    const deployPayload = (action: 'deploy' | 'describe') =>
      sfn.TaskInput.fromObject({
        action,
        runId: sfn.JsonPath.stringAt('$.runId'),
        endpointName: n.endpoint,
        endpointConfigName: sfn.JsonPath.format(`${n.runResource('{}')}`, sfn.JsonPath.stringAt('$.runId')),
        serverless: c.deployment.serverless !== undefined,
        strategy: c.deployment.strategy,
        rollbackAlarmNames: this.endpointAlarms.map((a) => a.alarmName),
        maxWaitSeconds: c.deployment.maxWaitMinutes * 60,
      });
    const deploy = new tasks.LambdaInvoke(scope, 'Deploy', {
      stateName: 'Deploy',
      comment: 'Create the endpoint, or update it blue/green with the configured traffic shifting and auto-rollback alarms',
      lambdaFunction: this.functions.deploy.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: deployPayload('deploy'),
      resultPath: '$.deploy',
    });
    deploy.addRetry({ errors: ['EndpointBusyError'], interval: Duration.seconds(60), backoffRate: 1.5, maxAttempts: 10, jitterStrategy: sfn.JitterType.FULL });
    lambdaRetry(deploy);
    failedAt(deploy, 'Deploy');
    const startPolling = new sfn.Pass(scope, 'StartPolling', { stateName: 'Start polling', result: sfn.Result.fromObject({ n: 0 }), resultPath: '$.poll' });
    const waitForEndpoint = new sfn.Wait(scope, 'WaitForEndpoint', {
      stateName: 'Wait for endpoint',
      time: sfn.WaitTime.duration(Duration.seconds(ENDPOINT_POLL_SECONDS)),
    });
    const describeEndpoint = new tasks.LambdaInvoke(scope, 'DescribeEndpoint', {
      stateName: 'Describe endpoint',
      lambdaFunction: this.functions.deploy.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: deployPayload('describe'),
      resultPath: '$.endpoint',
    });
    lambdaRetry(describeEndpoint);
    failedAt(describeEndpoint, 'Describe endpoint');
    const countPoll = new sfn.Pass(scope, 'CountPoll', {
      stateName: 'Count poll',
      parameters: { 'n.$': 'States.MathAdd($.poll.n, 1)' },
      resultPath: '$.poll',
    });
    const deploymentFailed = new sfn.Pass(scope, 'DeploymentFailed', {
      stateName: 'Deployment failed',
      parameters: {
        Error: 'DeploymentFailedError',
        'Cause.$': "States.Format('Endpoint {} is {}: {}', $.endpoint.name, $.endpoint.status, $.endpoint.failureReason)",
      },
      resultPath: '$.error',
    });
    const deploymentTimedOut = new sfn.Pass(scope, 'DeploymentTimedOut', {
      stateName: 'Deployment timed out',
      parameters: {
        Error: 'DeploymentTimeoutError',
        Cause: `The endpoint did not settle within ${c.deployment.maxWaitMinutes} minutes; check it in the SageMaker console.`,
      },
      resultPath: '$.error',
    });
    const markDeployFailure = new sfn.Pass(scope, 'FailedAtDeployment', {
      stateName: 'Deployment not settled',
      result: sfn.Result.fromString('Deploy'),
      resultPath: '$.failedStep',
    });
    deploymentFailed.next(markDeployFailure);
    deploymentTimedOut.next(markDeployFailure);
    markDeployFailure.next(finalize);

    const promote = new tasks.LambdaInvoke(scope, 'Promote', {
      stateName: 'Promote champion',
      comment: 'The endpoint serves the new model: write the champion pointer; delete endpoint configs older than the last three',
      lambdaFunction: this.functions.promote.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.runId'),
        endpointName: n.endpoint,
        endpointConfigName: sfn.JsonPath.stringAt('$.deploy.endpointConfigName'),
        modelName: sfn.JsonPath.format(`${n.runResource('{}')}`, sfn.JsonPath.stringAt('$.runId')),
        modelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
        metric: { name: c.evaluation.metric, value: sfn.JsonPath.numberAt('$.evaluation.decision.candidate') },
        baselineUri: sfn.JsonPath.stringAt('$.evaluation.baselineUri'),
        schemaUri: sfn.JsonPath.stringAt('$.evaluation.schemaUri'),
        configPrefix: n.endpointConfigPrefix,
        keepConfigs: 3,
      }),
      resultPath: '$.promotion',
    });
    lambdaRetry(promote);
    failedAt(promote, 'Promote champion');
    promote.next(finalize);

    const settled = new sfn.Choice(scope, 'SettledChoice', { stateName: 'Endpoint settled?' })
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.endpoint.status', 'InService'),
          sfn.Condition.stringEqualsJsonPath('$.endpoint.endpointConfigName', '$.deploy.endpointConfigName'),
        ),
        promote,
      )
      .when(sfn.Condition.stringEquals('$.endpoint.status', 'InService'), finalize) // rolled back to the old config
      .when(
        sfn.Condition.or(
          sfn.Condition.stringEquals('$.endpoint.status', 'Failed'),
          sfn.Condition.stringEquals('$.endpoint.status', 'UpdateRollbackFailed'),
          sfn.Condition.stringEquals('$.endpoint.status', 'OutOfService'),
        ),
        deploymentFailed,
      )
      .when(sfn.Condition.numberGreaterThanEquals('$.poll.n', maxPolls), deploymentTimedOut)
      .otherwise(countPoll);
    countPoll.next(waitForEndpoint);
    createEndpointConfig.next(deploy).next(startPolling).next(waitForEndpoint).next(describeEndpoint).next(settled);

    // 5b. Manual approval (optional)
    let pendingApproval: sfn.IChainable = finalize;
    if (c.deployment.manualApproval) {
      const waitForApproval = new tasks.LambdaInvoke(scope, 'WaitForApproval', {
        stateName: 'Wait for approval',
        comment: 'Store the task token with the package; approving or rejecting it in the registry resumes the run',
        lambdaFunction: this.functions.approval.function,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject({
          action: 'wait',
          taskToken: sfn.JsonPath.taskToken,
          runId: sfn.JsonPath.stringAt('$.runId'),
          modelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
          executionArn: sfn.JsonPath.executionId,
        }),
        taskTimeout: sfn.Timeout.duration(Duration.hours(c.deployment.approvalTimeoutHours)),
        resultPath: '$.approval',
      });
      lambdaRetry(waitForApproval);
      const timedOut = new sfn.Pass(scope, 'ApprovalTimedOut', {
        stateName: 'Approval timed out',
        parameters: { approved: false, reason: `No decision within ${c.deployment.approvalTimeoutHours} hours` },
        resultPath: '$.approval',
      });
      timedOut.next(finalize);
      waitForApproval.addCatch(timedOut, { errors: ['States.Timeout', 'States.HeartbeatTimeout'], resultPath: '$.approvalError' });
      const rejected = new sfn.Pass(scope, 'ApprovalRejected', {
        stateName: 'Rejected by a person',
        parameters: { approved: false, 'reason.$': '$.approvalError.Cause' },
        resultPath: '$.approval',
      });
      rejected.next(finalize);
      waitForApproval.addCatch(rejected, { errors: ['ModelPackageRejected'], resultPath: '$.approvalError' });
      failedAt(waitForApproval, 'Wait for approval');
      waitForApproval.next(
        new sfn.Choice(scope, 'ApprovedChoice', { stateName: 'Approved by a person?' })
          .when(sfn.Condition.booleanEquals('$.approval.approved', true), createEndpointConfig)
          .otherwise(finalize),
      );
      pendingApproval = waitForApproval;
    }

    register.next(
      new sfn.Choice(scope, 'StatusChoice', { stateName: 'Approved?' })
        .when(sfn.Condition.stringEquals('$.evaluation.approvalStatus', 'Approved'), createEndpointConfig)
        .when(sfn.Condition.stringEquals('$.evaluation.approvalStatus', 'PendingManualApproval'), pendingApproval)
        .otherwise(finalize),
    );

    const dryRun = new sfn.Choice(scope, 'DryRunChoice', { stateName: 'Dry run?' })
      .when(sfn.Condition.booleanEquals('$.options.dryRun', true), finalize)
      .otherwise(register);

    // Rollback (retrain rollback): an approved package instead of new data joins the deploy path.
    const prepareRollback = new tasks.LambdaInvoke(scope, 'PrepareRollback', {
      stateName: 'Prepare rollback',
      comment: 'Read the approved package to redeploy: its model artifact, evaluation and baseline',
      lambdaFunction: this.functions.deploy.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({ action: 'prepare-rollback', run: sfn.JsonPath.entirePayload, modelPackageGroup: n.modelPackageGroup }),
    });
    lambdaRetry(prepareRollback);
    failedAt(prepareRollback, 'Prepare rollback');
    const isRollback = sfn.Condition.isPresent('$.options.rollbackTo');
    const startChoice = new sfn.Choice(scope, 'RollbackChoice', { stateName: 'Rollback?' }).when(isRollback, prepareRollback).otherwise(prepare);
    prepareRollback.next(createModel);
    createModel.next(
      new sfn.Choice(scope, 'ScoreChoice', { stateName: 'Retraining?' })
        .when(isRollback, createEndpointConfig)
        .otherwise(score),
    );
    prepare.next(train).next(createModel);
    score.next(evaluate).next(dryRun);
    debounce.next(checkQuiet).next(debounceChoice);
    debounceChoice.when(sfn.Condition.numberGreaterThan('$.admission.debounceSeconds', 0), debounce).otherwise(startChoice);

    return admit.next(
      new sfn.Choice(scope, 'AdmittedChoice', { stateName: 'Admitted?' })
        .when(sfn.Condition.stringEquals('$.admission.outcome', 'started'), debounceChoice)
        .when(sfn.Condition.stringEquals('$.admission.outcome', 'rejected'), invalidInput)
        .otherwise(notStarted),
    );
  }

  /** The wildcards this construct's grants create, each for a reason. */
  private acknowledgeWildcards(): void {
    const project = this.config.project.name;
    acknowledgeWildcards(this, [
      GRANT_ACTIONS,
      {
        finding:
          /^Resource::<\w+\.Arn>\/(raw\/\*|runs\/\*|runs\/\*\/(checkpoints|data|transform)\/\*|runs\/\*\/(manifest|evaluation)\.json|models\/\*|models\/\*\/(schema|baseline|evaluation)\.json|quarantine\/\*|capture\/\*)$/,
        reason: 'One key pattern of the data bucket: run ids are chosen at run time, so objects of runs/<runId>/ can only be named by pattern.',
      },
      {
        finding: new RegExp(`^Resource::${ARN_PREFIX('sagemaker')}(training-job|transform-job|model|endpoint-config)/${project}-\\*$`),
        reason: `SageMaker resources are named per run (${project}-<runId>); permissions are limited to the project's name prefix.`,
      },
      {
        finding: new RegExp(`^Resource::${ARN_PREFIX('sagemaker')}model-package/${project}/\\*$`),
        reason: `Model package versions of the project's own group (${project}) only.`,
      },
      {
        finding: new RegExp(`^Resource::${ARN_PREFIX('states')}execution:${this.names.stateMachine}:\\*$`),
        reason: 'Executions of the project\'s own state machine (admission checks whether a lock holder still runs).',
      },
      {
        finding: /^Resource::<\w+Function\w+\.Arn>:\*$/,
        reason: 'Versions and aliases of the pipeline\'s own functions (LambdaInvoke grant).',
      },
    ]);
    acknowledgeWildcards(this.stateMachine, [
      unscoped('xray:PutTraceSegments, xray:PutTelemetryRecords and xray:GetSamplingRules/Targets (state machine tracing)'),
    ]);
  }

  private admissionSettings() {
    const c = this.config;
    return {
      cooldownMinutes: c.triggers.cooldownMinutes,
      quietPeriodSeconds: c.triggers.newData.quietPeriodSeconds,
      maxWaitSeconds: c.triggers.newData.maxWaitSeconds,
      triggerLogDays: c.retention.triggerLogDays,
    };
  }

  private productionVariant(): Record<string, unknown> {
    const d = this.config.deployment;
    const common = {
      VariantName: this.names.variant,
      'ModelName.$': `States.Format('${this.names.runResource('{}')}', $.runId)`,
      InitialVariantWeight: 1,
    };
    return d.serverless
      ? { ...common, ServerlessConfig: { MemorySizeInMB: d.serverless.memorySizeMb, MaxConcurrency: d.serverless.maxConcurrency } }
      : { ...common, InstanceType: d.instanceType, InitialInstanceCount: d.instanceCount };
  }

  /** Serverless endpoints do not support data capture; the monitors then have nothing to read. */
  private dataCapture(destination: string): Record<string, unknown> {
    const d = this.config.deployment;
    if (d.serverless || d.dataCapturePercent === 0) return {};
    return {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: d.dataCapturePercent,
        DestinationS3Uri: destination,
        KmsKeyId: this.keyArn(),
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
      },
    };
  }

  private trainingImage(): string {
    const t = this.config.training;
    if (t.imageUri) return t.imageUri;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && !XGBOOST_IMAGE_ACCOUNTS[stack.region]) {
      throw new Error(`training.imageUri: the built-in XGBoost image is not available in ${stack.region}; set training.imageUri`);
    }
    const mapping =
      (stack.node.tryFindChild('XgboostImageAccounts') as CfnMapping | undefined) ??
      new CfnMapping(stack, 'XgboostImageAccounts', {
        mapping: Object.fromEntries(Object.entries(XGBOOST_IMAGE_ACCOUNTS).map(([region, account]) => [region, { account }])),
      });
    return Fn.join('', [
      mapping.findInMap(Aws.REGION, 'account'),
      '.dkr.ecr.',
      Aws.REGION,
      '.',
      Aws.URL_SUFFIX,
      `/sagemaker-xgboost:${t.xgboostVersion}`,
    ]);
  }

  /**
   * Network isolation and the VPC of the model, which batch transform and the endpoint share.
   * Serverless endpoints support neither (SageMaker Developer Guide, Serverless Inference:
   * "Feature exclusions" lists VPC configuration and network isolation), so a serverless
   * deployment's model has neither; training keeps both.
   */
  private modelIsolation(): Record<string, unknown> {
    if (this.config.deployment.serverless) return {};
    return { EnableNetworkIsolation: true, ...this.vpcConfig() };
  }

  private vpcConfig(): Record<string, unknown> {
    const vpc = this.config.training.vpc;
    return vpc ? { VpcConfig: { Subnets: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds } } : {};
  }

  /**
   * The project key for an instance's storage volume, unless the instance type has local NVMe
   * storage: that is encrypted by the instance's hardware and SageMaker rejects a KMS key for it.
   */
  private volumeKey(member: 'VolumeKmsKeyId' | 'KmsKeyId', instanceType: string): Record<string, string> {
    return hasInstanceStorage(instanceType) ? {} : { [member]: this.keyArn() };
  }

  private keyArn(): string {
    return this.keyArnValue;
  }

  /** What the state machine itself calls on SageMaker, scoped to the project's name prefix. */
  private grantSageMaker(props: TrainingPipelineProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const arn = (resource: string, name: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: name });
    const prefix = `${this.config.project.name}-*`;
    const group = this.names.modelPackageGroup;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
        resources: [arn('training-job', prefix)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob'],
        resources: [arn('transform-job', prefix)],
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateModel'], resources: [arn('model', prefix)] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig'], resources: [arn('endpoint-config', prefix)] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateModelPackage'],
        resources: [arn('model-package', `${group}/*`), arn('model-package-group', group)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:AddTags', 'sagemaker:ListTags'],
        resources: ['training-job', 'transform-job', 'model', 'endpoint-config'].map((r) => arn(r, prefix)).concat(arn('model-package', `${group}/*`)),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.trainingRole.roleArn, this.modelRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // .sync integrations: Step Functions manages one EventBridge rule per job type.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: ['Training', 'Transform'].map((job) =>
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: `StepFunctionsGetEventsForSageMaker${job}JobsRule` }),
        ),
      }),
    );
    props.key.grantEncryptDecrypt(role);
    grantKeyForAwsResources(props.key, role);
  }
}

/**
 * Whoever creates a SageMaker resource with a KMS key (a training volume, an endpoint's
 * storage) must let SageMaker create a grant on that key — for AWS resources only.
 */
function grantKeyForAwsResources(key: kms.IKey, role: iam.IRole): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
}

function validateThreshold(name: string, value: number | undefined): void {
  if (value !== undefined && !Token.isUnresolved(value) && !(value > 0)) {
    throw new Error(`TrainingPipeline ${name}: expected a number > 0, got ${value}`);
  }
}

function lambdaRetry<T extends { addRetry(props: sfn.RetryProps): unknown }>(state: T): T {
  state.addRetry({
    errors: LAMBDA_TRANSIENT,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 4,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}

function sageMakerRetry<T extends { addRetry(props: sfn.RetryProps): unknown }>(state: T): T {
  state.addRetry({
    errors: SAGEMAKER_TRANSIENT,
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 5,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}
