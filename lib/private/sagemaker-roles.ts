import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcards, ARN_PREFIX, unscoped } from './nag';

export interface SageMakerRolesProps {
  /** Prefix of the roles' names and of the SageMaker resources they may touch. */
  readonly projectName: string;
  /** The data bucket. */
  readonly bucket: s3.IBucket;
  /** The bucket's key; also encrypts training volumes and outputs. */
  readonly key: kms.IKey;
  /** Whether jobs run in a VPC (then they need to manage network interfaces). */
  readonly vpc: boolean;
}

/**
 * The two execution roles SageMaker assumes, each with only what its jobs touch:
 * - training: reads runs/, writes models/<id>/ (the artifact) and runs/<id>/checkpoints/;
 * - model (batch transform and the endpoint): reads model artifacts and test splits,
 *   writes runs/<id>/transform/ and the endpoint's data capture under capture/.
 */
export class SageMakerRoles extends Construct {
  readonly trainingRole: iam.Role;
  readonly modelRole: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerRolesProps) {
    super(scope, id);
    const principal = new iam.ServicePrincipal('sagemaker.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    });

    this.trainingRole = new iam.Role(this, 'Training', {
      assumedBy: principal,
      description: `retrain (${props.projectName}): SageMaker training jobs`,
    });
    props.bucket.grantRead(this.trainingRole, 'runs/*');
    props.bucket.grantPut(this.trainingRole, 'models/*');
    props.bucket.grantPut(this.trainingRole, 'runs/*/checkpoints/*');

    this.modelRole = new iam.Role(this, 'Model', {
      assumedBy: principal,
      description: `retrain (${props.projectName}): batch transform and the endpoint`,
    });
    props.bucket.grantRead(this.modelRole, 'models/*');
    props.bucket.grantRead(this.modelRole, 'runs/*/data/*');
    props.bucket.grantPut(this.modelRole, 'runs/*/transform/*');
    props.bucket.grantPut(this.modelRole, 'capture/*');

    for (const role of [this.trainingRole, this.modelRole]) {
      addJobBasics(role, props.vpc);
      // Encrypted training/transform/endpoint volumes: SageMaker creates grants on the key
      // for the instances it launches, and only for AWS resources.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant'],
          resources: [props.key.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [props.key.keyArn] }));
      acknowledgeWildcards(role, [
        unscoped(
          `ecr:GetAuthorizationToken and cloudwatch:PutMetricData (limited to the SageMaker namespaces by a condition)${props.vpc ? ', and the EC2 network-interface actions of VPC jobs' : ''}`,
        ),
        {
          finding: new RegExp(`^Resource::${ARN_PREFIX('logs')}log-group:/aws/sagemaker/\\*$`),
          reason: 'SageMaker writes job and endpoint logs to log groups it names under /aws/sagemaker/.',
        },
      ]);
    }
  }
}

function addJobBasics(role: iam.Role, vpc: boolean): void {
  const stack = Stack.of(role);
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
    }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  if (vpc) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:CreateNetworkInterfacePermission',
          'ec2:DeleteNetworkInterface',
          'ec2:DeleteNetworkInterfacePermission',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }),
    );
  }
}
