/**
 * retrain's configuration: one validated file (`retrain.config.json`), every field with a
 * default so that an empty file is a working configuration.
 *
 * The schema is the single source of truth: the CDK app, the Lambdas (through the
 * environment), local mode and the generated JSON Schema all read it from here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { METRICS, metricsFor, type Direction, type MetricName, type ProblemType } from '../lambdas/core/types';
import { utf16ByteOrderMark } from '../lambdas/core/utf8';
import { validateAwsRules } from './config-rules';

export { METRICS, metricsFor, type Direction, type MetricName, type ProblemType };

const INSTANCE_TYPE = /^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const PROJECT_NAME = /^[a-z][a-z0-9-]{1,22}[a-z0-9]$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^ ]+ ){5}[^ ]+\)$/;
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/;
const IMAGE_URI = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/[a-z0-9._/-]+(?::[\w.-]+|@sha256:[a-f0-9]{64})$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const S3_PREFIX = /^(?:[A-Za-z0-9!_.*'()-]+\/)+$/;

const instanceType = z.string().regex(INSTANCE_TYPE, { message: 'expected an ml.* instance type' });
const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/** A schedule expression as EventBridge accepts it, or "off". */
export const scheduleExpression = z.string().superRefine((value, ctx) => {
  const rate = RATE.exec(value);
  if (rate) {
    const n = Number(rate[1]);
    if (n > 0 && (n === 1) === !rate[2].endsWith('s')) return;
  } else if (CRON.test(value)) {
    const problem = cronProblem(value.slice(5, -1).split(' '));
    if (!problem) return;
    ctx.addIssue({ code: 'custom', input: value, message: `expected a valid EventBridge cron expression: ${problem}` });
    return;
  }
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: 'expected "rate(<n> <unit>)" (singular unit for 1, plural otherwise) or "cron(<6 fields>)"',
  });
});

/**
 * EventBridge User Guide, "Creating a rule that runs on a schedule" (cron expressions): six
 * fields — minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7
 * or SUN-SAT, year 1970-2199 — and "if you specify a value or a * in one of the [day] fields,
 * you must use a ? in the other".
 */
function cronProblem(fields: string[]): string | undefined {
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return `exactly one of day-of-month ("${dayOfMonth}") and day-of-week ("${dayOfWeek}") must be "?"`;
  }
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  const checks: Array<[string, string, number, number, string[], RegExp]> = [
    ['minutes', minutes, 0, 59, [], /^$/],
    ['hours', hours, 0, 23, [], /^$/],
    ['day-of-month', dayOfMonth, 1, 31, [], /^(\?|L|LW|\d{1,2}W)$/],
    ['month', month, 1, 12, months, /^$/],
    ['day-of-week', dayOfWeek, 1, 7, days, /^(\?|L|\d#[1-5]|\dL)$/],
    ['year', year, 1970, 2199, [], /^$/],
  ];
  for (const [name, field, min, max, names, special] of checks) {
    for (const item of field.split(',')) {
      if (special.test(item)) continue;
      const [range, step] = item.split('/');
      if (step !== undefined && !/^\d+$/.test(step)) return `${name} "${field}": bad increment "${step}"`;
      if (range === '*') continue;
      const ends = range.split('-');
      const valid = ends.length <= 2 && ends.every((end) => {
        const n = names.indexOf(end.toUpperCase()) >= 0 ? min + names.indexOf(end.toUpperCase()) : /^\d+$/.test(end) ? Number(end) : Number.NaN;
        return n >= min && n <= max;
      });
      if (!valid) return `${name} "${field}": expected values ${min}-${max}${names.length ? ` or ${names[0]}-${names[names.length - 1]}` : ''}`;
    }
  }
  return undefined;
}

const DEFAULT_METRIC: Record<ProblemType, MetricName> = { binary: 'auc', multiclass: 'macro_f1', regression: 'rmse' };

const projectSchema = z
  .strictObject({
    /** Prefix of every resource name; must satisfy S3 bucket and SageMaker naming rules. */
    name: z
      .string()
      .regex(PROJECT_NAME, {
        message: 'expected 3-24 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen',
      })
      .refine((v) => !v.startsWith('xn--') && !v.includes('--'), { message: 'must not start with "xn--" or contain "--"' })
      .default('retrain')
      .describe('Prefix of every resource name (S3 and SageMaker naming rules: 3-24 chars, a-z, 0-9, -).'),
  })
  .prefault({});

const datasetSchema = z
  .strictObject({
    format: z.literal('csv').default('csv').describe('Input format of files under raw/. Only CSV is supported.'),
    header: z.boolean().default(true).describe('Whether every CSV file starts with a header row.'),
    columns: z
      .array(z.string().min(1))
      .min(2)
      .optional()
      .describe('Column names in file order; required when header is false.'),
    targetColumn: z.string().min(1).default('label').describe('Name of the column to predict.'),
    features: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Feature columns, in model order. Default: every column except the target and the id.'),
    categoricalFeatures: z.array(z.string().min(1)).default([]).describe('Features to treat as categories.'),
    idColumn: z
      .string()
      .min(1)
      .optional()
      .describe('Stable row id used for the deterministic split. Default: a hash of the whole row.'),
    problemType: z.enum(['binary', 'multiclass', 'regression']).default('binary').describe('Kind of model to train.'),
    rawPrefix: z
      .string()
      .regex(S3_PREFIX, { message: 'expected an S3 prefix ending in "/", e.g. "raw/"' })
      .default('raw/')
      .describe('Where users drop CSV files. retrain never modifies or deletes them.'),
    lookbackDays: positiveInt.optional().describe('Only use raw objects modified in the last N days. Default: all objects.'),
    maxQuarantineShare: fraction.default(0.01).describe('Largest share of rejected rows before a run fails.'),
    minRows: positiveInt.default(100).describe('Fewest valid rows a run needs.'),
  })
  .prefault({});

const trainingSchema = z
  .strictObject({
    imageUri: z
      .string()
      .regex(IMAGE_URI, { message: 'expected an ECR image URI like 123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag' })
      .optional()
      .describe('Training and inference image. Default: the built-in XGBoost image of the stack region.'),
    xgboostVersion: z
      .enum(['1.7-1', '1.5-1'])
      .default('1.7-1')
      .describe('Version of the built-in XGBoost image (used when imageUri is not set).'),
    instanceType: instanceType.default('ml.m5.xlarge').describe('Training instance type.'),
    instanceCount: positiveInt.max(100).default(1).describe('Number of training instances.'),
    volumeSizeGb: positiveInt.max(16384).default(30).describe('Training volume size (GB), encrypted with the project key.'),
    maxRuntimeSeconds: positiveInt.max(28 * 24 * 3600).default(3600).describe('Stopping condition for a training job.'),
    spot: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Use managed spot training, with checkpoints under runs/<runId>/checkpoints/.'),
        maxWaitSeconds: positiveInt.default(7200).describe('Longest wait for spot capacity plus runtime.'),
      })
      .prefault({}),
    hyperparameters: z
      .record(z.string().regex(/^[A-Za-z0-9_.:-]+$/), z.union([z.string(), z.number(), z.boolean()]))
      .default({ num_round: 200, max_depth: 5, eta: 0.2, subsample: 0.8, min_child_weight: 1 })
      .describe('Algorithm hyperparameters; objective, num_class and eval_metric are derived from the problem type unless set.'),
    vpc: z
      .strictObject({
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: 'expected a subnet id "subnet-..."' })).min(1),
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, { message: 'expected a security group id "sg-..."' })).min(1),
      })
      .optional()
      .describe('Run training and transform jobs in these subnets (not with a serverless endpoint). Default: no VPC (network isolation still on).'),
  })
  .prefault({})
  .superRefine((t, ctx) => {
    if (t.spot.enabled && t.spot.maxWaitSeconds < t.maxRuntimeSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['spot', 'maxWaitSeconds'],
        message: `expected at least training.maxRuntimeSeconds (${t.maxRuntimeSeconds}), got ${t.spot.maxWaitSeconds}`,
      });
    }
  });

const splitSchema = z
  .strictObject({
    train: z.number().gt(0).lt(1).default(0.7).describe('Share of rows for training.'),
    validation: z.number().gt(0).lt(1).default(0.15).describe('Share of rows for early stopping.'),
    test: z.number().gt(0).lt(1).default(0.15).describe('Share of rows held out for the gate.'),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    const sum = s.train + s.validation + s.test;
    if (Math.abs(sum - 1) > 1e-9) {
      ctx.addIssue({ code: 'custom', message: `expected train + validation + test = 1, got ${Number(sum.toFixed(6))}` });
    }
  });

const evaluationSchema = z
  .strictObject({
    metric: z
      .enum(Object.keys(METRICS) as [MetricName, ...MetricName[]])
      .optional()
      .describe('Gate metric. Default: auc (binary), macro_f1 (multiclass), rmse (regression).'),
    direction: z.enum(['maximize', 'minimize']).optional().describe("Whether higher is better. Default: the metric's own."),
    minimum: z.number().optional().describe('Absolute bar the candidate must meet. Default: none (any value passes).'),
    minImprovement: z.number().min(0).default(0).describe('How much the candidate must beat the champion by, in the metric direction.'),
    split: splitSchema,
    transformInstanceType: instanceType.default('ml.m5.large').describe('Batch transform instance type for scoring.'),
  })
  .prefault({});

const strategySchema = z
  .strictObject({
    type: z.enum(['all-at-once', 'canary', 'linear']).default('all-at-once').describe('Blue/green traffic shifting.'),
    canaryPercent: z.number().gt(0).lt(100).default(10).describe('Canary: share of capacity that gets traffic first (whole percent, 1-50, at least one instance).'),
    linearStepPercent: z.number().gt(0).lt(100).default(25).describe('Linear: share of capacity shifted per step (whole percent, 10-50, at least one instance).'),
    waitIntervalSeconds: z.number().int().min(0).max(3600).default(300).describe('Canary/linear: bake time between steps.'),
    terminationWaitSeconds: z.number().int().min(0).max(3600).default(300).describe('Keep the old fleet this long after shifting.'),
  })
  .prefault({});

const deploymentSchema = z
  .strictObject({
    instanceType: instanceType.default('ml.m5.large').describe('Endpoint instance type (ignored when serverless is set).'),
    instanceCount: positiveInt.max(100).default(1).describe('Endpoint instance count.'),
    serverless: z
      .strictObject({
        memorySizeMb: z
          .union([1024, 2048, 3072, 4096, 5120, 6144].map((n) => z.literal(n)) as [z.ZodLiteral<number>, ...z.ZodLiteral<number>[]])
          .default(2048)
          .describe('Serverless memory: 1024-6144 in steps of 1024.'),
        maxConcurrency: z.number().int().min(1).max(200).default(5).describe('Serverless maximum concurrency.'),
      })
      .optional()
      .describe('Host on a serverless endpoint instead of instances.'),
    strategy: strategySchema,
    dataCapturePercent: z.number().int().min(0).max(100).default(100).describe('Share of requests captured to capture/.'),
    manualApproval: z.boolean().default(false).describe('Register as PendingManualApproval and wait for a person.'),
    approvalTimeoutHours: z.number().int().min(1).max(24 * 365).default(72).describe('How long a run waits for approval.'),
    maxWaitMinutes: z.number().int().min(5).max(24 * 60).default(60).describe('Longest wait for the endpoint to be InService.'),
  })
  .prefault({})
  .superRefine((d, ctx) => {
    if (d.serverless && d.strategy.type !== 'all-at-once') {
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'type'],
        message: `serverless endpoints support only "all-at-once", got "${d.strategy.type}"`,
      });
    }
  });

const triggersSchema = z
  .strictObject({
    schedule: z
      .union([z.literal('off'), scheduleExpression])
      .default('rate(7 days)')
      .describe('Scheduled retraining: rate(...) / cron(...) or "off".'),
    newData: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Start a run when objects are created under the prefix.'),
        prefix: z
          .string()
          .regex(S3_PREFIX, { message: 'expected an S3 prefix ending in "/", e.g. "raw/"' })
          .default('raw/')
          .describe('Key prefix that counts as new data.'),
        suffix: z.string().min(1).optional().describe('Only keys with this suffix (e.g. "_SUCCESS"). Default: any key.'),
        quietPeriodSeconds: z.number().int().min(0).max(3600).default(120).describe('Debounce: wait until no new object for this long.'),
        maxWaitSeconds: z.number().int().min(0).max(24 * 3600).default(1800).describe('Debounce: never wait longer than this.'),
      })
      .prefault({}),
    cooldownMinutes: z
      .number()
      .int()
      .min(0)
      .default(360)
      .describe('Degradation/drift triggers within this time after a completed run are not started.'),
    degradation: z
      .strictObject({
        floor: z.number().optional().describe('Alarm when live quality is below this value. Default: none.'),
        maxRelativeDrop: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.05)
          .describe("Alarm when live quality is this much worse than the champion's evaluation, relatively."),
      })
      .prefault({}),
    drift: z
      .strictObject({
        featureThreshold: z.number().gt(0).default(0.1).describe('Effect size from which a feature counts as drifted.'),
        driftedShare: z.number().gt(0).max(1).default(0.5).describe('Share of drifted features that is dataset drift.'),
        pValue: z.number().gt(0).lt(1).default(0.05).describe('Significance after Benjamini-Hochberg.'),
        criticalFeatures: z.array(z.string().min(1)).default([]).describe('Any of these drifting is dataset drift.'),
        minRows: positiveInt.default(100).describe('Fewer captured rows than this in a window is INSUFFICIENT_DATA.'),
      })
      .prefault({}),
    extraAlarmArns: z
      .array(z.string().regex(ALARM_ARN, { message: 'expected a CloudWatch alarm ARN' }))
      .default([])
      .describe('More alarms whose transition to ALARM starts a degradation run.'),
  })
  .prefault({})
  .superRefine((t, ctx) => {
    if (t.newData.maxWaitSeconds < t.newData.quietPeriodSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['newData', 'maxWaitSeconds'],
        message: `expected at least newData.quietPeriodSeconds (${t.newData.quietPeriodSeconds}), got ${t.newData.maxWaitSeconds}`,
      });
    }
  });

const monitoringSchema = z
  .strictObject({
    driftSchedule: scheduleExpression.default('rate(1 hour)').describe('How often the drift monitor runs.'),
    qualitySchedule: scheduleExpression.default('rate(1 hour)').describe('How often the quality monitor runs.'),
    minLabeledRows: positiveInt.default(200).describe('Fewest joined labelled rows for a quality datapoint.'),
  })
  .prefault({});

const notificationsSchema = z
  .strictObject({
    email: z
      .string()
      .regex(EMAIL, { message: 'expected an e-mail address' })
      .optional()
      .describe('Subscribe this address to run notifications. Default: no subscription.'),
  })
  .prefault({});

const retentionSchema = z
  .strictObject({
    removalPolicy: z
      .enum(['retain', 'destroy'])
      .default('retain')
      .describe('What happens to the bucket, key and table when the stack is deleted.'),
    captureDays: positiveInt.default(30).describe('Expire endpoint capture after N days.'),
    runsDays: positiveInt.default(365).describe('Expire run artifacts (runs/, quarantine/) after N days.'),
    monitoringDays: positiveInt.default(90).describe('Expire monitor reports after N days.'),
    noncurrentVersionDays: positiveInt.default(30).describe('Expire noncurrent object versions after N days.'),
    triggerLogDays: positiveInt.default(90).describe('TTL of trigger log entries in the state table.'),
    logRetentionDays: z
      .union([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653].map((n) => z.literal(n)) as [
        z.ZodLiteral<number>,
        ...z.ZodLiteral<number>[],
      ])
      .default(90)
      .describe('CloudWatch Logs retention of every function and the state machine.'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of the JSON Schema, for editors.'),
    project: projectSchema,
    dataset: datasetSchema,
    training: trainingSchema,
    evaluation: evaluationSchema,
    deployment: deploymentSchema,
    triggers: triggersSchema,
    monitoring: monitoringSchema,
    notifications: notificationsSchema,
    retention: retentionSchema,
  })
  .superRefine(validateDataset)
  .superRefine(validateAwsRules)
  .transform(resolveEvaluation);

export type RetrainConfigInput = z.input<typeof configSchema>;
export type RetrainConfig = z.output<typeof configSchema>;

function validateDataset(c: RawConfig, ctx: z.RefinementCtx): void {
  const d = c.dataset;
  if (!d.header && !d.columns) {
    ctx.addIssue({ code: 'custom', path: ['dataset', 'columns'], message: 'required when dataset.header is false' });
  }
  const known = d.columns ?? d.features;
  const inFeatures = (name: string) => !d.features || d.features.includes(name);
  if (d.columns && !d.columns.includes(d.targetColumn)) {
    ctx.addIssue({ code: 'custom', path: ['dataset', 'targetColumn'], message: `"${d.targetColumn}" is not in dataset.columns` });
  }
  if (d.features?.includes(d.targetColumn)) {
    ctx.addIssue({ code: 'custom', path: ['dataset', 'features'], message: `must not contain the target column "${d.targetColumn}"` });
  }
  if (d.idColumn && d.idColumn === d.targetColumn) {
    ctx.addIssue({ code: 'custom', path: ['dataset', 'idColumn'], message: 'must differ from the target column' });
  }
  d.categoricalFeatures.forEach((name, i) => {
    if (!inFeatures(name) || (known && !known.includes(name)) || name === d.targetColumn) {
      ctx.addIssue({ code: 'custom', path: ['dataset', 'categoricalFeatures', i], message: `"${name}" is not a feature` });
    }
  });
  c.triggers.drift.criticalFeatures.forEach((name, i) => {
    if (!inFeatures(name) || (known && !known.includes(name))) {
      ctx.addIssue({ code: 'custom', path: ['triggers', 'drift', 'criticalFeatures', i], message: `"${name}" is not a feature` });
    }
  });
  const metric = c.evaluation.metric;
  if (metric && !(METRICS[metric].problems as readonly string[]).includes(d.problemType)) {
    ctx.addIssue({
      code: 'custom',
      path: ['evaluation', 'metric'],
      message: `"${metric}" does not apply to ${d.problemType} problems (use ${metricsFor(d.problemType).join(', ')})`,
    });
  } else {
    const effective = metric ?? DEFAULT_METRIC[d.problemType];
    const direction = c.evaluation.direction;
    if (direction && direction !== METRICS[effective].direction) {
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'direction'],
        message: `${effective} is ${METRICS[effective].direction}d, got "${direction}"`,
      });
    }
  }
}

type RawConfig = {
  dataset: z.output<typeof datasetSchema>;
  triggers: z.output<typeof triggersSchema>;
  evaluation: z.output<typeof evaluationSchema>;
};

function resolveEvaluation<T extends { dataset: { problemType: ProblemType }; evaluation: z.output<typeof evaluationSchema> }>(c: T) {
  const metric = c.evaluation.metric ?? DEFAULT_METRIC[c.dataset.problemType];
  return {
    ...c,
    evaluation: { ...c.evaluation, metric, direction: (c.evaluation.direction ?? METRICS[metric].direction) as Direction },
  };
}


/** A configuration that cannot be used; `message` is one line per problem, `field: reason`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? `${source}: ${problems[0]}` : `${source}:\n  ${problems.join('\n  ')}`);
  }
}

/** Validates a parsed configuration object; `source` names it in errors. */
export function parseConfig(input: unknown, source = 'configuration'): RetrainConfig {
  const result = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.flatMap(describeIssue));
}

/** Reads and validates a configuration file (JSON with comments allowed). */
export function loadConfig(path: string): RetrainConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  const utf16 = utf16ByteOrderMark(bytes);
  if (utf16) throw new ConfigError(path, [`the file is UTF-16 (byte order mark ${utf16}): save it as UTF-8`]);
  // RFC 8259 §8.1: parsers "MAY ignore the presence of a byte order mark rather than treating it
  // as an error"; editors on Windows write one (EF BB BF) when saving as "UTF-8 with BOM".
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const errors: ParseError[] = [];
  const parsed: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    throw new ConfigError(
      path,
      errors.slice(0, 1).map((e) => {
        const { line, column } = position(text, e.offset);
        return `line ${line}, column ${column}: ${printParseErrorCode(e.error)}`;
      }),
    );
  }
  return parseConfig(parsed, path);
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const path = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
  const at = (suffix?: string) => [path, suffix].filter(Boolean).join('.') || '(root)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${at(key)}: unknown field`);
    case 'invalid_type':
      return [`${at()}: expected ${article(issue.expected)}, got ${show(issue.input)}`];
    case 'invalid_value':
      return [`${at()}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(issue.input)}`];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const relation =
        issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
      if (issue.origin === 'array') return [`${at()}: expected ${relation} ${String(bound)} entries, got ${show(issue.input)}`];
      if (issue.origin === 'string') return [`${at()}: expected ${relation} ${String(bound)} characters, got ${show(issue.input)}`];
      return [`${at()}: expected ${relation} ${String(bound)}, got ${show(issue.input)}`];
    }
    case 'invalid_format':
    case 'custom':
      // Cross-field rules (superRefine) see a whole object and already say what arrived.
      if (issue.code === 'custom' && (issue.input === undefined || typeof issue.input === 'object')) {
        return [`${at()}: ${issue.message}`];
      }
      return [`${at()}: ${issue.message}, got ${show(issue.input)}`];
    case 'invalid_union':
      return [`${at()}: ${unionMessage(issue)}, got ${show(issue.input)}`];
    default:
      return [`${at()}: ${issue.message}`];
  }
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  // Literal unions (e.g. "off" | schedule) read best as the last branch's own message.
  const inner = issue.errors.flat().find((e) => e.code === 'custom' || e.code === 'invalid_format');
  if (inner) return inner.message;
  const values = issue.errors.flat().flatMap((e) => (e.code === 'invalid_value' ? e.values : []));
  if (values.length > 0) return `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The defaults, as a complete configuration. */
export function defaultConfig(): RetrainConfig {
  return parseConfig({});
}

/** The JSON Schema of the configuration file (what editors need), as formatted text. */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'retrain configuration' }, null, 2)}\n`;
}

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  additionalProperties?: JsonSchemaNode | boolean;
}

/** The configuration reference as a Markdown table: every field, its type, default and meaning. */
export function configMarkdownTable(): string {
  const schema = JSON.parse(configJsonSchema()) as JsonSchemaNode;
  const rows: string[] = ['| field | type | default | meaning |', '|---|---|---|---|'];
  const walk = (node: JsonSchemaNode, path: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === '$schema') continue;
      const name = path ? `${path}.${key}` : key;
      const isSection = child.type === 'object' && child.properties && !child.description;
      if (isSection) {
        walk(child, name);
        continue;
      }
      const fallback = child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``;
      rows.push(`| \`${name}\` | ${typeName(child)} | ${fallback} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`);
      if (child.type === 'object' && child.properties) walk(child, name);
    }
  };
  walk(schema, '');
  return `${rows.join('\n')}\n`;
}

function typeName(node: JsonSchemaNode): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (node.anyOf) return node.anyOf.map(typeName).join(' \\| ');
  if (node.type === 'array') return `${node.items ? typeName(node.items) : 'any'}[]`;
  if (node.type === 'object' && !node.properties) return 'map';
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}

/** A short hash of a validated configuration: the template records it, so local mode can tell a stale cdk.out. */
export function configHash(config: RetrainConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so equal configurations hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A configuration with `extra` laid over `base`, section by section (arrays replace). */
export function mergeConfigInput(base: RetrainConfigInput, extra: RetrainConfigInput): RetrainConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const nested = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object';
    out[key] = nested ? mergeConfigInput(current as RetrainConfigInput, value as RetrainConfigInput) : value;
  }
  return out as RetrainConfigInput;
}
