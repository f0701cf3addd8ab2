/** Types and constants shared by the constructs, the Lambdas and local mode. */
import { MODELS_PREFIX } from '../lambdas/core/model-documents';

/** Key prefixes of the data bucket (DESIGN.md section 3). */
export const DATA_PREFIXES = {
  raw: 'raw/',
  runs: 'runs/',
  quarantine: 'quarantine/',
  capture: 'capture/',
  groundTruth: 'ground-truth/',
  /** Everything a registered model package references: never expired while it may serve. */
  models: MODELS_PREFIX,
  monitoring: 'monitoring/',
  driftReports: 'monitoring/drift/',
  qualityReports: 'monitoring/quality/',
} as const;

/** Attribute names of the state table. */
export const STATE_TABLE_KEYS = {
  partition: 'pk',
  sort: 'sk',
  ttl: 'expiresAt',
} as const;

/** Names of the resources of one project, derived from its name (a contract: renaming replaces). */
export function resourceNames(projectName: string) {
  return {
    stateMachine: `${projectName}-pipeline`,
    endpoint: projectName,
    variant: 'primary',
    modelPackageGroup: projectName,
    endpointConfigPrefix: `${projectName}-`,
    /** Model, training job, endpoint config: `${projectName}-${runId}`. */
    runResource: (runId: string) => `${projectName}-${runId}`,
    alarms: {
      endpointErrors: `${projectName}-endpoint-5xx`,
      endpointLatency: `${projectName}-endpoint-latency`,
      drift: `${projectName}-drift`,
      quality: `${projectName}-model-quality`,
      deadLetters: `${projectName}-trigger-dlq`,
    },
    metricsNamespace: 'retrain',
    /** Log groups of the functions and the state machine (encrypted with the project key). */
    logGroups: {
      function: (name: string) => `/aws/lambda/${projectName}-${name}`,
      stateMachine: `/aws/vendedlogs/states/${projectName}-pipeline`,
      /** Every log group above, as an ARN resource pattern (`log-group:<pattern>`). */
      patterns: [`/aws/lambda/${projectName}-*`, `/aws/vendedlogs/states/${projectName}-pipeline`],
    },
  } as const;
}

/** The tag on every resource of a project (stack resources and what the pipeline creates). */
export const PROJECT_TAG = 'retrain:project';

/** Template metadata key holding the hash of the configuration it was synthesized from. */
export const CONFIG_HASH_METADATA = 'retrain:configHash';
