/**
 * What every part of the local SageMaker backend shares: the bucket, the state files, the clock,
 * ARNs and the faults to inject.
 */
import type { Clock, ObjectStore } from '../../lambdas/adapters/ports';
import type { Arns } from './names';
import type { StateFiles } from './state';

/**
 * Faults local mode can inject, to demonstrate the failure paths. Each is read when it applies,
 * so a caller may change the object between calls. A predicate limits a fault to some names.
 */
export interface LocalFaults {
  /** Training jobs end Failed with an AlgorithmError (all, or those the predicate accepts). */
  trainingFails?: boolean | ((trainingJobName: string) => boolean);
  /** Model containers answer /ping with 500 (all, or those whose model name the predicate accepts). */
  healthCheckFails?: boolean | ((modelName: string) => boolean);
}

export function faultApplies(fault: boolean | ((name: string) => boolean) | undefined, name: string): boolean {
  return typeof fault === 'function' ? fault(name) : fault === true;
}

/** An event SageMaker would send to EventBridge (source aws.sagemaker). */
export interface SageMakerEvent {
  readonly source: 'aws.sagemaker';
  readonly detailType: string;
  readonly resources: string[];
  readonly time: string;
  readonly region: string;
  readonly account: string;
  readonly detail: Record<string, unknown>;
}

export interface BackendContext {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly clock: Clock;
  readonly state: StateFiles;
  readonly arns: Arns;
  readonly faults: LocalFaults;
  readonly emit: (event: SageMakerEvent) => Promise<void>;
}
