import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InvalidInputError } from '../lambdas/core/errors';

/** Host of GitHub Actions' OIDC issuer; also the prefix of its condition keys in IAM. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience configure-aws-credentials requests tokens for. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** The qualifier `cdk bootstrap` uses unless told otherwise. */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** The bootstrap roles the CDK CLI assumes to diff and deploy (not cfn-exec: only CloudFormation assumes that one). */
export const CDK_BOOTSTRAP_ROLES = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

// GitHub's rules: owners are 1-39 letters, digits or hyphens; repository names letters, digits, ".", "_", "-".
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
// The bootstrap template's AllowedPattern for its Qualifier parameter.
const QUALIFIER = /^[A-Za-z0-9_-]{1,10}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
// Wildcards (subjects are matched exactly, with StringEquals), ":" (it separates the parts
// of the sub claim) and the other characters git never allows in a branch name.
const FORBIDDEN_IN_NAME = /[*?[\]:\s\\~^]/;

export interface GitHubOidcStackProps extends StackProps {
  /** The one GitHub repository whose workflows may assume the deploy role, as "owner/name" (case as on GitHub). */
  readonly repository: string;
  /**
   * GitHub environments whose jobs may assume the role (sub "repo:<owner>/<name>:environment:<env>").
   * @default - none
   */
  readonly environments?: string[];
  /**
   * Branches whose jobs that run without an environment may assume the role
   * (sub "repo:<owner>/<name>:ref:refs/heads/<branch>"). Such jobs skip environment
   * protection rules, so leave this empty when production is guarded by reviewers.
   * @default - none
   */
  readonly branches?: string[];
  /**
   * ARN of the account's existing GitHub OIDC provider, imported instead of created
   * (an account holds at most one provider per issuer URL).
   * @default - a new provider for token.actions.githubusercontent.com
   */
  readonly providerArn?: string;
  /**
   * Qualifier of the CDK bootstrap stack that deploys retrain.
   * @default 'hnb659fds'
   */
  readonly bootstrapQualifier?: string;
  /**
   * Regions whose bootstrap roles the deploy role may assume.
   * @default - the region this stack is deployed to
   */
  readonly bootstrapRegions?: string[];
}

/**
 * What GitHub Actions needs to deploy retrain without stored keys: the account's GitHub
 * OIDC provider (created, or imported when it exists) and a deploy role that only the
 * configured repository's branches and environments can assume, and that can only assume
 * the CDK bootstrap roles. Deploy once per account: see docs/ci-cd.md.
 */
export class GitHubOidcStack extends Stack {
  /** The account's GitHub OIDC provider. */
  readonly provider: iam.IOidcProvider;
  /** The role the deploy workflow assumes (its ARN is the AWS_DEPLOY_ROLE_ARN variable). */
  readonly deployRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    super(scope, id, { ...props, stackName: props.stackName ?? 'retrain-github-oidc' });
    const environments = props.environments ?? [];
    const branches = props.branches ?? [];
    const qualifier = props.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    const regions = props.bootstrapRegions ?? [this.region];
    validateRepository(props.repository);
    validateSubjects(branches, environments);
    validateBranches(branches);
    validateEnvironments(environments);
    if (props.providerArn !== undefined) validateProviderArn(props.providerArn);
    validateQualifier(qualifier);
    validateRegions(regions);

    this.provider = props.providerArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'Provider', props.providerArn)
      : new iam.OidcProviderNative(this, 'Provider', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIds: [GITHUB_OIDC_AUDIENCE],
          // No thumbprints: IAM verifies GitHub's certificate against its trusted CAs.
          // Kept on stack deletion: other roles in the account may trust the same provider.
          removalPolicy: RemovalPolicy.RETAIN,
        });

    const subjects = [
      ...branches.map((branch) => `repo:${props.repository}:ref:refs/heads/${branch}`),
      ...environments.map((environment) => `repo:${props.repository}:environment:${environment}`),
    ];
    this.deployRole = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions deploys of ${props.repository}: may only assume the CDK bootstrap roles (${qualifier})`,
      // Exact values only: StringEquals, no wildcard in any subject.
      assumedBy: new iam.OpenIdConnectPrincipal(this.provider, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: subjects,
        },
      }),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: {
        AssumeCdkBootstrapRoles: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole'],
              resources: regions.flatMap((region) => CDK_BOOTSTRAP_ROLES.map((role) => this.bootstrapRoleArn(qualifier, role, region))),
            }),
          ],
        }),
      },
    });

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'Set as the AWS_DEPLOY_ROLE_ARN variable of the GitHub environments',
    });
    new CfnOutput(this, 'ProviderArn', {
      value: this.provider.oidcProviderArn,
      description: 'The GitHub OIDC provider (pass as -c providerArn=... to stacks in other regions or repositories)',
    });
  }

  private bootstrapRoleArn(qualifier: string, role: (typeof CDK_BOOTSTRAP_ROLES)[number], region: string): string {
    return this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `cdk-${qualifier}-${role}-role-${this.account}-${region}`,
    });
  }
}

function invalid(field: string, expected: string, got: unknown): InvalidInputError {
  return new InvalidInputError(`GitHubOidcStack ${field}: expected ${expected}, got ${JSON.stringify(got)}`, {
    context: { construct: 'GitHubOidcStack', field },
  });
}

function validateRepository(repository: string): void {
  if (Token.isUnresolved(repository)) return;
  if (!REPOSITORY.test(repository)) throw invalid('repository', '"owner/name" of a GitHub repository', repository);
}

function validateSubjects(branches: string[], environments: string[]): void {
  if (branches.length === 0 && environments.length === 0) {
    throw invalid('branches/environments', 'at least one branch or environment allowed to assume the role', { branches, environments });
  }
}

function validateBranches(branches: string[]): void {
  for (const branch of branches) {
    if (Token.isUnresolved(branch)) continue;
    if (branch.length === 0 || branch.startsWith('refs/') || FORBIDDEN_IN_NAME.test(branch)) {
      throw invalid('branches', 'a branch name without "refs/heads/" and without wildcards, e.g. "main"', branch);
    }
  }
}

function validateEnvironments(environments: string[]): void {
  for (const environment of environments) {
    if (Token.isUnresolved(environment)) continue;
    if (environment.length === 0 || environment.length > 255 || FORBIDDEN_IN_NAME.test(environment)) {
      throw invalid('environments', 'a GitHub environment name (1-255 characters, no wildcards or ":"), e.g. "production"', environment);
    }
  }
}

function validateProviderArn(arn: string): void {
  if (Token.isUnresolved(arn)) return;
  if (!PROVIDER_ARN.test(arn)) {
    throw invalid('providerArn', `"arn:<partition>:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST}"`, arn);
  }
}

function validateQualifier(qualifier: string): void {
  if (Token.isUnresolved(qualifier)) return;
  if (!QUALIFIER.test(qualifier)) {
    throw invalid('bootstrapQualifier', 'the CDK bootstrap qualifier: 1-10 letters, digits, "_" or "-"', qualifier);
  }
}

function validateRegions(regions: string[]): void {
  if (regions.length === 0) throw invalid('bootstrapRegions', 'at least one region', regions);
  for (const region of regions) {
    if (Token.isUnresolved(region)) continue;
    if (!REGION.test(region)) throw invalid('bootstrapRegions', 'an AWS region such as "eu-west-1"', region);
  }
}
