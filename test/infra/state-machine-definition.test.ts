/**
 * The pipeline's state machine, read from the synthesized template (test/helpers/definition.ts
 * renders its DefinitionString), never re-declared: valid ASL, JSONPath only, retries and catches
 * on every step, the SageMaker parameters that matter, and the length of a run.
 */
import aslValidator from 'asl-validator';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { RetrainConfigInput } from '../../lib/config';
import {
  allStates,
  renderToken,
  stateNamed,
  successors,
  synthesizeDefinition,
  type AslDefinition,
  type AslState,
  type SynthesizedDefinition,
} from '../helpers/definition';

/** Every optional feature of the pipeline on. */
const ALL_ON: RetrainConfigInput = {
  training: {
    maxRuntimeSeconds: 5400,
    spot: { enabled: true, maxWaitSeconds: 10800 },
    vpc: { subnetIds: ['subnet-0abc', 'subnet-0def'], securityGroupIds: ['sg-0abc'] },
  },
  deployment: { manualApproval: true, approvalTimeoutHours: 48, instanceCount: 2, strategy: { type: 'canary', canaryPercent: 50 } },
};

/** A serverless endpoint (which excludes a VPC: SageMaker Serverless Inference, feature exclusions). */
const SERVERLESS: RetrainConfigInput = { deployment: { serverless: { memorySizeMb: 3072, maxConcurrency: 10 } } };

const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const SAGEMAKER_TRANSIENT = ['SageMaker.ThrottlingException'];
/** Names that also carry ValidationException and quota errors: retrying them cannot succeed. */
const SAGEMAKER_PERMANENT = ['SageMaker.AmazonSageMakerException', 'SageMaker.SageMakerException', 'SageMaker.ResourceLimitExceededException'];

const isLambda = (state: AslState) => /:lambda:/.test(state.Resource ?? '');
const tasks = (definition: AslDefinition) => allStates(definition).filter(({ state }) => state.Type === 'Task');

let byDefault: SynthesizedDefinition;
let allOn: SynthesizedDefinition;
beforeAll(() => {
  byDefault = synthesizeDefinition();
  allOn = synthesizeDefinition(ALL_ON);
});

describe('state machine: the language', () => {
  it.each([
    ['the default configuration', () => byDefault],
    ['every optional feature on', () => allOn],
  ])('is a valid Amazon States Language definition with %s', (_, synthesized) => {
    // asl-validator writes QueryLanguage into every state it sees: give it a copy.
    const result = aslValidator(structuredClone(synthesized().definition));

    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only: no JSONata, no variables', () => {
    for (const { definition } of [byDefault, allOn]) {
      expect(definition.QueryLanguage).toBeUndefined();
      for (const { name, state } of allStates(definition)) {
        const jsonataOrVariables = ['QueryLanguage', 'Assign', 'Arguments', 'Output'].filter((field) => field in state);
        expect({ name, jsonataOrVariables }).toEqual({ name, jsonataOrVariables: [] });
      }
      expect(JSON.stringify(definition)).not.toMatch(/\{%|\$states\./);
    }
  });

  it('never writes ResultPath "$" (aws-local-stepfunctions mishandles it; omitting it means the same)', () => {
    const rootResultPaths = allStates(allOn.definition).filter(({ state }) => state.ResultPath === '$');

    expect(rootResultPaths.map((s) => s.name)).toEqual([]);
  });
});

describe('state machine: retries and catches', () => {
  it('retries every Task on transient errors with exponential backoff and full jitter', () => {
    for (const { name, state } of tasks(allOn.definition)) {
      const transient = isLambda(state) ? LAMBDA_TRANSIENT : SAGEMAKER_TRANSIENT;
      const jittered = (state.Retry ?? []).filter((r) => r.JitterStrategy === 'FULL' && (r.BackoffRate ?? 1) > 1 && (r.MaxAttempts ?? 3) > 1);
      const covered = transient.filter((error) => jittered.some((r) => r.ErrorEquals.includes(error)));

      expect({ name, covered }).toEqual({ name, covered: transient });
    }
  });

  it('never retries the SageMaker errors that carry validation and quota errors: the step fails at once', () => {
    for (const { name, state } of tasks(allOn.definition).filter(({ state }) => !isLambda(state))) {
      const retried = SAGEMAKER_PERMANENT.filter((error) => (state.Retry ?? []).some((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL')));

      expect({ name, retried }).toEqual({ name, retried: [] });
    }
  });

  it('retries Lambda service errors with the jittered retrier (no earlier retrier without jitter catches them first)', () => {
    for (const { name, state } of tasks(allOn.definition).filter(({ state }) => isLambda(state))) {
      const unjittered = LAMBDA_TRANSIENT.filter((error) => state.Retry?.find((r) => r.ErrorEquals.includes(error))?.JitterStrategy !== 'FULL');

      expect({ name, unjittered }).toEqual({ name, unjittered: [] });
    }
  });

  it('catches every error of every step after admission into a "<step> failed" Pass that goes to Finalize', () => {
    // Admit fails the execution directly (no run, no lock yet); Finalize is where catches go;
    // tasks inside a Parallel branch are caught by the Parallel state.
    // "Check quiet period" is left to the failing test below.
    const exempt = ['Admit', 'Finalize', 'Check quiet period'];
    const steps = allStates(allOn.definition).filter(
      ({ name, state, parallel }) => parallel === undefined && (state.Type === 'Task' || state.Type === 'Parallel') && !exempt.includes(name),
    );
    expect(steps.length).toBeGreaterThan(10);

    for (const { name, state } of steps) {
      const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, catches: catchAll !== undefined }).toEqual({ name, catches: true });
      const handler = stateNamed(allOn.definition, catchAll!.Next);

      expect(catchAll!.Next).toMatch(/ failed$/);
      expect(catchAll!.ResultPath).toBe('$.error');
      expect(handler).toMatchObject({ Type: 'Pass', Result: expect.any(String), ResultPath: '$.failedStep', Next: 'Finalize' });
    }
  });

  // BUG (lib/training-pipeline.ts): "Check quiet period" runs after admission took the lock,
  // but has no Catch: when it fails, the execution fails without Finalize, so the trigger has no
  // recorded outcome, no notification is sent and the lock is only freed by the next admission.
  // Fix: `failedAt(checkQuiet, 'Check quiet period');` next to `lambdaRetry(checkQuiet);`.
  it('catches the errors of the debounce check into Finalize too', () => {
    const checkQuiet = stateNamed(allOn.definition, 'Check quiet period');

    expect(checkQuiet.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next).toBe('Check quiet period failed');
  });

  it('routes every catcher through Pass states to Finalize', () => {
    const catchers = allStates(allOn.definition).flatMap(({ name, state }) => (state.Catch ?? []).map((c) => ({ name, next: c.Next })));
    expect(catchers.length).toBeGreaterThan(10);

    for (const { name, next } of catchers) {
      const path: string[] = [];
      let current = next;
      while (current !== 'Finalize' && path.length < 5) {
        const state = stateNamed(allOn.definition, current);
        expect({ from: name, via: current, type: state.Type }).toEqual({ from: name, via: current, type: 'Pass' });
        path.push(current);
        current = state.Next!;
      }
      expect({ from: name, reaches: current }).toEqual({ from: name, reaches: 'Finalize' });
    }
  });

  it('retries Finalize but never catches around it', () => {
    const finalize = stateNamed(allOn.definition, 'Finalize');

    expect(finalize.Retry?.length).toBeGreaterThan(0);
    expect(finalize.Catch).toBeUndefined();
  });

  it('fails with the error and cause read from paths, never a fixed text', () => {
    const fails = allStates(allOn.definition).filter(({ state }) => state.Type === 'Fail');

    expect(fails.map((f) => f.name).sort()).toEqual(['Invalid input', 'Run failed']);
    for (const { state } of fails) {
      expect(state.CausePath).toMatch(/^\$\./);
      expect(state.ErrorPath).toMatch(/^\$\./);
      expect(state.Cause).toBeUndefined();
    }
  });
});

describe('state machine: training', () => {
  it('trains with a .sync SageMaker job named after the run, encrypted, network isolated, with a stopping condition', () => {
    const train = stateNamed(byDefault.definition, 'Train');
    const keyArn = renderToken(byDefault, byDefault.stack.storage.key.keyArn);
    const roleArn = renderToken(byDefault, byDefault.stack.pipeline.trainingRole.roleArn);

    expect(train.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(train.Parameters).toMatchObject({
      'TrainingJobName.$': "States.Format('retrain-{}', $.runId)",
      RoleArn: roleArn,
      OutputDataConfig: { KmsKeyId: keyArn },
      ResourceConfig: { VolumeKmsKeyId: keyArn, InstanceType: 'ml.m5.xlarge', InstanceCount: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      EnableNetworkIsolation: true,
    });
    expect(train.Parameters).not.toHaveProperty('VpcConfig');
    expect(train.Parameters).not.toHaveProperty('CheckpointConfig');
    expect(train.Parameters!.StoppingCondition).not.toHaveProperty('MaxWaitTimeInSeconds');
  });

  it('reads the train and validation splits of the run and writes the model under models/<runId>, which never expires', () => {
    const bucket = renderToken(byDefault, byDefault.stack.storage.dataBucket.bucketName) as string;
    const train = stateNamed(byDefault.definition, 'Train');

    expect(train.Parameters).toMatchObject({
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { 'S3Uri.$': `States.Format('s3://${bucket}/runs/{}/data/train.csv', $.runId)` } } },
        { ChannelName: 'validation', DataSource: { S3DataSource: { 'S3Uri.$': `States.Format('s3://${bucket}/runs/{}/data/validation.csv', $.runId)` } } },
      ],
      OutputDataConfig: { 'S3OutputPath.$': `States.Format('s3://${bucket}/models/{}', $.runId)` },
    });
  });

  it('with spot training, waits at most the configured time and checkpoints under runs/<runId>/checkpoints', () => {
    const bucket = renderToken(allOn, allOn.stack.storage.dataBucket.bucketName) as string;

    expect(stateNamed(allOn.definition, 'Train').Parameters).toMatchObject({
      EnableManagedSpotTraining: true,
      StoppingCondition: { MaxRuntimeInSeconds: 5400, MaxWaitTimeInSeconds: 10800 },
      CheckpointConfig: { 'S3Uri.$': `States.Format('s3://${bucket}/runs/{}/checkpoints', $.runId)` },
    });
  });

  it('with a VPC, runs the training job and the model in its subnets and security groups', () => {
    const vpcConfig = { Subnets: ['subnet-0abc', 'subnet-0def'], SecurityGroupIds: ['sg-0abc'] };

    expect(stateNamed(allOn.definition, 'Train').Parameters).toMatchObject({ VpcConfig: vpcConfig, EnableNetworkIsolation: true });
    expect(stateNamed(allOn.definition, 'CreateModel').Parameters).toMatchObject({ VpcConfig: vpcConfig, EnableNetworkIsolation: true });
  });
});

describe('state machine: scoring', () => {
  const transforms = (definition: AslDefinition) => ['TransformCandidate', 'TransformChampion'].map((name) => stateNamed(definition, name));

  it('batch-transforms the same test.csv with candidate and champion, dropping its label column', () => {
    const bucket = renderToken(byDefault, byDefault.stack.storage.dataBucket.bucketName) as string;
    const [candidate, champion] = transforms(byDefault.definition);

    for (const transform of [candidate, champion]) {
      expect(transform.Resource).toBe('arn:aws:states:::sagemaker:createTransformJob.sync');
      expect(transform.Parameters).toMatchObject({
        TransformInput: {
          DataSource: { S3DataSource: { 'S3Uri.$': `States.Format('s3://${bucket}/runs/{}/data/test.csv', $.runId)` } },
          ContentType: 'text/csv',
          SplitType: 'Line',
        },
        DataProcessing: { InputFilter: '$[1:]' },
      });
    }
    expect(candidate.Parameters!['ModelName.$']).toBe(stateNamed(byDefault.definition, 'CreateModel').Parameters!['ModelName.$']);
    expect(champion.Parameters!['ModelName.$']).toBe('$.prepared.champion.modelName');
  });

  it('scores with the champion only when there is one, in parallel with the candidate', () => {
    const score = stateNamed(byDefault.definition, 'Score test split');
    const championBranch = score.Branches!.find((b) => b.StartAt === 'Champion exists?')!;

    expect(score.Type).toBe('Parallel');
    expect(score.Branches!.map((b) => b.StartAt)).toEqual(['TransformCandidate', 'Champion exists?']);
    expect(championBranch.States['Champion exists?']).toMatchObject({
      Choices: [{ Variable: '$.prepared.champion.modelName', IsPresent: true, Next: 'TransformChampion' }],
      Default: 'No champion',
    });
  });
});

describe('state machine: deployment', () => {
  it('creates an endpoint config with the stable variant "primary" capturing input and output to capture/ with the key', () => {
    const bucket = renderToken(byDefault, byDefault.stack.storage.dataBucket.bucketName) as string;
    const keyArn = renderToken(byDefault, byDefault.stack.storage.key.keyArn);

    expect(stateNamed(byDefault.definition, 'CreateEndpointConfig').Parameters).toMatchObject({
      'EndpointConfigName.$': "States.Format('retrain-{}', $.runId)",
      ProductionVariants: [{ VariantName: 'primary', 'ModelName.$': "States.Format('retrain-{}', $.runId)", InstanceType: 'ml.m5.large' }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${bucket}/capture`,
        KmsKeyId: keyArn,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
      KmsKeyId: keyArn,
    });
  });

  it('hosts a serverless variant without data capture (serverless endpoints do not support it)', () => {
    const parameters = stateNamed(synthesizeDefinition(SERVERLESS).definition, 'CreateEndpointConfig').Parameters!;

    expect(parameters.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'primary', ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 10 } }),
    ]);
    expect((parameters.ProductionVariants as object[])[0]).not.toHaveProperty('InstanceType');
    expect(parameters).not.toHaveProperty('DataCaptureConfig');
  });

  it('passes the endpoint alarms to the deploy step as its rollback alarms', () => {
    const alarmNames = byDefault.stack.pipeline.endpointAlarms.map((alarm) => renderToken(byDefault, alarm.alarmName));

    expect(alarmNames).toHaveLength(2);
    expect(stateNamed(byDefault.definition, 'Deploy').Parameters).toMatchObject({ action: 'deploy', rollbackAlarmNames: alarmNames });
  });

  it('without manual approval, deploys Approved candidates and finalizes any other', () => {
    expect(stateNamed(byDefault.definition, 'Approved?')).toMatchObject({
      Choices: [
        { Variable: '$.evaluation.approvalStatus', StringEquals: 'Approved', Next: 'CreateEndpointConfig' },
        { Variable: '$.evaluation.approvalStatus', StringEquals: 'PendingManualApproval', Next: 'Finalize' },
      ],
      Default: 'Finalize',
    });
    expect(allStates(byDefault.definition).filter(({ state }) => state.Resource?.endsWith('.waitForTaskToken'))).toEqual([]);
  });

  it('with manual approval, waits for a person with a task token until the configured timeout', () => {
    const wait = stateNamed(allOn.definition, 'Wait for approval');

    expect(stateNamed(allOn.definition, 'Approved?').Choices).toContainEqual(
      expect.objectContaining({ StringEquals: 'PendingManualApproval', Next: 'Wait for approval' }),
    );
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters).toMatchObject({ Payload: { action: 'wait', 'taskToken.$': '$$.Task.Token', 'runId.$': '$.runId' } });
    expect(wait.TimeoutSeconds).toBe(48 * 3600);
    expect(wait.Catch).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], Next: 'Approval timed out' }));
    expect(wait.Catch).toContainEqual(expect.objectContaining({ ErrorEquals: ['ModelPackageRejected'], Next: 'Rejected by a person' }));
    expect(allOn.definition.TimeoutSeconds).toBeGreaterThan(48 * 3600);
  });

  it('polls the endpoint until it settles, and gives up after the configured wait', () => {
    const settled = stateNamed(byDefault.definition, 'Endpoint settled?');

    expect(stateNamed(byDefault.definition, 'Wait for endpoint')).toMatchObject({ Type: 'Wait', Seconds: 30, Next: 'Describe endpoint' });
    expect(settled.Choices).toContainEqual({ Variable: '$.poll.n', NumericGreaterThanEquals: 120, Next: 'Deployment timed out' });
    expect(settled.Default).toBe('Count poll');
    expect(stateNamed(byDefault.definition, 'Count poll').Next).toBe('Wait for endpoint');
  });

  it('rolls back through the deploy path: a rollback skips training and scoring', () => {
    const reachable = (from: string, avoiding: string[]): Set<string> => {
      const seen = new Set<string>();
      const visit = (name: string) => {
        if (seen.has(name) || avoiding.includes(name)) return;
        seen.add(name);
        const state = stateNamed(byDefault.definition, name);
        // Follow only the rollback branch of the two rollback choices.
        const rollbackChoice = state.Choices?.find((c) => c.Variable === '$.options.rollbackTo' && c.IsPresent === true);
        const next = rollbackChoice ? [rollbackChoice.Next!] : successors(state).filter((n) => !n.endsWith(' failed'));
        next.forEach(visit);
      };
      visit(from);
      return seen;
    };

    const path = reachable('Rollback?', ['Finalize']);

    expect([...path]).toEqual(expect.arrayContaining(['Prepare rollback', 'CreateModel', 'Retraining?', 'CreateEndpointConfig', 'Deploy', 'Promote champion']));
    expect([...path]).not.toEqual(expect.arrayContaining(['Prepare data']));
    for (const skipped of ['Prepare data', 'Train', 'Score test split', 'Evaluate', 'Register']) expect(path.has(skipped)).toBe(false);
  });
});

describe('state machine: a run, executed locally', () => {
  it('visits at most 40 states from a manual start to a deployed champion (champion exists, auto-approved, one poll)', async () => {
    const run = await runLocally(byDefault, 'Approved');

    expect(run.entered[run.entered.length - 1]).toBe('Done');
    expect(run.entered).toEqual(expect.arrayContaining(['Train', 'TransformCandidate', 'TransformChampion', 'Deploy', 'Promote champion', 'Finalize']));
    expect(run.entered.length).toBeLessThanOrEqual(40);
  });

  it('visits at most 40 states when a person approves the candidate', async () => {
    const run = await runLocally(allOn, 'PendingManualApproval');

    expect(run.entered).toEqual(expect.arrayContaining(['Wait for approval', 'Approved by a person?', 'Deploy', 'Promote champion']));
    expect(run.inputs['Wait for approval']).toMatchObject({ Payload: { action: 'wait', taskToken: 'task-token', runId: RUN_ID } });
    expect(run.entered[run.entered.length - 1]).toBe('Done');
    expect(run.entered.length).toBeLessThanOrEqual(40);
  });

  it('names the training job after the run and scores both models on the same file', async () => {
    const bucket = renderToken(byDefault, byDefault.stack.storage.dataBucket.bucketName) as string;

    const run = await runLocally(byDefault, 'Approved');

    expect(run.inputs.Train).toMatchObject({ TrainingJobName: `retrain-${RUN_ID}`, HyperParameters: { num_round: '200' } });
    const testCsv = `s3://${bucket}/runs/${RUN_ID}/data/test.csv`;
    expect(run.inputs.TransformCandidate).toMatchObject({ ModelName: `retrain-${RUN_ID}`, TransformInput: { DataSource: { S3DataSource: { S3Uri: testCsv } } } });
    expect(run.inputs.TransformChampion).toMatchObject({ ModelName: 'retrain-champion', TransformInput: { DataSource: { S3DataSource: { S3Uri: testCsv } } } });
  });
});

// ----- running the synthesized definition with aws-local-stepfunctions -----

const RUN_ID = '20260101-120000-abcdef';

interface LocalRun {
  /** Names of the states entered, in order (Parallel branches included). */
  readonly entered: string[];
  /** The effective input (after Parameters) each Task received, by state name. */
  readonly inputs: Record<string, unknown>;
}

/** Runs a manual start to a deployed champion, every Task answered by a stub. */
async function runLocally(synthesized: SynthesizedDefinition, approvalStatus: 'Approved' | 'PendingManualApproval'): Promise<LocalRun> {
  providePromiseWithResolvers();
  const inputs: Record<string, unknown> = {};
  const stub = (name: string, output: object) => (input: unknown) => {
    inputs[name] = input;
    return output as never;
  };
  const machine = new StateMachine(synthesized.definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: {
          Admit: stub('Admit', { runId: RUN_ID, trigger: { type: 'manual' }, options: { dryRun: false }, admission: { outcome: 'started', debounceSeconds: 0 } }),
          'Prepare data': stub('Prepare data', { hyperParameters: { num_round: '200' }, champion: { modelName: 'retrain-champion' } }),
          Train: stub('Train', { TrainingJobName: `retrain-${RUN_ID}`, ModelArtifacts: { S3ModelArtifacts: 's3://bucket/model.tar.gz' } }),
          CreateModel: stub('CreateModel', {}),
          TransformCandidate: stub('TransformCandidate', {}),
          TransformChampion: stub('TransformChampion', {}),
          Evaluate: stub('Evaluate', {
            approvalStatus,
            decision: { candidate: 0.91, reason: 'beats the champion' },
            evaluationUri: 's3://bucket/evaluation.json',
            baselineUri: 's3://bucket/baseline.json',
            schemaUri: 's3://bucket/schema.json',
            metadata: {},
          }),
          Register: stub('Register', { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/retrain/2' }),
          'Wait for approval': stub('Wait for approval', { approved: true }),
          CreateEndpointConfig: stub('CreateEndpointConfig', {}),
          Deploy: stub('Deploy', { endpointConfigName: `retrain-${RUN_ID}` }),
          'Describe endpoint': stub('Describe endpoint', { name: 'retrain', status: 'InService', endpointConfigName: `retrain-${RUN_ID}` }),
          'Promote champion': stub('Promote champion', {}),
          Finalize: stub('Finalize', { outcome: 'deployed' }),
        },
        waitTimeOverrides: { Debounce: 0, 'Wait for endpoint': 0 },
      },
      context: {
        Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:retrain-pipeline:run', Name: 'run', StartTime: '2026-01-01T12:00:00Z', Input: {} },
        StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:retrain-pipeline', Name: 'retrain-pipeline' },
        // The interpreter has no task tokens of its own; the approval stub answers at once.
        Task: { Token: 'task-token' },
      },
    },
  );
  const entered: string[] = [];
  for await (const event of execution.eventLogs) if (event.type === 'StateEntered') entered.push(event.state.name);
  await execution.result;
  return { entered, inputs };
}

/** aws-local-stepfunctions uses Promise.withResolvers (Node.js 22); tests also run on Node.js 20. */
function providePromiseWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve: unknown;
    let reject: unknown;
    const p = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: p, resolve, reject };
  };
}
