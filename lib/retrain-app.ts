import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RetrainConfig } from './config';
import { RetrainStack } from './retrain-stack';

export interface AddRetrainStackOptions {
  /**
   * Run the cdk-nag AwsSolutions pack at synthesis.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * A throwaway stack whose buckets are emptied on deletion (the integration test).
   * @default false
   */
  readonly disposable?: boolean;
}

/** Adds one RetrainStack, named after the project, to the app and checks it with cdk-nag. */
export function addRetrainStack(app: App, config: RetrainConfig, options: AddRetrainStackOptions = {}): RetrainStack {
  const stack = new RetrainStack(app, config.project.name, {
    config,
    disposable: options.disposable ?? false,
    description: `retrain: continuous training for ${config.project.name}`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  acknowledgeCdkInternals(stack);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

/** Findings on singletons that aws-cdk-lib creates itself, where we cannot change the code. */
function acknowledgeCdkInternals(stack: Stack): void {
  const bucketNotifications = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (bucketNotifications) {
    Validations.of(bucketNotifications).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "aws-cdk-lib's BucketNotifications custom resource (enables EventBridge delivery on the data bucket) ships with the basic execution managed policy; it only writes its own logs.",
    });
  }
}
