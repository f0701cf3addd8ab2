/**
 * The model-quality monitor (scheduled): joins the champion's captured predictions with the
 * ground truth people upload under ground-truth/, computes the configured metric, writes
 * monitoring/quality/<windowEnd>.json and publishes the metrics the degradation alarm watches.
 *
 * Ground truth: JSON Lines, one label per line, `{"inferenceId": "...", "label": ...}`
 * (`eventId` is accepted in place of inferenceId, and so is SageMaker Model Monitor's own
 * format `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "..."}}`).
 * The id is the capture record's inferenceId, or its eventId when the caller gave none; for a
 * request of several rows, `<id>:<row>` (row 0-based).
 *
 * Window: labels are taken from ground-truth objects uploaded since the previous datapoint
 * (state item MONITOR/quality; on the first run for a champion, since it went live), and
 * joined with the predictions captured from `lookbackHours` (default 24) before that up to
 * now — a label usually arrives some time after its prediction. Only predictions made after
 * the champion went live count. When fewer than `minLabeledRows` rows join, the run reports
 * INSUFFICIENT_DATA and keeps the label window's start, so labels accumulate across runs,
 * for at most `maxPendingHours` (default 168).
 *
 * Memory: capture is streamed; what is held is the window's labels (at most `maxLabels`,
 * default 1,000,000, the rest counted and skipped) and the joined rows as typed arrays.
 */
import type { MetricDatum, StateItem, StateStore } from '../adapters/ports';
import { joinKey, newCaptureStats, readCaptureRecords, type CaptureStats } from './capture';
import { captureFiles, keyOfUri, parseModelSchema, type MonitorPorts } from './drift-monitor';
import { readChampionDocument } from './model-documents';
import { parseDecimal } from './encoding';
import { InvalidInputError } from './errors';
import { readLines } from './lines';
import { METRICS_BY_PROBLEM, computeMetrics, parsePrediction, type Predictions } from './metrics';
import { CHAMPION_KEY } from './promote';
import type { Champion, ModelSchema, ProblemType } from './types';

export interface QualityMonitorSettings {
  /** Value of the Project dimension of every metric. */
  readonly projectName: string;
  readonly endpointName: string;
  /** @default 'AllTraffic' */
  readonly variantName?: string;
  /** A metric computeMetrics returns for the champion's problem type (lib/config.ts METRICS). */
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  /** Degraded when the metric is worse than this. @default - no floor */
  readonly floor?: number;
  /** Degraded when the metric is relatively worse than the champion's evaluation by more than this (0..1). */
  readonly maxRelativeDrop: number;
  /** Fewest joined rows for a datapoint. */
  readonly minLabeledRows: number;
  /** @default 'ground-truth/' */
  readonly groundTruthPrefix?: string;
  /** @default 'capture/' */
  readonly capturePrefix?: string;
  /** How long before the label window predictions are looked for. @default 24 */
  readonly lookbackHours?: number;
  /** Longest a label window stays open while rows are insufficient. @default 168 */
  readonly maxPendingHours?: number;
  /** Most labels one run holds. @default 1_000_000 */
  readonly maxLabels?: number;
}

export const QUALITY_MONITOR_KEY = { pk: 'MONITOR', sk: 'quality' } as const;

/** What the quality monitor remembers between runs. */
export interface QualityMonitorState {
  readonly windowEnd: string;
  /** Start of the next label window: windowEnd after a datapoint, the same start while rows are insufficient. */
  readonly nextStart: string;
  readonly championRunId: string | null;
  readonly status: QualityStatus;
}

/** Metric names (namespace set by the MetricsSink). All carry only the dimension Project=<projectName>. */
export const QUALITY_METRICS = {
  /** Value of the configured metric on the joined rows. Unit None. */
  quality: 'ModelQuality',
  /** Joined rows (also for INSUFFICIENT_DATA). Unit Count. */
  labeledRows: 'LabeledRows',
  /** 1 when degraded, 0 otherwise; absent for INSUFFICIENT_DATA and NO_CHAMPION. Unit None. */
  degraded: 'QualityDegraded',
} as const;

export type QualityStatus = 'OK' | 'DEGRADED' | 'INSUFFICIENT_DATA' | 'NO_CHAMPION';

/** The document written to monitoring/quality/<windowEnd>.json. */
export interface QualityReport {
  readonly version: 1;
  readonly status: QualityStatus;
  readonly degraded: boolean;
  /** Why it is degraded, or why there is no datapoint, in words. */
  readonly reasons: string[];
  readonly metric: {
    readonly name: string;
    readonly direction: 'maximize' | 'minimize';
    readonly value: number | null;
    /** The champion's evaluation value (null when it measured another metric). */
    readonly champion: number | null;
    readonly floor: number | null;
    /** (champion − value)/|champion| in the metric's direction: positive is worse. */
    readonly relativeDrop: number | null;
    readonly maxRelativeDrop: number;
  };
  /** Every metric of the problem type on the joined rows (null when undefined, e.g. auc with one class). */
  readonly metrics: Record<string, number | null>;
  readonly labeledRows: number;
  readonly minLabeledRows: number;
  /** ISO 8601: labels uploaded in (start, end], predictions uploaded in (start, end]. */
  readonly window: {
    readonly labels: { readonly start: string; readonly end: string };
    readonly captures: { readonly start: string; readonly end: string };
  };
  readonly championRunId: string | null;
  readonly groundTruth: GroundTruthStats;
  readonly capture: CaptureStats & { beforeChampion: number; withoutPrediction: number; invalidPredictions: number };
}

export interface GroundTruthStats {
  files: number;
  lines: number;
  /** Distinct ids with a usable label. */
  labels: number;
  malformedLines: number;
  invalidLabels: number;
  duplicateIds: number;
  /** Labels whose prediction was not found in the capture window. */
  unmatched: number;
  /** Labels skipped because the run already held maxLabels. */
  overCap: number;
  examples: string[];
}

export interface QualityMonitorResult {
  readonly report: QualityReport;
  readonly reportKey: string;
}

const HOUR_MS = 3_600_000;
const MAX_EXAMPLES = 5;

export async function runQualityMonitor(ports: MonitorPorts, settings: QualityMonitorSettings): Promise<QualityMonitorResult> {
  const end = ports.clock.now();
  const previous = await ports.state.get<QualityMonitorState>(QUALITY_MONITOR_KEY.pk, QUALITY_MONITOR_KEY.sk);
  const championItem = await ports.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk);

  let report: QualityReport;
  if (!championItem) {
    const start = previous ? new Date(previous.data.nextStart) : new Date(end.getTime() - HOUR_MS);
    report = emptyReport('NO_CHAMPION', ['there is no champion'], settings, null, start, start, end);
  } else {
    const champion = championItem.data;
    const since = Date.parse(champion.since);
    const pendingFloor = end.getTime() - (settings.maxPendingHours ?? 168) * HOUR_MS;
    const carried = previous && previous.data.championRunId === champion.runId ? Date.parse(previous.data.nextStart) : since;
    const labelStart = new Date(Math.min(end.getTime(), Math.max(Number.isNaN(carried) ? pendingFloor : carried, pendingFloor)));
    const captureStart = new Date(
      Math.min(labelStart.getTime(), Math.max(labelStart.getTime() - (settings.lookbackHours ?? 24) * HOUR_MS, Number.isNaN(since) ? -Infinity : since)),
    );
    report = await measureQuality(ports, settings, champion, labelStart, captureStart, end);
    await ports.metrics.put(qualityMetrics(report, settings.projectName, end));
  }

  const reportKey = `monitoring/quality/${end.toISOString()}.json`;
  await ports.objects.write(reportKey, `${JSON.stringify(report, null, 2)}\n`, { contentType: 'application/json' });
  const nextStart = report.status === 'INSUFFICIENT_DATA' ? report.window.labels.start : end.toISOString();
  await recordWindow(ports.state, previous, { windowEnd: end.toISOString(), nextStart, championRunId: report.championRunId, status: report.status });
  return { report, reportKey };
}

async function measureQuality(
  ports: MonitorPorts,
  settings: QualityMonitorSettings,
  champion: Champion,
  labelStart: Date,
  captureStart: Date,
  end: Date,
): Promise<QualityReport> {
  const schema = parseModelSchema(await readChampionDocument(ports.objects, keyOfUri(champion.schemaUri), 'schema', champion.runId), champion.schemaUri);
  if (!METRICS_BY_PROBLEM[schema.problemType].includes(settings.metric)) {
    throw new InvalidInputError(
      `metric "${settings.metric}" does not apply to the champion's ${schema.problemType} model (use ${METRICS_BY_PROBLEM[schema.problemType].join(', ')})`,
      { context: { metric: settings.metric, problemType: schema.problemType } },
    );
  }
  const labels = await readLabels(ports, settings, schema, labelStart, end);
  const joined = new JoinedRows(schema);
  const capture = { ...newCaptureStats(), beforeChampion: 0, withoutPrediction: 0, invalidPredictions: 0 };
  const since = Date.parse(champion.since);
  for await (const file of captureFiles(ports.objects, settings, captureStart, end)) {
    if (labels.values.size === 0) break;
    const { body } = await ports.objects.read(file);
    for await (const record of readCaptureRecords(body, capture, file)) {
      if (labels.values.size === 0) break;
      const key = joinKey(record);
      const label = labels.values.get(key);
      if (label === undefined) continue;
      if (record.timeMs < since) {
        capture.beforeChampion += 1;
        continue;
      }
      if (record.prediction === undefined) {
        capture.withoutPrediction += 1;
        continue;
      }
      const problem = joined.add(label, record.prediction);
      if (problem !== undefined) {
        capture.invalidPredictions += 1;
        if (capture.examples.length < MAX_EXAMPLES) capture.examples.push(`${file}: prediction for ${key}: ${problem}`);
        continue;
      }
      labels.values.delete(key);
    }
  }
  labels.stats.unmatched = labels.values.size;

  const details = { groundTruth: labels.stats, capture };
  const rows = joined.length;
  if (rows < settings.minLabeledRows) {
    return withDetails(
      emptyReport('INSUFFICIENT_DATA', [`${rows} labelled rows joined, ${settings.minLabeledRows} needed`], settings, champion.runId, labelStart, captureStart, end),
      details,
      rows,
    );
  }
  const metrics = computeMetrics(joined.predictions());
  const value = metrics[settings.metric];
  const reported = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  if (!Number.isFinite(value)) {
    const report = emptyReport(
      'INSUFFICIENT_DATA',
      [`${settings.metric} is undefined on these ${rows} rows (for auc: the labels have a single class)`],
      settings,
      champion.runId,
      labelStart,
      captureStart,
      end,
    );
    return { ...withDetails(report, details, rows), metrics: reported };
  }
  const judgement = judge(value, champion, settings);
  const report: QualityReport = {
    ...emptyReport(judgement.reasons.length > 0 ? 'DEGRADED' : 'OK', judgement.reasons, settings, champion.runId, labelStart, captureStart, end),
    degraded: judgement.reasons.length > 0,
    metric: { ...metricSummary(settings), value, champion: judgement.champion, relativeDrop: judgement.relativeDrop },
    metrics: reported,
  };
  return withDetails(report, details, rows);
}

/** Direction-aware comparison with the floor and with the champion's evaluation. */
export function judge(
  value: number,
  champion: Pick<Champion, 'metric'>,
  settings: Pick<QualityMonitorSettings, 'metric' | 'direction' | 'floor' | 'maxRelativeDrop'>,
): { reasons: string[]; champion: number | null; relativeDrop: number | null } {
  const maximize = settings.direction === 'maximize';
  const reasons: string[] = [];
  const name = settings.metric;
  if (settings.floor !== undefined && (maximize ? value < settings.floor : value > settings.floor)) {
    reasons.push(`${name} ${format(value)} is worse than the floor ${format(settings.floor)}`);
  }
  const championValue = champion.metric.name === name && Number.isFinite(champion.metric.value) ? champion.metric.value : null;
  let relativeDrop: number | null = null;
  if (championValue !== null && championValue !== 0) {
    relativeDrop = (maximize ? championValue - value : value - championValue) / Math.abs(championValue);
    if (relativeDrop > settings.maxRelativeDrop) {
      reasons.push(
        `${name} ${format(value)} is ${format(relativeDrop * 100)}% worse than the champion's evaluation ${format(championValue)} (allowed ${format(settings.maxRelativeDrop * 100)}%)`,
      );
    }
  }
  return { reasons, champion: championValue, relativeDrop };
}

/** The datapoints of one report; INSUFFICIENT_DATA publishes only LabeledRows so the alarm sees missing data. */
export function qualityMetrics(report: QualityReport, projectName: string, timestamp: Date): MetricDatum[] {
  const dimensions = { Project: projectName };
  const data: MetricDatum[] = [{ name: QUALITY_METRICS.labeledRows, value: report.labeledRows, unit: 'Count', dimensions, timestamp }];
  if ((report.status === 'OK' || report.status === 'DEGRADED') && report.metric.value !== null) {
    data.push({ name: QUALITY_METRICS.quality, value: report.metric.value, unit: 'None', dimensions, timestamp });
    data.push({ name: QUALITY_METRICS.degraded, value: report.degraded ? 1 : 0, unit: 'None', dimensions, timestamp });
  }
  return data;
}

interface Labels {
  readonly values: Map<string, number>;
  readonly stats: GroundTruthStats;
}

/** Labels of ground-truth objects uploaded in (start, end], by id; a later line for the same id wins. */
async function readLabels(ports: MonitorPorts, settings: QualityMonitorSettings, schema: ModelSchema, start: Date, end: Date): Promise<Labels> {
  const values = new Map<string, number>();
  const stats: GroundTruthStats = { files: 0, lines: 0, labels: 0, malformedLines: 0, invalidLabels: 0, duplicateIds: 0, unmatched: 0, overCap: 0, examples: [] };
  const maxLabels = settings.maxLabels ?? 1_000_000;
  const toLabel = labelReader(schema);
  const note = (where: string, problem: string) => {
    if (stats.examples.length < MAX_EXAMPLES) stats.examples.push(`${where}: ${problem}`);
  };
  for await (const object of ports.objects.list(settings.groundTruthPrefix ?? 'ground-truth/')) {
    const modified = object.lastModified.getTime();
    if (modified <= start.getTime() || modified > end.getTime()) continue;
    stats.files += 1;
    const { body } = await ports.objects.read(object.key);
    for await (const line of readLines(body)) {
      if (!line.tooLong && line.text.trim() === '') continue;
      stats.lines += 1;
      const where = `${object.key} line ${line.number}`;
      const entry = line.tooLong ? { problem: 'line too long' } : parseGroundTruthLine(line.text);
      if ('problem' in entry) {
        stats.malformedLines += 1;
        note(where, entry.problem);
        continue;
      }
      const label = toLabel(entry.label);
      if (label === undefined) {
        stats.invalidLabels += 1;
        note(where, `label ${JSON.stringify(entry.label)} is not a ${schema.problemType} label of the champion`);
        continue;
      }
      if (values.has(entry.id)) {
        stats.duplicateIds += 1;
      } else if (values.size >= maxLabels) {
        stats.overCap += 1;
        continue;
      }
      values.set(entry.id, label);
    }
  }
  stats.labels = values.size;
  return { values, stats };
}

/** One ground-truth line: the id and the raw label, or why it cannot be read. */
export function parseGroundTruthLine(text: string): { id: string; label: unknown } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { problem: 'not a JSON object' };
  const record = doc as Record<string, unknown>;
  const metadata = record.eventMetadata as Record<string, unknown> | undefined;
  const id = [record.inferenceId, record.eventId, metadata?.inferenceId, metadata?.eventId].find((v) => typeof v === 'string' && v !== '');
  if (typeof id !== 'string') return { problem: 'no inferenceId' };
  if ('label' in record) return { id, label: record.label };
  const data = record.groundTruthData as Record<string, unknown> | undefined;
  if (data && typeof data.data === 'string') {
    const label = data.encoding === 'BASE64' ? Buffer.from(data.data, 'base64').toString('utf8').trim() : data.data.trim();
    return { id, label };
  }
  return { problem: 'no label' };
}

/** Raw label → the number computeMetrics expects (binary 0/1, class index, regression value), or undefined. */
function labelReader(schema: ModelSchema): (raw: unknown) => number | undefined {
  switch (schema.problemType) {
    case 'binary':
      return (raw) => {
        const value = typeof raw === 'boolean' ? Number(raw) : typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : undefined;
        return value === 0 || value === 1 ? value : undefined;
      };
    case 'multiclass': {
      const index = new Map((schema.classes ?? []).map((c, i) => [c, i]));
      return (raw) => (typeof raw === 'string' || typeof raw === 'number' ? index.get(String(raw).trim()) : undefined);
    }
    case 'regression':
      return (raw) => (typeof raw === 'number' && Number.isFinite(raw) ? raw : typeof raw === 'string' ? parseDecimal(raw) : undefined);
  }
}

/** Joined labels and predictions in growing typed arrays. */
class JoinedRows {
  private labels = new Float64Array(1024);
  private outputs = new Float64Array(1024);
  private count = 0;
  private readonly problem: ProblemType;
  private readonly classes: number;

  constructor(schema: ModelSchema) {
    this.problem = schema.problemType;
    this.classes = schema.problemType === 'multiclass' ? (schema.classes ?? []).length : 1;
  }

  get length(): number {
    return this.count;
  }

  /** Adds a row; returns why the prediction cannot be used, or undefined. */
  add(label: number, prediction: string): string | undefined {
    let parsed: number | Float64Array;
    try {
      parsed = parsePrediction(prediction, this.problem, this.problem === 'multiclass' ? this.classes : undefined);
    } catch (error) {
      return (error as Error).message;
    }
    if (typeof parsed === 'number') {
      if (!Number.isFinite(parsed) || (this.problem === 'binary' && !(parsed >= 0 && parsed <= 1))) return `${prediction} is not a valid ${this.problem} prediction`;
    } else if (parsed.some((p) => !(p >= 0 && p <= 1))) {
      return `${prediction} are not probabilities`;
    }
    if (this.count === this.labels.length) this.grow();
    this.labels[this.count] = label;
    if (typeof parsed === 'number') this.outputs[this.count] = parsed;
    else this.outputs.set(parsed, this.count * this.classes);
    this.count += 1;
    return undefined;
  }

  predictions(): Predictions {
    const n = this.count;
    switch (this.problem) {
      case 'binary':
        return { kind: 'binary', labels: this.labels.slice(0, n), scores: this.outputs.slice(0, n) };
      case 'regression':
        return { kind: 'regression', labels: this.labels.slice(0, n), values: this.outputs.slice(0, n) };
      case 'multiclass':
        return {
          kind: 'multiclass',
          labels: Int32Array.from(this.labels.subarray(0, n)),
          probabilities: this.outputs.slice(0, n * this.classes),
          classes: this.classes,
        };
    }
  }

  private grow(): void {
    const labels = new Float64Array(this.labels.length * 2);
    labels.set(this.labels);
    this.labels = labels;
    if (this.outputs.length < labels.length * this.classes) {
      const outputs = new Float64Array(labels.length * this.classes);
      outputs.set(this.outputs);
      this.outputs = outputs;
    }
  }
}

function metricSummary(settings: QualityMonitorSettings): QualityReport['metric'] {
  return {
    name: settings.metric,
    direction: settings.direction,
    value: null,
    champion: null,
    floor: settings.floor ?? null,
    relativeDrop: null,
    maxRelativeDrop: settings.maxRelativeDrop,
  };
}

function emptyReport(
  status: QualityStatus,
  reasons: string[],
  settings: QualityMonitorSettings,
  championRunId: string | null,
  labelStart: Date,
  captureStart: Date,
  end: Date,
): QualityReport {
  return {
    version: 1,
    status,
    degraded: false,
    reasons,
    metric: metricSummary(settings),
    metrics: {},
    labeledRows: 0,
    minLabeledRows: settings.minLabeledRows,
    window: {
      labels: { start: labelStart.toISOString(), end: end.toISOString() },
      captures: { start: captureStart.toISOString(), end: end.toISOString() },
    },
    championRunId,
    groundTruth: { files: 0, lines: 0, labels: 0, malformedLines: 0, invalidLabels: 0, duplicateIds: 0, unmatched: 0, overCap: 0, examples: [] },
    capture: { ...newCaptureStats(), beforeChampion: 0, withoutPrediction: 0, invalidPredictions: 0 },
  };
}

function withDetails(
  report: QualityReport,
  details: { groundTruth: GroundTruthStats; capture: QualityReport['capture'] },
  labeledRows: number,
): QualityReport {
  return { ...report, labeledRows, groundTruth: details.groundTruth, capture: details.capture };
}

async function recordWindow(state: StateStore, previous: StateItem<QualityMonitorState> | undefined, data: QualityMonitorState): Promise<void> {
  await state.put({ ...QUALITY_MONITOR_KEY, data }, previous ? { ifVersion: previous.version } : { ifAbsent: true });
}

/** Four significant digits without trailing zeros: 0.8123, 20, 1235. */
function format(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const text = x.toPrecision(4);
  return text.includes('.') && !text.includes('e') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
