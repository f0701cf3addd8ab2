/**
 * The default event bus in local mode: the synthesized rules (AWS::Events::Rule) with their
 * event patterns, schedules and targets. An event is matched with the project's own matcher
 * and each target's input is rendered through its input transformer, exactly as the template
 * says; targets are the state machine and the stack's functions.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../lambdas/adapters/ports';
import { messageOf } from '../lambdas/core/errors';
import type { CfnTemplate } from './assembly';
import { matchesEventPattern } from './event-pattern';
import { renderInputTransformer } from './input-transformer';
import type { Intrinsics, LocalEnvironment } from './intrinsics';

export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface LocalRule {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly pattern?: unknown;
  readonly schedule?: string;
  readonly targets: ReadonlyArray<{ arn: string; input?: string; inputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string } }>;
}

export interface Delivery {
  readonly rule: string;
  readonly target: string;
  readonly input: unknown;
  /** Set when the target could not take the event. */
  readonly error?: string;
}

export interface BusTargets {
  /** Deliver to a target ARN (state machine or function); resolves when it has been accepted. */
  deliver(targetArn: string, input: unknown): Promise<void>;
  /**
   * How many extra times a rule delivers this event to its targets, with the same event id.
   * Delivery is at least once (EventBridge User Guide, "Event delivery from AWS services":
   * durable delivery "at least once"; "How EventBridge retries delivering events": retried up to
   * 185 times), so a target must be idempotent on the event id. Fault tests only.
   * @default - once
   */
  redeliveries?(rule: string, event: BusEvent): number;
}

export class LocalEventBus {
  readonly rules: LocalRule[];
  readonly deliveries: Delivery[] = [];

  constructor(
    template: CfnTemplate,
    intrinsics: Intrinsics,
    private readonly env: LocalEnvironment,
    private readonly clock: Clock,
    private readonly targets: BusTargets,
  ) {
    this.rules = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Events::Rule' && (r.Properties?.State ?? 'ENABLED') === 'ENABLED')
      .map(([logicalId, r]) => {
        const p = intrinsics.resolve(r.Properties ?? {}) as Record<string, unknown>;
        const targets = ((p.Targets as Array<Record<string, unknown>>) ?? []).map((t) => ({
          arn: String(t.Arn),
          ...(t.Input !== undefined ? { input: String(t.Input) } : {}),
          ...(t.InputTransformer ? { inputTransformer: t.InputTransformer as LocalRule['targets'][number]['inputTransformer'] } : {}),
        }));
        return {
          logicalId,
          name: String(p.Name ?? logicalId),
          arn: String(intrinsics.getAtt(logicalId, 'Arn')),
          ...(p.EventPattern ? { pattern: p.EventPattern } : {}),
          ...(p.ScheduleExpression ? { schedule: String(p.ScheduleExpression) } : {}),
          targets,
        };
      });
  }

  /** Puts an event on the bus; returns what each matching rule delivered. */
  async emit(event: Omit<BusEvent, 'version' | 'id' | 'account' | 'region' | 'time'> & { time?: string }): Promise<Delivery[]> {
    const full: BusEvent = {
      version: '0',
      id: randomUUID(),
      account: this.env.account,
      region: this.env.region,
      time: event.time ?? this.clock.now().toISOString(),
      ...event,
    } as BusEvent;
    const delivered: Delivery[] = [];
    for (const rule of this.rules) {
      if (!rule.pattern || !matchesEventPattern(rule.pattern, full)) continue;
      delivered.push(...(await this.deliver(rule, full)));
    }
    return delivered;
  }

  /** What a schedule rule does when it fires: a "Scheduled Event" to its targets. */
  async tick(ruleName: string): Promise<Delivery[]> {
    const rule = this.rules.find((r) => r.schedule && (r.name === ruleName || r.logicalId === ruleName));
    if (!rule) throw new Error(`no schedule rule ${ruleName} (have: ${this.rules.filter((r) => r.schedule).map((r) => r.name).join(', ')})`);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.env.account,
      region: this.env.region,
      time: this.clock.now().toISOString(),
      resources: [rule.arn],
      detail: {},
    };
    return this.deliver(rule, event);
  }

  scheduleRules(): LocalRule[] {
    return this.rules.filter((r) => r.schedule);
  }

  private async deliver(rule: LocalRule, event: BusEvent): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const times = 1 + Math.max(0, Math.floor(this.targets.redeliveries?.(rule.name, event) ?? 0));
    for (let time = 0; time < times; time++) out.push(...(await this.deliverOnce(rule, event)));
    return out;
  }

  private async deliverOnce(rule: LocalRule, event: BusEvent): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const target of rule.targets) {
      const input = target.inputTransformer
        ? renderInputTransformer(target.inputTransformer, event, { ruleArn: rule.arn, ruleName: rule.name, ingestionTime: event.time })
        : target.input !== undefined
          ? JSON.parse(target.input)
          : event;
      let error: string | undefined;
      try {
        await this.targets.deliver(target.arn, input);
      } catch (e) {
        // EventBridge would retry and then dead-letter; local mode records the failure.
        error = messageOf(e);
      }
      const delivery: Delivery = { rule: rule.name, target: target.arn, input, ...(error ? { error } : {}) };
      this.deliveries.push(delivery);
      out.push(delivery);
    }
    return out;
  }
}
