import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { resourceNames } from '../types';
import { acknowledgeWildcards, OWN_LOG_STREAMS, unscoped } from './nag';

/** Where the Lambda sources live: lambdas/<name>/handler.ts. */
export const LAMBDAS_DIR = join(__dirname, '..', '..', 'lambdas');

export interface RetrainFunctionProps {
  /** Folder under lambdas/ holding handler.ts; also the suffix of the function name. */
  readonly name: string;
  /** Prefix of the function name. */
  readonly projectName: string;
  /** One line on what the function does. */
  readonly description: string;
  /** Encrypts the function's log group and environment. */
  readonly key: kms.IKey;
  /** Days to keep the function's logs. */
  readonly logRetentionDays: logs.RetentionDays;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables besides the Powertools ones.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Actions this function is granted on "*" besides X-Ray's, named for the cdk-nag acknowledgement.
   * @default - none
   */
  readonly unscopedActions?: string[];
}

/**
 * A retrain Lambda: Node.js 22 on arm64, bundled with the local esbuild (no Docker), its own
 * role with only its own log group (no managed policy), a KMS-encrypted log group with
 * retention, X-Ray tracing and Powertools configured.
 */
export class RetrainFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RetrainFunctionProps) {
    super(scope, id);
    const functionName = `${props.projectName}-${props.name}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: resourceNames(props.projectName).logGroups.function(props.name),
      retention: props.logRetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: ${props.description}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:*`],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: join(LAMBDAS_DIR, props.name, 'handler.ts'),
      // The repository's lock file, so the stack also synthesizes from another working directory.
      depsLockFilePath: join(LAMBDAS_DIR, '..', 'package-lock.json'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environmentEncryption: props.key,
      environment: {
        POWERTOOLS_SERVICE_NAME: `retrain-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'retrain',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        // The Node.js 22 runtime provides AWS SDK v3; bundling it would triple cold starts.
        externalModules: ['@aws-sdk/*'],
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The runtime is pinned to Node.js 22 on purpose (DESIGN.md: the version local mode and CI run); it moves with the toolchain, not silently.',
    });
    acknowledgeWildcards(this, [
      OWN_LOG_STREAMS,
      unscoped(['xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing)', ...(props.unscopedActions ?? [])].join(', ')),
    ]);
  }
}
