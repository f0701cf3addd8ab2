/**
 * What starts a run, normalized. An execution's input is one of:
 * - `{}` or `{"reason": "...", "dryRun": true, "force": true}` — a person, from the console
 *   or the CLI (manual trigger);
 * - `{"trigger": {type, reason, detail, eventId, time}}` — an EventBridge rule's input
 *   transformer (schedule, new-data, degradation, drift);
 * - `{"followUp": {runId, previousRunId, trigger, triggerCount}}` — the run that carries
 *   triggers that arrived during the previous run (started by that run's Finalize; the
 *   triggers themselves are in the state table, see lambdas/core/admission.ts).
 * Anything else is rejected with a cause that names the field.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors';
import { TRIGGER_TYPES, type RunOptions, type Trigger, type TriggerType } from './types';

const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: 'expected an ISO 8601 time' });

export const triggerSchema = z.strictObject({
  type: z.enum(TRIGGER_TYPES as [TriggerType, ...TriggerType[]]),
  // S3 keys (1024 bytes) and alarm reasons (1023) can make a rule's reason long: cut, never reject.
  reason: z
    .string()
    .min(1)
    .transform((r) => (r.length > 1000 ? `${r.slice(0, 999)}…` : r)),
  detail: z.record(z.string(), z.unknown()).default({}),
  eventId: z.string().min(1).max(200),
  time: isoTime,
});

const manualSchema = z.strictObject({
  reason: z.string().min(1).max(1000).optional(),
  dryRun: z.boolean().optional(),
  force: z.boolean().optional(),
});

const ruleSchema = z.strictObject({
  trigger: triggerSchema,
  dryRun: z.boolean().optional(),
});

const rollbackSchema = z.strictObject({
  rollback: z.strictObject({
    modelPackageArn: z.string().regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[^/]+\/\d+$/, {
      message: 'expected a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)',
    }),
    reason: z.string().min(1).max(1000),
  }),
});

const followUpSchema = z.strictObject({
  followUp: z.strictObject({
    runId: z.string().min(1),
    previousRunId: z.string().min(1),
    trigger: triggerSchema,
    triggerCount: z.number().int().min(1),
    options: z
      .strictObject({ dryRun: z.boolean(), force: z.boolean(), rollbackTo: z.string().optional() })
      .optional(),
  }),
});

/** The execution as the state machine reports it ($$.Execution). */
export interface ExecutionRef {
  readonly arn: string;
  readonly name: string;
  readonly startTime: string;
}

export type NormalizedInput =
  | { kind: 'trigger'; trigger: Trigger; options: RunOptions }
  | { kind: 'follow-up'; runId: string; previousRunId: string; trigger: Trigger; triggerCount: number; options: RunOptions };

/** Normalizes an execution input, or throws InvalidInputError naming the offending field. */
export function normalizeInput(input: unknown, execution: ExecutionRef): NormalizedInput {
  const value = input ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`execution input: expected a JSON object, got ${JSON.stringify(value).slice(0, 60)}`);
  }
  if ('followUp' in value) {
    const parsed = parseWith(followUpSchema, value, 'followUp: {runId, previousRunId, trigger, triggerCount}');
    const { runId, previousRunId, trigger, triggerCount, options } = parsed.followUp;
    return {
      kind: 'follow-up',
      runId,
      previousRunId,
      trigger: toTrigger(trigger),
      triggerCount,
      options: { dryRun: options?.dryRun ?? false, force: options?.force ?? false, ...(options?.rollbackTo ? { rollbackTo: options.rollbackTo } : {}) },
    };
  }
  if ('rollback' in value) {
    const { rollback } = parseWith(rollbackSchema, value, 'rollback: {modelPackageArn, reason}');
    return {
      kind: 'trigger',
      trigger: {
        type: 'manual',
        reason: `rollback to ${rollback.modelPackageArn}: ${rollback.reason}`,
        detail: { executionName: execution.name, rollbackTo: rollback.modelPackageArn },
        eventId: execution.name,
        time: toIsoTime(execution.startTime),
      },
      options: { dryRun: false, force: true, rollbackTo: rollback.modelPackageArn },
    };
  }
  if ('trigger' in value) {
    const parsed = parseWith(ruleSchema, value, 'trigger, dryRun');
    return { kind: 'trigger', trigger: toTrigger(parsed.trigger), options: { dryRun: parsed.dryRun ?? false, force: false } };
  }
  const manual = parseWith(manualSchema, value, 'reason, dryRun, force');
  return {
    kind: 'trigger',
    trigger: {
      type: 'manual',
      reason: manual.reason ?? 'started by a person (console or CLI)',
      detail: { executionName: execution.name },
      eventId: execution.name,
      time: toIsoTime(execution.startTime),
    },
    options: { dryRun: manual.dryRun ?? false, force: manual.force ?? false },
  };
}

function toTrigger(t: z.output<typeof triggerSchema>): Trigger {
  return { type: t.type, reason: t.reason, detail: t.detail, eventId: t.eventId, time: toIsoTime(t.time) };
}

/** Times are compared as strings (snapshot vs event): always the full ISO form, in UTC. */
function toIsoTime(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new InvalidInputError(`execution start time: expected an ISO 8601 time, got "${time}"`);
  return new Date(ms).toISOString();
}

function parseWith<T extends z.ZodType>(schema: T, value: object, allowedFields: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  const allowed = `allowed: ${allowedFields}`;
  const message =
    issue.code === 'unrecognized_keys'
      ? `execution input: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${[path, k].filter(Boolean).join('.')}"`).join(', ')} (${allowed})`
      : `execution input: ${path || '(root)'}: ${issue.message}`;
  throw new InvalidInputError(message, { context: { issues: result.error.issues.length } });
}

/** Run ids sort by time and are valid in SageMaker names: `20261127-170102-3fa1c9`. */
/** Run ids as makeRunId writes them: `yyyymmdd-hhmmss-<6 hex>`. */
export const RUN_ID_PATTERN = '\\d{8}-\\d{6}-[0-9a-f]{6}';

export function makeRunId(now: Date, seed: string): string {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${stamp}-${fnv1a(seed).toString(16).padStart(8, '0').slice(0, 6)}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
