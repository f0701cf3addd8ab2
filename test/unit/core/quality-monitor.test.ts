import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MonitorPorts } from '../../../lambdas/core/drift-monitor';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import { computeMetrics } from '../../../lambdas/core/metrics';
import {
  QUALITY_METRICS,
  QUALITY_MONITOR_KEY,
  judge,
  parseGroundTruthLine,
  runQualityMonitor,
  type QualityMonitorSettings,
  type QualityMonitorState,
  type QualityReport,
} from '../../../lambdas/core/quality-monitor';
import { seededRandom } from '../../../lambdas/core/stats';
import type { Champion, ModelSchema } from '../../../lambdas/core/types';
import { captureFile, captureLine, lazyCaptureStream } from '../../helpers/capture';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryMetrics, MemoryObjectStore } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';
import { championFixture } from '../../helpers/fakes';

const NOW = '2024-05-02T12:00:00.000Z';
const CAPTURE = 'capture/churn-endpoint/AllTraffic/2024/05/02/09/';

const BINARY_SCHEMA: ModelSchema = {
  version: 1,
  runId: 'run-7',
  problemType: 'binary',
  target: 'label',
  classes: ['0', '1'],
  features: [{ name: 'x', kind: 'numeric' }],
};

const CHAMPION: Champion = championFixture({ since: '2024-05-02T08:00:00.000Z' });

const SETTINGS: QualityMonitorSettings = {
  projectName: 'churn',
  endpointName: 'churn-endpoint',
  metric: 'auc',
  direction: 'maximize',
  maxRelativeDrop: 0.05,
  minLabeledRows: 200,
};

interface Fixture {
  ports: MonitorPorts;
  objects: MemoryObjectStore;
  state: MemoryStateStore;
  metrics: MemoryMetrics;
  clock: FakeClock;
}

async function fixture(options: { champion?: Champion | null; schema?: ModelSchema } = {}): Promise<Fixture> {
  const objects = new MemoryObjectStore();
  const metrics = new MemoryMetrics();
  const clock = new FakeClock(NOW);
  const state = new MemoryStateStore(clock);
  objects.put('runs/run-7/schema.json', JSON.stringify(options.schema ?? BINARY_SCHEMA));
  const champion = options.champion === undefined ? CHAMPION : options.champion;
  if (champion) await state.put({ ...CHAMPION_KEY, data: champion }, { ifAbsent: true });
  return { ports: { objects, state, clock, metrics }, objects, state, metrics, clock };
}

/**
 * n binary predictions with labels: the score separates the classes with the given quality
 * (0 = random, 1 = perfect ordering). Returns the capture lines and ground-truth lines.
 */
function binaryTraffic(n: number, separation: number, seed: number, idPrefix = 'inf') {
  const random = seededRandom(seed);
  const captures: string[] = [];
  const truths: string[] = [];
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const score = Math.min(1, Math.max(0, (1 - separation) * random() + separation * (label === 1 ? 0.75 : 0.25) + (random() - 0.5) * 0.2 * separation));
    labels.push(label);
    scores.push(score);
    captures.push(captureLine({ rows: [`${i}`], outputs: [String(score)], eventId: `ev-${idPrefix}-${i}`, inferenceId: `${idPrefix}-${i}`, inferenceTime: '2024-05-02T09:10:00Z' }));
    truths.push(JSON.stringify({ inferenceId: `${idPrefix}-${i}`, label }));
  }
  return { captures, truths, labels, scores };
}

function putTraffic(
  f: Fixture,
  name: string,
  traffic: { captures: string[]; truths: string[] },
  labelsAt = '2024-05-02T11:00:00Z',
  capturedAt = '2024-05-02T09:15:00Z',
) {
  f.objects.put(`${CAPTURE}${name}.jsonl`, captureFile(traffic.captures), new Date(capturedAt));
  f.objects.put(`ground-truth/2024/05/02/11/${name}.jsonl`, captureFile(traffic.truths), new Date(labelsAt));
}

describe('quality monitor: decisions and metrics', () => {
  it('writes a NO_CHAMPION report and publishes nothing when there is no champion', async () => {
    const f = await fixture({ champion: null });
    const { report, reportKey } = await runQualityMonitor(f.ports, SETTINGS);
    expect(reportKey).toBe('monitoring/quality/2024-05-02T12:00:00.000Z.json');
    expect(f.objects.json<QualityReport>(reportKey)).toMatchObject({ status: 'NO_CHAMPION', championRunId: null });
    expect(report.degraded).toBe(false);
    expect(f.metrics.data).toEqual([]);
  });

  it('computes the metric with the shared metrics module on the joined rows and publishes it', async () => {
    const f = await fixture();
    const traffic = binaryTraffic(400, 0.9, 1);
    putTraffic(f, 'a', traffic);
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    const expected = computeMetrics({ kind: 'binary', labels: Float64Array.from(traffic.labels), scores: Float64Array.from(traffic.scores) });
    expect(report.labeledRows).toBe(400);
    expect(report.metric.value).toBeCloseTo(expected.auc, 12);
    expect(report.metrics.logloss).toBeCloseTo(expected.logloss, 12);
    expect(f.metrics.names()).toEqual(['LabeledRows', 'ModelQuality', 'QualityDegraded']);
    for (const d of f.metrics.data) expect(d.dimensions).toEqual({ Project: 'churn' });
    expect(f.metrics.named(QUALITY_METRICS.quality)[0]).toMatchObject({ value: expected.auc, unit: 'None', timestamp: new Date(NOW) });
    expect(f.metrics.named(QUALITY_METRICS.labeledRows)[0]).toMatchObject({ value: 400, unit: 'Count' });
    expect(f.metrics.named(QUALITY_METRICS.degraded)[0].value).toBe(report.degraded ? 1 : 0);
  });

  it('flags degradation when live quality is relatively worse than the champion evaluation by more than allowed', async () => {
    const f = await fixture({ champion: { ...CHAMPION, metric: { name: 'auc', value: 0.99 } } });
    putTraffic(f, 'a', binaryTraffic(400, 0.3, 2));
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report.status).toBe('DEGRADED');
    expect(report.metric.relativeDrop).toBeGreaterThan(0.05);
    expect(report.reasons[0]).toMatch(/^auc 0\.\d+ is \d+(\.\d+)?% worse than the champion's evaluation 0\.99 \(allowed 5%\)$/);
    expect(f.metrics.named(QUALITY_METRICS.degraded)[0].value).toBe(1);
  });

  it('flags degradation below the floor even when the champion measured another metric', async () => {
    const f = await fixture({ champion: { ...CHAMPION, metric: { name: 'f1', value: 0.5 } } });
    putTraffic(f, 'a', binaryTraffic(400, 0.3, 3));
    const { report } = await runQualityMonitor(f.ports, { ...SETTINGS, floor: 0.95 });
    expect(report.metric.champion).toBeNull();
    expect(report.reasons).toEqual([expect.stringMatching(/^auc 0\.\d+ is worse than the floor 0\.95$/)]);
    expect(report.status).toBe('DEGRADED');
  });

  it('reports INSUFFICIENT_DATA below minLabeledRows, publishes only LabeledRows and keeps the label window open', async () => {
    const f = await fixture();
    const first = binaryTraffic(150, 0.9, 4, 'a');
    putTraffic(f, 'a', first, '2024-05-02T11:00:00Z');
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report).toMatchObject({ status: 'INSUFFICIENT_DATA', labeledRows: 150, reasons: ['150 labelled rows joined, 200 needed'] });
    expect(f.metrics.names()).toEqual(['LabeledRows']);
    const state = await f.state.get<QualityMonitorState>(QUALITY_MONITOR_KEY.pk, QUALITY_MONITOR_KEY.sk);
    expect(state?.data).toEqual({ windowEnd: NOW, nextStart: CHAMPION.since, championRunId: 'run-7', status: 'INSUFFICIENT_DATA' });

    // An hour later more labels arrive: both batches count now.
    f.clock.advance(3_600_000);
    putTraffic(f, 'b', binaryTraffic(150, 0.9, 5, 'b'), '2024-05-02T12:30:00Z');
    const second = await runQualityMonitor(f.ports, SETTINGS);
    expect(second.report).toMatchObject({ status: 'OK', labeledRows: 300 });
    expect((await f.state.get<QualityMonitorState>(QUALITY_MONITOR_KEY.pk, QUALITY_MONITOR_KEY.sk))?.data.nextStart).toBe('2024-05-02T13:00:00.000Z');
  });

  it('starts the next label window at the previous windowEnd after a datapoint', async () => {
    const f = await fixture();
    putTraffic(f, 'a', binaryTraffic(300, 0.9, 6, 'a'), '2024-05-02T11:00:00Z');
    await runQualityMonitor(f.ports, SETTINGS);
    f.clock.advance(3_600_000);
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report.window.labels).toEqual({ start: NOW, end: '2024-05-02T13:00:00.000Z' });
    expect(report).toMatchObject({ status: 'INSUFFICIENT_DATA', labeledRows: 0 });
  });

  it('treats a metric that is undefined on the rows (auc with one class) as insufficient data', async () => {
    const f = await fixture();
    const traffic = binaryTraffic(300, 0.9, 7);
    traffic.truths = traffic.truths.map((t) => JSON.stringify({ ...JSON.parse(t), label: 1 }));
    putTraffic(f, 'a', traffic);
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report.status).toBe('INSUFFICIENT_DATA');
    expect(report.metrics.auc).toBeNull();
    expect(f.metrics.names()).toEqual(['LabeledRows']);
  });

  it('rejects a metric that does not apply to the champion problem type', async () => {
    const f = await fixture();
    await expect(runQualityMonitor(f.ports, { ...SETTINGS, metric: 'rmse', direction: 'minimize' })).rejects.toThrow(InvalidInputError);
  });
});

describe('quality monitor: direction', () => {
  const champion = { metric: { name: 'rmse', value: 1 } };
  const rmse = { metric: 'rmse', direction: 'minimize' as const, maxRelativeDrop: 0.05 };

  it('treats a higher value of a minimized metric as worse', () => {
    expect(judge(1.2, champion, rmse)).toEqual({
      reasons: ["rmse 1.2 is 20% worse than the champion's evaluation 1 (allowed 5%)"],
      champion: 1,
      relativeDrop: expect.closeTo(0.2, 12),
    });
    expect(judge(0.8, champion, rmse).reasons).toEqual([]);
    expect(judge(2, champion, { ...rmse, floor: 1.5 }).reasons[0]).toBe('rmse 2 is worse than the floor 1.5');
  });

  it('writes values with four significant digits in its reasons', () => {
    expect(judge(1230.4, { metric: { name: 'rmse', value: 1000 } }, rmse).reasons).toEqual([
      "rmse 1230 is 23.04% worse than the champion's evaluation 1000 (allowed 5%)",
    ]);
  });

  it('treats a lower value of a maximized metric as worse, relative to the absolute champion value', () => {
    const r2 = { metric: 'r2', direction: 'maximize' as const, maxRelativeDrop: 0.1 };
    expect(judge(-0.6, { metric: { name: 'r2', value: -0.5 } }, r2).relativeDrop).toBeCloseTo(0.2, 12);
    expect(judge(0.95, { metric: { name: 'r2', value: 1 } }, r2).reasons).toEqual([]);
  });

  it('skips the relative check when the champion value is 0', () => {
    expect(judge(5, { metric: { name: 'mae', value: 0 } }, { ...rmse, metric: 'mae' })).toEqual({ reasons: [], champion: 0, relativeDrop: null });
  });

  it('computes rmse end to end for a regression champion and flags a relative increase', async () => {
    const schema: ModelSchema = { ...BINARY_SCHEMA, problemType: 'regression', classes: undefined };
    const f = await fixture({ schema, champion: { ...CHAMPION, metric: { name: 'rmse', value: 1 } } });
    const captures = Array.from({ length: 200 }, (_, i) => captureLine({ rows: [`${i}`], outputs: [String(10 + (i % 2 ? 2 : -2))], inferenceId: `r-${i}`, inferenceTime: '2024-05-02T09:00:00Z' }));
    const truths = Array.from({ length: 200 }, (_, i) => JSON.stringify({ inferenceId: `r-${i}`, label: '10' }));
    putTraffic(f, 'r', { captures, truths });
    const { report } = await runQualityMonitor(f.ports, { ...SETTINGS, metric: 'rmse', direction: 'minimize' });
    expect(report.metric.value).toBeCloseTo(2, 12);
    expect(report).toMatchObject({ status: 'DEGRADED', degraded: true });
  });
});

describe('quality monitor: joining', () => {
  it('joins on inferenceId, falling back to eventId, and on <id>:<row> for multi-row requests', async () => {
    const f = await fixture({ schema: { ...BINARY_SCHEMA } });
    const captures = [
      captureLine({ rows: ['1'], outputs: ['0.9'], eventId: 'ev-1', inferenceId: 'order-1', inferenceTime: '2024-05-02T09:00:00Z' }),
      captureLine({ rows: ['2'], outputs: ['0.2'], eventId: 'ev-2', inferenceTime: '2024-05-02T09:00:00Z' }),
      captureLine({ rows: ['3', '4'], outputs: ['0.7', '0.1'], eventId: 'ev-3', encoding: 'BASE64', inferenceTime: '2024-05-02T09:00:00Z' }),
    ];
    const truths = [
      JSON.stringify({ inferenceId: 'order-1', label: 1 }),
      JSON.stringify({ inferenceId: 'ev-2', label: '0' }),
      JSON.stringify({ groundTruthData: { data: '1', encoding: 'CSV' }, eventMetadata: { eventId: 'ev-3:0' }, eventVersion: '0' }),
      JSON.stringify({ eventId: 'ev-3:1', label: false }),
      JSON.stringify({ inferenceId: 'never-captured', label: 1 }),
      JSON.stringify({ inferenceId: 'bad-label', label: 'maybe' }),
      '{broken',
    ];
    putTraffic(f, 'mixed', { captures, truths });
    const { report } = await runQualityMonitor(f.ports, { ...SETTINGS, minLabeledRows: 1 });
    expect(report.labeledRows).toBe(4);
    expect(report.metric.value).toBe(1);
    expect(report.groundTruth).toMatchObject({ files: 1, lines: 7, labels: 5, malformedLines: 1, invalidLabels: 1, unmatched: 1 });
    expect(report.groundTruth.examples).toEqual([
      'ground-truth/2024/05/02/11/mixed.jsonl line 6: label "maybe" is not a binary label of the champion',
      'ground-truth/2024/05/02/11/mixed.jsonl line 7: not JSON',
    ]);
  });

  it('does not join predictions made before the champion went live', async () => {
    const f = await fixture({ champion: { ...CHAMPION, since: '2024-05-02T09:30:00.000Z' } });
    // Inferred at 09:10 by the previous model, uploaded at 09:45.
    putTraffic(f, 'a', binaryTraffic(300, 0.9, 8), '2024-05-02T11:00:00Z', '2024-05-02T09:45:00Z');
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report.labeledRows).toBe(0);
    expect(report.capture.beforeChampion).toBe(300);
  });

  it('reads only ground truth uploaded inside the label window and capture from the lookback before it', async () => {
    const f = await fixture();
    putTraffic(f, 'old', binaryTraffic(300, 0.9, 9, 'old'), '2024-05-02T07:00:00Z');
    const { report } = await runQualityMonitor(f.ports, { ...SETTINGS, lookbackHours: 2 });
    expect(report.window).toEqual({
      labels: { start: CHAMPION.since, end: NOW },
      captures: { start: CHAMPION.since, end: NOW },
    });
    expect(report.groundTruth.files).toBe(0);
  });

  it('maps multiclass labels to class indexes with the schema and reads probability rows', async () => {
    const schema: ModelSchema = { ...BINARY_SCHEMA, problemType: 'multiclass', classes: ['cat', 'dog', 'owl'] };
    const f = await fixture({ schema, champion: { ...CHAMPION, metric: { name: 'accuracy', value: 0.9 } } });
    const names = ['cat', 'dog', 'owl'];
    const captures = Array.from({ length: 30 }, (_, i) => {
      const probs = [0.1, 0.1, 0.1];
      probs[i % 3] = 0.8;
      return captureLine({ rows: [`${i}`], outputs: [probs.join(',')], inferenceId: `m-${i}`, inferenceTime: '2024-05-02T09:00:00Z' });
    });
    const truths = Array.from({ length: 30 }, (_, i) => JSON.stringify({ inferenceId: `m-${i}`, label: names[i < 27 ? i % 3 : (i + 1) % 3] }));
    putTraffic(f, 'm', { captures, truths });
    const { report } = await runQualityMonitor(f.ports, { ...SETTINGS, metric: 'accuracy', minLabeledRows: 10 });
    expect(report.metric.value).toBeCloseTo(0.9, 12);
    expect(report.status).toBe('OK');
  });

  it('counts predictions it cannot read and leaves those rows out', async () => {
    const f = await fixture();
    const captures = [
      captureLine({ rows: ['1'], outputs: ['not-a-number'], inferenceId: 'p-1', inferenceTime: '2024-05-02T09:00:00Z' }),
      captureLine({ rows: ['1'], outputs: ['1.7'], inferenceId: 'p-2', inferenceTime: '2024-05-02T09:00:00Z' }),
      captureLine({ rows: ['1'], inferenceId: 'p-3', inferenceTime: '2024-05-02T09:00:00Z' }),
    ];
    const truths = ['p-1', 'p-2', 'p-3'].map((id) => JSON.stringify({ inferenceId: id, label: 1 }));
    putTraffic(f, 'p', { captures, truths });
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    expect(report.capture).toMatchObject({ invalidPredictions: 2, withoutPrediction: 1 });
    expect(report.labeledRows).toBe(0);
  });

  it('parses the documented ground-truth line and explains lines it cannot use', () => {
    expect(parseGroundTruthLine('{"inferenceId": "a", "label": 1}')).toEqual({ id: 'a', label: 1 });
    expect(parseGroundTruthLine('{"label": 1}')).toEqual({ problem: 'no inferenceId' });
    expect(parseGroundTruthLine('{"inferenceId": "a"}')).toEqual({ problem: 'no label' });
    expect(parseGroundTruthLine('[]')).toEqual({ problem: 'not a JSON object' });
    expect(parseGroundTruthLine(JSON.stringify({ groundTruthData: { data: Buffer.from('1').toString('base64'), encoding: 'BASE64' }, eventMetadata: { eventId: 'e' } }))).toEqual({
      id: 'e',
      label: '1',
    });
  });
});

describe('quality monitor: scale', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Heap in use after a full collection when the last captured row has been produced (labels and joins still alive). */
  async function heapAtEndOfCapture(rows: number): Promise<{ heap: number; report: QualityReport }> {
    const f = await fixture();
    // 400 labels for the last rows of the capture, plus one that never joins (the stream is read to its end).
    const truths = Array.from({ length: 400 }, (_, k) => JSON.stringify({ inferenceId: `e-${rows - 400 + k}`, label: k % 2 }));
    truths.push(JSON.stringify({ inferenceId: 'missing', label: 1 }));
    f.objects.put('ground-truth/labels.jsonl', captureFile(truths), new Date('2024-05-02T11:00:00Z'));
    let heap = 0;
    f.objects.put(
      `${CAPTURE}big.jsonl`,
      () =>
        lazyCaptureStream(rows, (i) => String(i % 97), {
          inferenceTime: '2024-05-02T09:10:00Z',
          output: (i) => String((i % 2) * 0.6 + 0.2),
          onEnd: () => {
            gc();
            heap = process.memoryUsage().heapUsed;
          },
        }),
      new Date('2024-05-02T09:15:00Z'),
    );
    const { report } = await runQualityMonitor(f.ports, SETTINGS);
    return { heap, report };
  }

  it('keeps memory flat as captured rows grow (30k vs 300k rows)', async () => {
    const small = await heapAtEndOfCapture(30_000);
    const large = await heapAtEndOfCapture(300_000);
    expect(small.report.capture.records).toBe(30_000);
    expect(large.report.capture.records).toBe(300_000);
    expect(large.report.labeledRows).toBe(400);
    // Keeping the rows would add at least 270,000 ids and predictions, well over 10 MB.
    expect(large.heap - small.heap).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);
});
