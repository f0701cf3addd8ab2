/**
 * The EventBridge rules of a synthesized template, with their intrinsics rendered (see
 * definition.ts): each rule's EventPattern or ScheduleExpression, and each target's ARN,
 * InputTransformer or constant Input, retry policy and dead-letter queue — ready for
 * local/event-pattern.ts (`matchesEventPattern`) and local/input-transformer.ts
 * (`renderInputTransformer`).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { InputTransformer, TransformerContext } from '../../local/input-transformer';
import { asCfnTemplate, FAKE_ENV, resolveIntrinsics, type CfnTemplate, type FakeEnvironment } from './definition';

export interface SynthesizedTarget {
  readonly id: string;
  /** The target's ARN, rendered (a fake ARN for a function, `<Ref:Id>` for a state machine). */
  readonly arn: string;
  /** Set when the target renders its input from the event. */
  readonly inputTransformer?: InputTransformer;
  /** Set when the target sends a constant input: the parsed JSON. */
  readonly input?: unknown;
  readonly retryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  /** The dead-letter queue's ARN, rendered. */
  readonly deadLetterArn?: string;
}

export interface SynthesizedRule {
  readonly logicalId: string;
  /** The rule's Name property (retrain names every rule). */
  readonly name: string;
  /** The rendered EventPattern; undefined for a scheduled rule. */
  readonly eventPattern?: Record<string, unknown>;
  readonly scheduleExpression?: string;
  readonly state?: string;
  readonly targets: readonly SynthesizedTarget[];
  /** What EventBridge passes to an input transformer for this rule. */
  readonly context: TransformerContext;
}

/** Every AWS::Events::Rule of the template. */
export function eventRules(template: Template | CfnTemplate, env: FakeEnvironment = FAKE_ENV): SynthesizedRule[] {
  const cfn = asCfnTemplate(template);
  return Object.entries(cfn.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
    .map(([logicalId, resource]) => {
      const properties = resolveIntrinsics(resource.Properties ?? {}, cfn, env, logicalId) as RuleProperties;
      const name = properties.Name ?? logicalId;
      const ruleArn = resolveIntrinsics({ 'Fn::GetAtt': [logicalId, 'Arn'] }, cfn, env) as string;
      return {
        logicalId,
        name,
        ...(properties.EventPattern !== undefined ? { eventPattern: properties.EventPattern } : {}),
        ...(properties.ScheduleExpression !== undefined ? { scheduleExpression: properties.ScheduleExpression } : {}),
        ...(properties.State !== undefined ? { state: properties.State } : {}),
        targets: (properties.Targets ?? []).map((target) => toTarget(target, `${logicalId}.Targets`)),
        context: { ruleArn, ruleName: name },
      };
    });
}

/** The rule with that Name, from a template or the rules already read from one; throws listing the names there are. */
export function ruleNamed(source: Template | CfnTemplate | readonly SynthesizedRule[], name: string, env: FakeEnvironment = FAKE_ENV): SynthesizedRule {
  const rules = isRuleList(source) ? source : eventRules(source, env);
  const rule = rules.find((r) => r.name === name);
  if (!rule) throw new Error(`no AWS::Events::Rule named "${name}"; rules: ${rules.map((r) => r.name).join(', ') || 'none'}`);
  return rule;
}

/** The rule's only target; throws when it has none or several. */
export function onlyTarget(rule: SynthesizedRule): SynthesizedTarget {
  if (rule.targets.length !== 1) throw new Error(`rule ${rule.name}: expected exactly one target, found ${rule.targets.length}`);
  return rule.targets[0];
}

function isRuleList(source: Template | CfnTemplate | readonly SynthesizedRule[]): source is readonly SynthesizedRule[] {
  return Array.isArray(source);
}

interface RuleProperties {
  Name?: string;
  EventPattern?: Record<string, unknown>;
  ScheduleExpression?: string;
  State?: string;
  Targets?: RawTarget[];
}

interface RawTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: SynthesizedTarget['retryPolicy'];
  DeadLetterConfig?: { Arn: string };
}

function toTarget(target: RawTarget, where: string): SynthesizedTarget {
  let input: unknown;
  if (target.Input !== undefined) {
    try {
      input = JSON.parse(target.Input);
    } catch (error) {
      throw new Error(`${where}.${target.Id}.Input is not JSON: ${(error as Error).message}`);
    }
  }
  return {
    id: target.Id,
    arn: target.Arn,
    ...(target.InputTransformer ? { inputTransformer: target.InputTransformer } : {}),
    ...(target.Input !== undefined ? { input } : {}),
    ...(target.RetryPolicy ? { retryPolicy: target.RetryPolicy } : {}),
    ...(target.DeadLetterConfig ? { deadLetterArn: target.DeadLetterConfig.Arn } : {}),
  };
}
