import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GitHubOidcStack, type GitHubOidcStackProps } from '../../lib/github-oidc-stack';
import { nagFindings } from '../helpers/nag';

const root = join(__dirname, '..', '..');
const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

/** A fresh app and stack, for account 123456789012 in eu-west-1, trusting octo-org/retrain's staging and production. */
function build(props: Partial<GitHubOidcStackProps> = {}): { app: App; stack: GitHubOidcStack } {
  const app = new App({ context: cdkJson.context, builtinCloudFormationValidation: false });
  const stack = new GitHubOidcStack(app, 'retrain-github-oidc', {
    repository: 'octo-org/retrain',
    environments: ['staging', 'production'],
    env: { account: ACCOUNT, region: REGION },
    ...props,
  });
  return { app, stack };
}

function template(props: Partial<GitHubOidcStackProps> = {}): Template {
  return Template.fromStack(build(props).stack);
}

function bootstrapRoles(qualifier: string, region: string): string[] {
  return ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(
    (role) => `arn:aws:iam::${ACCOUNT}:role/cdk-${qualifier}-${role}-role-${ACCOUNT}-${region}`,
  );
}

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: Record<string, unknown> };
type PolicyDocument = { Statement: Statement[] };
type RoleProperties = { AssumeRolePolicyDocument: PolicyDocument; Policies?: Array<{ PolicyDocument: PolicyDocument }> };

/** The properties of the stack's only role. */
function deployRole(t: Template): RoleProperties {
  const roles = Object.values(t.findResources('AWS::IAM::Role'));
  expect(roles).toHaveLength(1);
  return roles[0].Properties as RoleProperties;
}

/** Every statement of the deploy role's own policies. */
function permissions(t: Template): Statement[] {
  return (deployRole(t).Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
}

describe('github oidc: the provider', () => {
  it("is created for GitHub's issuer and the STS audience, and kept when the stack is deleted", () => {
    const t = template();

    t.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    t.hasResource('AWS::IAM::OIDCProvider', {
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
      DeletionPolicy: 'Retain',
    });
  });

  it('is imported, not created, when the account already has one', () => {
    const t = template({ providerArn: PROVIDER_ARN });

    t.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(deployRole(t).AssumeRolePolicyDocument.Statement[0]).toMatchObject({ Principal: { Federated: PROVIDER_ARN } });
  });
});

describe('github oidc: who may assume the deploy role', () => {
  it('is only a web identity federated by the provider, for the STS audience', () => {
    const t = template();

    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sts:AssumeRoleWithWebIdentity',
            Principal: { Federated: { Ref: Match.stringLikeRegexp('^Provider') } },
            Condition: Match.objectLike({ StringEquals: Match.objectLike({ 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }) }),
          }),
        ],
      },
    });
  });

  it("limits the subject to the repository's configured environments, with exact matches only", () => {
    const [statement] = deployRole(template()).AssumeRolePolicyDocument.Statement;

    expect(statement.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:octo-org/retrain:environment:staging',
          'repo:octo-org/retrain:environment:production',
        ],
      },
    });
  });

  it('adds a ref subject for each configured branch', () => {
    const [statement] = deployRole(template({ branches: ['main'], environments: ['production'] })).AssumeRolePolicyDocument.Statement;

    expect(statement.Condition).toMatchObject({
      StringEquals: {
        'token.actions.githubusercontent.com:sub': [
          'repo:octo-org/retrain:ref:refs/heads/main',
          'repo:octo-org/retrain:environment:production',
        ],
      },
    });
  });

  it('holds sessions for one hour at most', () => {
    template().hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 3600 });
  });
});

describe('github oidc: what the deploy role may do', () => {
  it('is only sts:AssumeRole on the CDK bootstrap roles of its account and region', () => {
    const statements = permissions(template());

    expect(statements).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: bootstrapRoles('hnb659fds', REGION) }]);
  });

  it('has no other policy attached', () => {
    const t = template();

    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    expect(deployRole(t)).not.toHaveProperty('ManagedPolicyArns');
  });

  it('follows a custom bootstrap qualifier and every listed region', () => {
    const statements = permissions(template({ bootstrapQualifier: 'retrain', bootstrapRegions: ['eu-west-1', 'us-east-1'] }));
    const expected = [...bootstrapRoles('retrain', 'eu-west-1'), ...bootstrapRoles('retrain', 'us-east-1')];

    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole' });
    expect([...(statements[0].Resource as string[])].sort()).toEqual(expected.sort());
  });

  it('outputs the role ARN for the AWS_DEPLOY_ROLE_ARN variable', () => {
    template().hasOutput('DeployRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeployRole'), 'Arn'] } });
  });

  it('lives in a stack named retrain-github-oidc', () => {
    expect(build().stack.stackName).toBe('retrain-github-oidc');
  });
});

describe('github oidc: validation', () => {
  it('rejects a repository that is not "owner/name"', () => {
    expect(() => build({ repository: 'https://github.com/octo-org/retrain' })).toThrow(
      /repository: expected "owner\/name" of a GitHub repository, got "https:\/\/github.com\/octo-org\/retrain"/,
    );
  });

  it('rejects a role nobody may assume', () => {
    expect(() => build({ environments: [], branches: [] })).toThrow(/branches\/environments: expected at least one branch or environment/);
  });

  it('rejects a branch given as a ref or with a wildcard', () => {
    expect(() => build({ branches: ['refs/heads/main'] })).toThrow(/branches: expected a branch name .*, got "refs\/heads\/main"/);
    expect(() => build({ branches: ['release/*'] })).toThrow(/branches: expected a branch name .*, got "release\/\*"/);
  });

  it('rejects an environment name with a wildcard or a colon', () => {
    expect(() => build({ environments: ['prod*'] })).toThrow(/environments: expected a GitHub environment name .*, got "prod\*"/);
    expect(() => build({ environments: ['a:b'] })).toThrow(/environments: expected a GitHub environment name .*, got "a:b"/);
  });

  it("rejects a provider ARN that is not GitHub's", () => {
    expect(() => build({ providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/accounts.google.com` })).toThrow(
      /providerArn: expected "arn:<partition>:iam::<account>:oidc-provider\/token.actions.githubusercontent.com", got ".*accounts.google.com"/,
    );
  });

  it('rejects a bootstrap qualifier that cdk bootstrap would not accept', () => {
    expect(() => build({ bootstrapQualifier: 'much-too-long' })).toThrow(
      /bootstrapQualifier: expected the CDK bootstrap qualifier.*, got "much-too-long"/,
    );
  });

  it('rejects a region that is not one', () => {
    expect(() => build({ bootstrapRegions: ['Ireland'] })).toThrow(
      /bootstrapRegions: expected an AWS region such as "eu-west-1", got "Ireland"/,
    );
    expect(() => build({ bootstrapRegions: [] })).toThrow(/bootstrapRegions: expected at least one region, got \[\]/);
  });
});

describe('github oidc: cdk-nag AwsSolutions', () => {
  it('has no finding when it creates the provider', () => {
    expect(nagFindings(build().app)).toEqual([]);
  });

  it('has no finding when it imports the provider', () => {
    expect(nagFindings(build({ providerArn: PROVIDER_ARN, branches: ['main'] }).app)).toEqual([]);
  });
});

// The success path (a synthesized, nag-clean stack) is what CI's "Synthesize the GitHub OIDC
// stack" step runs on every push; here only the error paths, which exit before synthesis.
describe('bin/github-oidc.ts', () => {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  let outdir: string;

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'retrain-oidc-'));
  });

  afterEach(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  /** Runs the app as the CDK CLI does: context and output directory through the environment. */
  function run(context: Record<string, string>) {
    return spawnSync(process.execPath, [tsx, join(root, 'bin', 'github-oidc.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
  }

  it('says in one line that the repository is missing, and exits 1', () => {
    const result = run({});

    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Missing option: repository .*-c repository=owner\/name$/)]);
  });

  it('says in one line which option is invalid, and exits 1', () => {
    const result = run({ repository: 'octo-org/retrain', providerArn: 'arn:aws:iam::1:oidc-provider/x' });

    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Invalid option: GitHubOidcStack providerArn: expected/),
    ]);
  });
});
