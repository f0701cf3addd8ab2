/**
 * What every handler.ts shares: environment, Powertools (Logger with the run id and trigger
 * on every line, Metrics, Tracer), event validation with zod, and the boundary that logs an
 * error with its context before Step Functions sees it. One module, so no Lambda writes
 * its own copy.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { z } from 'zod';
import { InvalidInputError, RetrainError } from '../core/errors';
import type { MetricDatum, MetricsSink } from './ports';

/** An environment variable the stack always sets; its absence is a deployment bug. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new RetrainError(`environment variable ${name} is not set (the stack sets it; was the function deployed by retrain?)`);
  return value;
}

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/** Powertools for one function; service name and namespace come from the environment the stack sets. */
export function observability(): Observability {
  return { logger: new Logger(), metrics: new Metrics(), tracer: new Tracer() };
}

/** Validates an event against a schema; a mismatch is an InvalidInputError that names the field. */
export function parseEvent<S extends z.ZodType>(schema: S, event: unknown, what: string): z.output<S> {
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new InvalidInputError(`${what}: ${issues.join('; ')}`, { context: { issues: result.error.issues.length } });
}

/**
 * Wraps a handler: appends the run id and trigger to every log line, logs a failure once
 * with its context, flushes metrics, and rethrows so Step Functions can retry or catch it
 * by the error's name.
 */
export function lambdaHandler<R>(o: Observability, fn: (event: unknown) => Promise<R>): (event: unknown) => Promise<R> {
  return async (event: unknown) => {
    o.logger.appendKeys(logKeys(event));
    try {
      return await fn(event);
    } catch (error) {
      o.logger.error('failed', {
        error,
        ...(error instanceof RetrainError ? { context: error.context } : {}),
      });
      throw error;
    } finally {
      if (o.metrics.hasStoredMetrics()) o.metrics.publishStoredMetrics();
      o.logger.resetKeys();
    }
  };
}

function logKeys(event: unknown): Record<string, string> {
  if (!event || typeof event !== 'object') return {};
  const e = event as { runId?: unknown; run?: { runId?: unknown; trigger?: { type?: unknown } }; trigger?: { type?: unknown } };
  const runId = e.runId ?? e.run?.runId;
  const trigger = e.trigger?.type ?? e.run?.trigger?.type;
  return {
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof trigger === 'string' ? { trigger } : {}),
  };
}

const UNITS: Record<MetricDatum['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  None: MetricUnit.NoUnit,
  Percent: MetricUnit.Percent,
  Seconds: MetricUnit.Seconds,
  Milliseconds: MetricUnit.Milliseconds,
  Bytes: MetricUnit.Bytes,
};

/** MetricsSink on Powertools Metrics (EMF): each datum is flushed with its own dimensions. */
export function powertoolsMetricsSink(metrics: Metrics): MetricsSink {
  return {
    async put(data: readonly MetricDatum[]): Promise<void> {
      for (const datum of data) {
        const single = metrics.singleMetric();
        // Exactly the datum's dimensions (the dashboard and alarms query them), not Powertools' service.
        single.clearDefaultDimensions();
        if (datum.dimensions) single.addDimensions({ ...datum.dimensions });
        if (datum.timestamp) single.setTimestamp(datum.timestamp);
        single.addMetric(datum.name, UNITS[datum.unit], datum.value);
      }
    },
  };
}

/** A sink that adds dimensions (the Project) to every datum, so projects sharing an account stay apart. */
export function withDimensions(sink: MetricsSink, dimensions: Readonly<Record<string, string>>): MetricsSink {
  return {
    put: (data) => sink.put(data.map((d) => ({ ...d, dimensions: { ...dimensions, ...d.dimensions } }))),
  };
}

/** Real-time sleep for the few places that wait on another writer (never in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** s3://bucket/key for a key of the data bucket. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The key of an s3:// URI in the given bucket; another bucket is an InvalidInputError. */
export function keyOf(bucket: string, uri: string): string {
  const prefix = `s3://${bucket}/`;
  if (!uri.startsWith(prefix)) throw new InvalidInputError(`expected an object of bucket ${bucket}, got ${uri}`);
  return uri.slice(prefix.length);
}
