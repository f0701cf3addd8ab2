/**
 * The Lambda functions of the stack, in-process: the same handler factories as the deployed
 * functions (lambdas/<name>/<name>.ts: zod validation, core call, result mapping), given local
 * adapters behind the same ports.
 */
import type {
  Clock,
  EventPublisher,
  Executions,
  MetricsSink,
  ModelHosting,
  ModelRegistry,
  Notifier,
  ObjectStore,
  StateStore,
  TaskTokens,
} from '../lambdas/adapters/ports';
import { withDimensions } from '../lambdas/adapters/runtime';
import { createAdmitHandler } from '../lambdas/admit/admit';
import { createApprovalHandler } from '../lambdas/approval/approval';
import { createDeployHandler } from '../lambdas/deploy/deploy';
import { createDriftMonitorHandler } from '../lambdas/drift-monitor/drift-monitor';
import { createEtlHandler } from '../lambdas/etl/etl';
import { createEvaluateHandler } from '../lambdas/evaluate/evaluate';
import { createFinalizeHandler } from '../lambdas/finalize/finalize';
import { createPromoteHandler } from '../lambdas/promote/promote';
import { createQualityMonitorHandler } from '../lambdas/quality-monitor/quality-monitor';

export interface LocalPorts {
  /** The project name: the Project dimension of the run and trigger metrics. */
  readonly projectName: string;
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly executions: Executions;
  readonly events: EventPublisher;
  readonly notifier: Notifier;
  readonly metrics: MetricsSink;
  readonly hosting: ModelHosting;
  readonly registry: ModelRegistry;
  readonly tokens: TaskTokens;
  /** Short real-time pause for admission's wait on a releasing holder. */
  readonly sleep: (ms: number) => Promise<void>;
}

export type LocalHandler = (event: unknown) => Promise<unknown>;

/** Handlers by the folder name under lambdas/ (the function name is `<project>-<name>`). */
export function localHandlers(p: LocalPorts): Record<string, LocalHandler> {
  const projectMetrics = withDimensions(p.metrics, { Project: p.projectName });
  return {
    admit: createAdmitHandler({ state: p.state, clock: p.clock, executions: p.executions, sleep: p.sleep, metrics: projectMetrics }),
    etl: createEtlHandler({ store: p.store, state: p.state, clock: p.clock, bucket: p.bucket }),
    evaluate: createEvaluateHandler({ store: p.store, bucket: p.bucket }),
    deploy: createDeployHandler({ hosting: p.hosting, registry: p.registry, state: p.state }),
    promote: createPromoteHandler({ state: p.state, hosting: p.hosting, clock: p.clock }),
    finalize: createFinalizeHandler({
      state: p.state,
      clock: p.clock,
      executions: p.executions,
      sleep: p.sleep,
      events: p.events,
      notifier: p.notifier,
      metrics: projectMetrics,
    }),
    approval: createApprovalHandler({ state: p.state, tokens: p.tokens, clock: p.clock, registry: p.registry, events: p.events, notifier: p.notifier }),
    'drift-monitor': createDriftMonitorHandler({ objects: p.store, state: p.state, clock: p.clock, metrics: p.metrics }),
    'quality-monitor': createQualityMonitorHandler({ objects: p.store, state: p.state, clock: p.clock, metrics: p.metrics }),
  };
}
