/**
 * Rules of the configuration that come from AWS and the XGBoost container rather than from
 * retrain: a value that passes them is one the APIs accept. Each rule names its source.
 */
import { ProductionVariantInstanceType, TrainingInstanceType, TransformInstanceType } from '@aws-sdk/client-sagemaker';
import type { z } from 'zod';
import type { ProblemType } from '../lambdas/core/types';

/** What the rules read of a parsed (not yet resolved) configuration. */
export interface RuleInput {
  readonly dataset: { readonly problemType: ProblemType; readonly rawPrefix: string };
  readonly training: {
    readonly instanceType: string;
    readonly imageUri?: string;
    readonly xgboostVersion: string;
    readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
    readonly vpc?: unknown;
  };
  readonly evaluation: { readonly transformInstanceType: string };
  readonly deployment: {
    readonly instanceType: string;
    readonly instanceCount: number;
    readonly serverless?: unknown;
    readonly strategy: { readonly type: string; readonly canaryPercent: number; readonly linearStepPercent: number };
  };
  readonly triggers: { readonly newData: { readonly enabled: boolean; readonly prefix: string } };
}

export function validateAwsRules(c: RuleInput, ctx: z.RefinementCtx): void {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  validateInstanceTypes(c, issue);
  validateTrafficShifting(c, issue);
  validateServerlessVpc(c, issue);
  validateNewDataPrefix(c, issue);
  if (!c.training.imageUri) validateXgboost(c, issue);
}

type Issue = (path: Array<string | number>, message: string) => void;

/**
 * Instance types as the SageMaker API model enumerates them for each use (TrainingInstanceType,
 * TransformInstanceType, ProductionVariantInstanceType in the pinned @aws-sdk/client-sagemaker):
 * not every ml.* type exists for every use (ml.m5d.large trains but does not batch-transform).
 */
function validateInstanceTypes(c: RuleInput, issue: Issue): void {
  const checks: Array<[string[], string, Record<string, string>, string]> = [
    [['training', 'instanceType'], c.training.instanceType, TrainingInstanceType, 'training'],
    [['evaluation', 'transformInstanceType'], c.evaluation.transformInstanceType, TransformInstanceType, 'batch transform'],
  ];
  if (c.deployment.serverless === undefined) checks.push([['deployment', 'instanceType'], c.deployment.instanceType, ProductionVariantInstanceType, 'endpoint']);
  for (const [path, value, known, use] of checks) {
    // A value that is not ml.* at all already has its own error from the field's schema.
    if (/^ml\./.test(value) && !Object.values(known).includes(value)) issue(path, `"${value}" is not a SageMaker ${use} instance type (SageMaker API model)`);
  }
}

/**
 * SageMaker API Reference, TrafficRoutingConfig and CapacitySize: CanarySize "must be less
 * than or equal to 50% of the variant's total instance count", LinearStepSize "must be 10-50%
 * of the variant's total instance count"; a CapacitySize Value is an integer >= 1. A step
 * smaller than one instance shifts nothing, so the share must come to at least one instance.
 */
function validateTrafficShifting(c: RuleInput, issue: Issue): void {
  const { strategy, instanceCount } = c.deployment;
  if (strategy.type === 'all-at-once') return;
  const [field, percent, min, max] =
    strategy.type === 'canary' ? (['canaryPercent', strategy.canaryPercent, 1, 50] as const) : (['linearStepPercent', strategy.linearStepPercent, 10, 50] as const);
  if (!Number.isInteger(percent) || percent < min || percent > max) {
    issue(['deployment', 'strategy', field], `expected a whole percent from ${min} to ${max} of the endpoint's instances (SageMaker TrafficRoutingConfig), got ${percent}`);
    return;
  }
  const instances = (instanceCount * percent) / 100;
  if (instances < 1) {
    issue(
      ['deployment', 'strategy', field],
      `${percent}% of ${instanceCount} instance${instanceCount === 1 ? '' : 's'} is ${instances} instances; a ${strategy.type} step needs at least one whole instance (raise deployment.instanceCount or use "all-at-once")`,
    );
  }
}

/**
 * SageMaker Developer Guide, Serverless Inference, "Feature exclusions": serverless endpoints
 * support neither VPC configuration nor network isolation. retrain's batch transform runs the
 * same model as the endpoint, so with a serverless endpoint it cannot run in the VPC either;
 * training.vpc promises both, so the combination is refused rather than silently narrowed.
 */
function validateServerlessVpc(c: RuleInput, issue: Issue): void {
  if (c.training.vpc !== undefined && c.deployment.serverless !== undefined) {
    issue(
      ['training', 'vpc'],
      'serverless endpoints cannot run in a VPC (SageMaker Serverless Inference: feature exclusions), and batch transform shares the endpoint\'s model; remove deployment.serverless or training.vpc',
    );
  }
}

/** New data outside the raw prefix would start runs that never read it. */
function validateNewDataPrefix(c: RuleInput, issue: Issue): void {
  const { enabled, prefix } = c.triggers.newData;
  if (enabled && !prefix.startsWith(c.dataset.rawPrefix)) {
    issue(['triggers', 'newData', 'prefix'], `expected a prefix inside dataset.rawPrefix ("${c.dataset.rawPrefix}"): runs read only that prefix, got "${prefix}"`);
  }
}

/**
 * Objectives whose output Evaluate scores: probabilities of class 1 (binary), a probability
 * per class (multiclass), a value (regression). binary:logitraw (margins), binary:hinge (0/1),
 * multi:softmax (labels), ranking and survival objectives are refused.
 */
const SCORABLE_OBJECTIVES: Record<ProblemType, readonly string[]> = {
  binary: ['binary:logistic', 'reg:logistic'],
  multiclass: ['multi:softprob'],
  regression: ['reg:squarederror', 'reg:linear', 'reg:pseudohubererror', 'reg:squaredlogerror', 'reg:absoluteerror', 'reg:gamma', 'reg:tweedie', 'count:poisson'],
};

/**
 * The built-in XGBoost container's own validation (aws/sagemaker-xgboost-container,
 * src/sagemaker_xgboost_container/algorithm_mode/hyperparameter_validation.py): num_round is
 * required, an integer >= 1; num_class an integer >= 2, only for multi:* objectives; the
 * objective one of its list; and the ranges of the common tree parameters below.
 */
const RANGES: Record<string, { min?: number; minOpen?: boolean; max?: number; integer?: boolean }> = {
  num_round: { min: 1, integer: true },
  num_class: { min: 2, integer: true },
  eta: { min: 0, max: 1 },
  gamma: { min: 0 },
  max_depth: { min: 0, integer: true },
  min_child_weight: { min: 0 },
  max_delta_step: { min: 0 },
  subsample: { min: 0, minOpen: true, max: 1 },
  colsample_bytree: { min: 0, minOpen: true, max: 1 },
  colsample_bylevel: { min: 0, minOpen: true, max: 1 },
  colsample_bynode: { min: 0, minOpen: true, max: 1 },
  lambda: { min: 0 },
  alpha: { min: 0 },
  early_stopping_rounds: { min: 1, integer: true },
};

function validateXgboost(c: RuleInput, issue: Issue): void {
  const hp = c.training.hyperparameters;
  const at = (name: string) => ['training', 'hyperparameters', name];
  if (hp.num_round === undefined) issue(at('num_round'), 'required by the built-in XGBoost container (an integer >= 1), got nothing');
  for (const [name, range] of Object.entries(RANGES)) {
    const raw = hp[name];
    if (raw === undefined) continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    const low = range.min === undefined ? true : range.minOpen ? value > range.min : value >= range.min;
    const high = range.max === undefined || value <= range.max;
    if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value)) || !low || !high) {
      const bounds = [range.min === undefined ? '' : `${range.minOpen ? '>' : '>='} ${range.min}`, range.max === undefined ? '' : `<= ${range.max}`]
        .filter(Boolean)
        .join(' and ');
      issue(at(name), `expected ${range.integer ? 'an integer' : 'a number'} ${bounds} (XGBoost container validation), got ${JSON.stringify(raw)}`);
    }
  }
  const problem = c.dataset.problemType;
  if (hp.num_class !== undefined && problem !== 'multiclass') {
    issue(at('num_class'), `only for multiclass problems (the XGBoost container rejects it otherwise), got ${JSON.stringify(hp.num_class)} for ${problem}`);
  }
  const objective = hp.objective;
  if (objective === undefined) return;
  const scorable = SCORABLE_OBJECTIVES[problem];
  if (!scorable.includes(String(objective))) {
    issue(at('objective'), `expected one of ${scorable.join(', ')} for ${problem} problems (the output Evaluate scores as ${problem === 'regression' ? 'values' : 'probabilities'}), got ${JSON.stringify(objective)}`);
  } else if (objective === 'reg:absoluteerror' && c.training.xgboostVersion === '1.5-1') {
    issue(at('objective'), 'reg:absoluteerror needs XGBoost 1.7 or later (training.xgboostVersion "1.7-1"), got it with "1.5-1"');
  }
}
