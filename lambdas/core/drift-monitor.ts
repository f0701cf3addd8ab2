/**
 * The drift monitor (scheduled): compares the model inputs captured since its last run with
 * the champion's baseline, writes monitoring/drift/<windowEnd>.json and publishes metrics the
 * drift alarm watches.
 *
 * Window: from the previous run's windowEnd (state item MONITOR/drift) to now; on the first
 * run the last hour. Never before the champion's `since` (inputs served by an earlier model
 * belong to another baseline) and never longer than `maxWindowHours` (a monitor that was off
 * for days looks at the most recent hours only). A capture file belongs to the window its
 * upload falls in — lastModified in (start, end] — so each file is read by exactly one run,
 * also when SageMaker writes it a few minutes after the hour it is filed under; records
 * inferred before the champion's `since` are skipped.
 *
 * Memory stays flat however many rows the window has: files are streamed line by line and the
 * window keeps bounded samples and counts (CurrentWindow).
 */
import { parseModelSchema, readChampionDocument } from './model-documents';
import type { Clock, MetricDatum, MetricsSink, ObjectStore, StateItem, StateStore } from '../adapters/ports';
import { captureHourPrefixes, newCaptureStats, readCaptureRecords } from './capture';
import { CurrentWindow, compareToBaseline, parseBaseline, type DriftReport, type DriftSettings, type WindowValue } from './drift';
import { DataValidationError, InvalidInputError } from './errors';
import { readText } from './lines';
import { CHAMPION_KEY } from './promote';
import type { Baseline, Champion, ModelSchema } from './types';

/** schema.json is parsed where the other model documents are read (model-documents.ts). */
export { parseModelSchema };

export interface MonitorPorts {
  readonly objects: ObjectStore;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly metrics: MetricsSink;
}

export interface DriftMonitorSettings {
  /** Value of the Project dimension of every metric. */
  readonly projectName: string;
  readonly endpointName: string;
  /** @default 'AllTraffic' */
  readonly variantName?: string;
  readonly drift: DriftSettings;
  /** @default 'capture/' */
  readonly capturePrefix?: string;
  /** Longest window; older capture is not read. @default 24 */
  readonly maxWindowHours?: number;
  /** Values per numeric feature the window keeps. @default CURRENT_SAMPLE_SIZE */
  readonly sampleSize?: number;
  /** Seed of the window's reservoirs. @default DEFAULT_WINDOW_SEED */
  readonly seed?: number;
}

/** State item of the drift monitor's last window (the champion pointer is promote.ts's CHAMPION_KEY). */
export const DRIFT_MONITOR_KEY = { pk: 'MONITOR', sk: 'drift' } as const;

/** What the drift monitor remembers between runs. */
export interface DriftMonitorState {
  readonly windowEnd: string;
  readonly championRunId: string | null;
  readonly status: DriftReport['status'];
}

/** Metric names (namespace set by the MetricsSink). All carry the dimension Project=<projectName>. */
export const DRIFT_METRICS = {
  /** Per feature, extra dimension Feature=<name>: Wasserstein/std or JS distance. Unit None. */
  featureEffect: 'FeatureDriftEffect',
  /** Per feature, extra dimension Feature=<name>. Unit None. */
  featurePsi: 'FeaturePSI',
  /** Share of drifted features, 0..1. Unit None. */
  driftedShare: 'DriftedFeatureShare',
  /** Rows in the window (also for INSUFFICIENT_DATA). Unit Count. */
  capturedRows: 'CapturedRows',
  /** 1 on dataset drift, 0 otherwise; absent for INSUFFICIENT_DATA and NO_CHAMPION. Unit None. */
  driftDetected: 'DriftDetected',
} as const;

export interface DriftMonitorResult {
  readonly report: DriftReport;
  readonly reportKey: string;
}

const HOUR_MS = 3_600_000;

export async function runDriftMonitor(ports: MonitorPorts, settings: DriftMonitorSettings): Promise<DriftMonitorResult> {
  const end = ports.clock.now();
  const previous = await ports.state.get<DriftMonitorState>(DRIFT_MONITOR_KEY.pk, DRIFT_MONITOR_KEY.sk);
  const championItem = await ports.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk);
  const lastEnd = previous ? Date.parse(previous.data.windowEnd) : end.getTime() - HOUR_MS;
  const maxWindowMs = (settings.maxWindowHours ?? 24) * HOUR_MS;

  let report: DriftReport;
  if (!championItem) {
    report = noChampionReport(new Date(Math.min(lastEnd, end.getTime())), end, settings.drift);
  } else {
    const champion = championItem.data;
    const since = Date.parse(champion.since);
    const start = new Date(Math.min(end.getTime(), Math.max(lastEnd, Number.isNaN(since) ? -Infinity : since, end.getTime() - maxWindowMs)));
    report = await measureWindow(ports, settings, champion, start, end);
    await ports.metrics.put(driftMetrics(report, settings.projectName, end));
  }

  const reportKey = `monitoring/drift/${end.toISOString()}.json`;
  await ports.objects.write(reportKey, `${JSON.stringify(report, null, 2)}\n`, { contentType: 'application/json' });
  await recordWindow(ports.state, previous, { windowEnd: end.toISOString(), championRunId: report.championRunId, status: report.status });
  return { report, reportKey };
}

async function measureWindow(ports: MonitorPorts, settings: DriftMonitorSettings, champion: Champion, start: Date, end: Date): Promise<DriftReport> {
  const baseline = parseBaseline(await readChampionDocument(ports.objects, keyOfUri(champion.baselineUri), 'baseline', champion.runId), champion.baselineUri);
  const schema = parseModelSchema(await readChampionDocument(ports.objects, keyOfUri(champion.schemaUri), 'schema', champion.runId), champion.schemaUri);
  const decode = captureDecoder(baseline, schema, champion.schemaUri);
  const window = new CurrentWindow(baseline, {
    start: start.toISOString(),
    end: end.toISOString(),
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
    ...(settings.sampleSize === undefined ? {} : { sampleSize: settings.sampleSize }),
  });
  const since = Date.parse(champion.since);
  const stats = newCaptureStats();
  let beforeChampion = 0;
  let wrongWidth = 0;
  for await (const file of captureFiles(ports.objects, settings, start, end)) {
    const { body } = await ports.objects.read(file);
    for await (const record of readCaptureRecords(body, stats, file)) {
      if (record.timeMs < since) {
        beforeChampion += 1;
        continue;
      }
      const values = decode(record.features);
      if (values === undefined) {
        wrongWidth += 1;
        if (stats.examples.length < 5) {
          stats.examples.push(`${file}: record ${record.id} has ${record.features.length} fields, the model has ${schema.features.length} features`);
        }
        continue;
      }
      window.add(values);
    }
  }
  const report = compareToBaseline(baseline, window, settings.drift);
  const anomalies = wrongWidth > 0 ? [...report.anomalies, `${wrongWidth} captured rows do not have one field per model feature`] : report.anomalies;
  return { ...report, championRunId: champion.runId, anomalies, capture: { ...stats, beforeChampion, wrongWidth } };
}

/**
 * Capture objects of the endpoint uploaded in (start, end]. The hour folders are listed from
 * an hour before the start, since a file lands after the hour it is filed under.
 */
export async function* captureFiles(
  objects: ObjectStore,
  settings: { endpointName: string; variantName?: string; capturePrefix?: string },
  start: Date,
  end: Date,
): AsyncGenerator<string> {
  const prefixes = captureHourPrefixes(
    settings.endpointName,
    settings.variantName ?? 'AllTraffic',
    new Date(start.getTime() - HOUR_MS),
    end,
    settings.capturePrefix ?? 'capture/',
  );
  for (const prefix of prefixes) {
    for await (const object of objects.list(prefix)) {
      const modified = object.lastModified.getTime();
      if (modified > start.getTime() && modified <= end.getTime()) yield object.key;
    }
  }
}

/**
 * Turns a captured row (as the model received it) back into feature values in the baseline's
 * order: numeric fields as text, categorical codes decoded with the schema's category list
 * (code i → categories[i]; -1 or empty → missing; any other code → "<unknown code N>", which
 * the baseline never had). Returns undefined for a row whose width is not the schema's.
 */
export function captureDecoder(baseline: Baseline, schema: ModelSchema, source: string): (fields: readonly string[]) => WindowValue[] | undefined {
  const positions = new Map(schema.features.map((f, i) => [f.name, i]));
  const plan = baseline.features.map((f) => {
    const index = positions.get(f.name);
    if (index === undefined) {
      throw new DataValidationError(`${source}: the schema has no feature "${f.name}", which the baseline profiles`, { context: { source, feature: f.name } });
    }
    const spec = schema.features[index];
    return { index, categories: spec.kind === 'categorical' ? spec.categories : undefined };
  });
  const width = schema.features.length;
  return (fields) => {
    if (fields.length !== width) return undefined;
    return plan.map(({ index, categories }) => (categories ? decodeCategory(fields[index], categories) : fields[index]));
  };
}

function decodeCategory(field: string, categories: readonly string[]): string | undefined {
  const text = field.trim();
  if (text === '') return undefined;
  const code = Number(text);
  if (code === -1) return undefined;
  if (Number.isInteger(code) && code >= 0 && code < categories.length) return categories[code];
  return `<unknown code ${text}>`;
}

function noChampionReport(start: Date, end: Date, settings: DriftSettings): DriftReport {
  return {
    version: 1,
    status: 'NO_CHAMPION',
    drifted: false,
    driftedShare: 0,
    driftedFeatures: [],
    rows: { baseline: 0, current: 0 },
    window: { start: start.toISOString(), end: end.toISOString() },
    championRunId: null,
    settings,
    features: [],
    anomalies: [],
  };
}

/** The datapoints of one report; INSUFFICIENT_DATA publishes only the row count so the alarm sees missing data. */
export function driftMetrics(report: DriftReport, projectName: string, timestamp: Date): MetricDatum[] {
  const project = { Project: projectName };
  const data: MetricDatum[] = [{ name: DRIFT_METRICS.capturedRows, value: report.rows.current, unit: 'Count', dimensions: project, timestamp }];
  if (report.status !== 'OK' && report.status !== 'DRIFT') return data;
  for (const f of report.features) {
    const dimensions = { ...project, Feature: f.name };
    data.push({ name: DRIFT_METRICS.featureEffect, value: f.effect, unit: 'None', dimensions, timestamp });
    data.push({ name: DRIFT_METRICS.featurePsi, value: f.psi, unit: 'None', dimensions, timestamp });
  }
  data.push({ name: DRIFT_METRICS.driftedShare, value: report.driftedShare, unit: 'None', dimensions: project, timestamp });
  data.push({ name: DRIFT_METRICS.driftDetected, value: report.drifted ? 1 : 0, unit: 'None', dimensions: project, timestamp });
  return data;
}

async function recordWindow(state: StateStore, previous: StateItem<DriftMonitorState> | undefined, data: DriftMonitorState): Promise<void> {
  await state.put({ ...DRIFT_MONITOR_KEY, data }, previous ? { ifVersion: previous.version } : { ifAbsent: true });
}

/** The key of an s3://bucket/key URI (the bucket is the data bucket the store stands for); a bare key is returned as is. */
export function keyOfUri(uri: string): string {
  const match = /^s3:\/\/[^/]+\/(.+)$/.exec(uri);
  if (match) return match[1];
  if (uri.startsWith('s3://')) throw new InvalidInputError(`${uri} is not an s3://bucket/key URI`, { context: { uri } });
  return uri;
}

/** A small document (baseline.json, schema.json) as text. */
export async function readDocument(objects: ObjectStore, uri: string): Promise<string> {
  const { body } = await objects.read(keyOfUri(uri));
  return readText(body);
}

