/**
 * The synthesized stack's policies, evaluated by an IAM policy simulator we did not write
 * (@cloud-copilot/iam-simulate, AGPL-3.0-or-later: a test-only dependency, never bundled or
 * shipped; see README "Security"). It evaluates identity policies together with the resource's
 * own policy (key, bucket, topic or queue policy) the way AWS documents it, including the KMS
 * rule that a key policy must allow the account before identity policies count.
 */
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { asCfnTemplate, resolveIntrinsics, type FakeEnvironment } from './definition';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** One access request: who asks, to do what, on which resource, with which request context. */
export interface AccessRequest {
  /** A role's ARN, or a service principal such as `logs.us-east-1.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Request context keys (aws:SecureTransport, kms:EncryptionContext:..., aws:ResourceTag/...). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown[];
}

interface RoleInfo {
  readonly logicalId: string;
  readonly arn: string;
  readonly description: string;
  readonly trustedService?: string;
  readonly policies: PolicyDocument[];
}

/** The roles and resource policies of a synthesized template, rendered to concrete ARNs. */
export class AccessModel {
  readonly roles: RoleInfo[];
  private readonly resourcePolicies: Array<{ matches: (arn: string) => boolean; policy: PolicyDocument }> = [];

  constructor(
    template: Template,
    readonly env: FakeEnvironment,
  ) {
    const cfn = asCfnTemplate(template);
    const render = <T>(value: unknown, where: string) => resolveIntrinsics(refsAsArns(value, cfn.Resources), cfn, env, where) as T;
    const resources = Object.entries(cfn.Resources);
    this.roles = resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([logicalId, r]) => {
        const trust = r.Properties?.AssumeRolePolicyDocument as { Statement: Array<{ Principal?: { Service?: string } }> };
        return {
          logicalId,
          arn: render<string>({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId),
          description: String(r.Properties?.Description ?? ''),
          trustedService: trust.Statement[0]?.Principal?.Service,
          policies: resources
            .filter(([, p]) => p.Type === 'AWS::IAM::Policy' && (p.Properties?.Roles as Array<{ Ref?: string }>).some((ref) => ref.Ref === logicalId))
            .map(([id, p]) => render<PolicyDocument>(p.Properties?.PolicyDocument, id)),
        };
      });
    for (const [logicalId, r] of resources) {
      if (r.Type === 'AWS::KMS::Key') {
        const arn = render<string>({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId);
        this.resourcePolicies.push({ matches: (a) => a === arn, policy: render(r.Properties?.KeyPolicy, logicalId) });
      }
      if (r.Type === 'AWS::S3::BucketPolicy') {
        const bucket = render<string>(r.Properties?.Bucket, logicalId);
        const arn = `arn:${env.partition}:s3:::${bucket.replace(/^<Ref:(\w+)>$/, '$1')}`;
        this.resourcePolicies.push({ matches: (a) => a === arn || a.startsWith(`${arn}/`), policy: render(r.Properties?.PolicyDocument, logicalId) });
      }
      for (const [type, key] of [['AWS::SNS::TopicPolicy', 'Topics'], ['AWS::SQS::QueuePolicy', 'Queues']] as const) {
        if (r.Type !== type) continue;
        const targets = (r.Properties?.[key] as unknown[]).map((t) => render<string>(type === 'AWS::SQS::QueuePolicy' ? queueArnOf(t) : t, logicalId));
        this.resourcePolicies.push({ matches: (a) => targets.includes(a), policy: render(r.Properties?.PolicyDocument, logicalId) });
      }
    }
  }

  /** The role whose description starts with `prefix` (every retrain role describes itself). */
  role(prefix: string): RoleInfo {
    const found = this.roles.filter((r) => r.description.startsWith(prefix));
    if (found.length !== 1) throw new Error(`expected one role described "${prefix}...", found ${found.length}`);
    return found[0];
  }

  /** The role a service assumes, when exactly one role trusts it. */
  roleOf(service: string): RoleInfo {
    const found = this.roles.filter((r) => r.trustedService === service);
    if (found.length !== 1) throw new Error(`expected one role trusted by ${service}, found ${found.length}`);
    return found[0];
  }

  /** What AWS decides for the request, as the simulator evaluates the stack's policies. */
  async decide(request: AccessRequest): Promise<Decision> {
    const role = this.roles.find((r) => r.arn === request.principal);
    const identityPolicies = (role?.policies ?? []).map((policy, i) => ({ name: `${role?.logicalId}-${i}`, policy }));
    const resourcePolicy = this.resourcePolicies.find((p) => p.matches(request.resource))?.policy;
    const simulation = {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: this.env.account },
        contextVariables: { ...(request.context ?? {}) },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };
    const usesEncryptionContext = Object.keys(request.context ?? {}).some((key) => key.startsWith('kms:EncryptionContext:'));
    if (usesEncryptionContext) {
      // iam-simulate 0.1.173's validating entry point drops kms:EncryptionContext:<key> context
      // keys (it recognizes only "/"-separated variable keys); the unvalidated one keeps them.
      const validated = resourcePolicy && createValidatedPolicy(resourcePolicy as never, validateResourcePolicy, { name: 'ResourcePolicy' });
      return runUnsafeSimulation({ ...simulation, ...(validated ? { resourcePolicy: validated } : {}) } as never, {}) as unknown as Decision;
    }
    const result = await runSimulation({ ...simulation, ...(resourcePolicy ? { resourcePolicy } : {}) } as never, {});
    if (result.resultType === 'error') throw new Error(`the simulator rejected ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    const ignored = result.resultType === 'single' ? result.result.ignoredContextKeys : [];
    if (ignored && ignored.length > 0) throw new Error(`the simulator ignored context keys ${ignored.join(', ')} for ${request.action}`);
    return result.overallResult as Decision;
  }
}

/** A queue policy names queues by URL (Ref); the simulator needs their ARNs. */
function queueArnOf(queueRef: unknown): unknown {
  const ref = (queueRef as { Ref?: string }).Ref;
  return ref === undefined ? queueRef : { 'Fn::GetAtt': [ref, 'Arn'] };
}

/** Resource types whose `Ref` is their ARN (CloudFormation resource reference, "Return values"). */
const REF_IS_ARN = new Set(['AWS::StepFunctions::StateMachine', 'AWS::SNS::Topic']);

/** `{ Ref: id }` of those types as `{ Fn::GetAtt: [id, Arn] }`, which the renderer turns into an ARN. */
function refsAsArns(value: unknown, resources: Record<string, { Type: string }>): unknown {
  if (Array.isArray(value)) return value.map((v) => refsAsArns(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string' && REF_IS_ARN.has(resources[ref]?.Type ?? '')) return { 'Fn::GetAtt': [ref, 'Arn'] };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, refsAsArns(v, resources)]));
}
