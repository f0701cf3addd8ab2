import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  DRIFT_METRICS,
  DRIFT_MONITOR_KEY,
  captureDecoder,
  keyOfUri,
  runDriftMonitor,
  type DriftMonitorSettings,
  type DriftMonitorState,
  type MonitorPorts,
} from '../../../lambdas/core/drift-monitor';
import { DEFAULT_DRIFT_SETTINGS, type DriftReport } from '../../../lambdas/core/drift';
import { ConditionFailedError } from '../../../lambdas/core/errors';
import { CHAMPION_KEY } from '../../../lambdas/core/promote';
import { BaselineProfiler } from '../../../lambdas/core/profile';
import type { Baseline, Champion, ModelSchema } from '../../../lambdas/core/types';
import { captureFile, captureLine, categoricalGenerator, lazyCaptureStream, normalGenerator } from '../../helpers/capture';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryMetrics, MemoryObjectStore } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';
import { championFixture } from '../../helpers/fakes';

const CITIES = ['Oslo', 'Rome', 'Lima', 'Pune'];
const WEIGHTS = [0.4, 0.3, 0.2, 0.1];
const NOW = '2024-05-01T12:00:00.000Z';
const HOUR_11 = 'capture/churn-endpoint/AllTraffic/2024/05/01/11/';

const SCHEMA: ModelSchema = {
  version: 1,
  runId: 'run-7',
  problemType: 'binary',
  target: 'label',
  classes: ['0', '1'],
  features: [
    { name: 'income', kind: 'numeric' },
    { name: 'city', kind: 'categorical', categories: CITIES },
    { name: 'rooms', kind: 'numeric' },
  ],
};

const CHAMPION: Champion = championFixture({ since: '2024-05-01T08:00:00.000Z' });

const SETTINGS: DriftMonitorSettings = {
  projectName: 'churn',
  endpointName: 'churn-endpoint',
  drift: DEFAULT_DRIFT_SETTINGS,
};

/** Raw rows (income, city, rooms) from the training distribution, optionally shifted by `shift` σ. */
function rowSource(seed: number, shift = 0): () => [number, string, number] {
  const income = normalGenerator(seed, 50 + 10 * shift, 10);
  const city = categoricalGenerator(seed + 1, CITIES, WEIGHTS);
  const rooms = categoricalGenerator(seed + 2, ['1', '2', '3'], [1, 2, 1]);
  return () => [income(), city(), Number(rooms())];
}

/** The CSV row the endpoint receives: categorical features as codes. */
function encoded([income, city, rooms]: [number, string, number]): string {
  return `${income},${CITIES.indexOf(city)},${rooms}`;
}

function trainingBaseline(): Baseline {
  const profiler = new BaselineProfiler([
    { name: 'income', declared: 'numeric' },
    { name: 'city', declared: 'categorical' },
    { name: 'rooms', declared: 'numeric' },
  ]);
  const next = rowSource(1);
  for (let i = 0; i < 20_000; i++) profiler.add(next());
  return profiler.finish({ runId: 'run-7', createdAt: '2024-04-30T00:00:00.000Z' });
}

const BASELINE = trainingBaseline();

interface Fixture {
  ports: MonitorPorts;
  objects: MemoryObjectStore;
  state: MemoryStateStore;
  metrics: MemoryMetrics;
  clock: FakeClock;
}

async function fixture(options: { champion?: boolean } = {}): Promise<Fixture> {
  const objects = new MemoryObjectStore();
  const metrics = new MemoryMetrics();
  const clock = new FakeClock(NOW);
  const state = new MemoryStateStore(clock);
  objects.put('runs/run-7/baseline.json', JSON.stringify(BASELINE));
  objects.put('runs/run-7/schema.json', JSON.stringify(SCHEMA));
  if (options.champion !== false) await state.put({ ...CHAMPION_KEY, data: CHAMPION }, { ifAbsent: true });
  return { ports: { objects, state, clock, metrics }, objects, state, metrics, clock };
}

/** A capture file of `n` single-row requests, uploaded at `uploaded`. */
function putCapture(f: Fixture, name: string, n: number, next: () => [number, string, number], uploaded = '2024-05-01T11:30:00Z', inferenceTime = '2024-05-01T11:20:00Z') {
  const lines = Array.from({ length: n }, (_, i) => captureLine({ rows: [encoded(next())], outputs: ['0.4'], eventId: `${name}-${i}`, inferenceTime }));
  f.objects.put(`${HOUR_11}${name}.jsonl`, captureFile(lines), new Date(uploaded));
}

describe('drift monitor: decisions and metrics', () => {
  it('writes a NO_CHAMPION report and publishes no metric when there is no champion', async () => {
    const f = await fixture({ champion: false });
    const { report, reportKey } = await runDriftMonitor(f.ports, SETTINGS);
    expect(reportKey).toBe('monitoring/drift/2024-05-01T12:00:00.000Z.json');
    expect(f.objects.json<DriftReport>(reportKey)).toMatchObject({ status: 'NO_CHAMPION', drifted: false, championRunId: null });
    expect(report.window).toEqual({ start: '2024-05-01T11:00:00.000Z', end: NOW });
    expect(f.metrics.data).toEqual([]);
  });

  it('reports OK on capture from the training distribution and publishes every metric with the Project dimension', async () => {
    const f = await fixture();
    putCapture(f, 'a', 3_000, rowSource(2));
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report).toMatchObject({ status: 'OK', drifted: false, championRunId: 'run-7', rows: { current: 3_000 } });
    expect(f.metrics.names()).toEqual(['CapturedRows', 'DriftDetected', 'DriftedFeatureShare', 'FeatureDriftEffect', 'FeaturePSI']);
    expect(f.metrics.named(DRIFT_METRICS.driftDetected)).toEqual([
      { name: 'DriftDetected', value: 0, unit: 'None', dimensions: { Project: 'churn' }, timestamp: new Date(NOW) },
    ]);
    expect(f.metrics.named(DRIFT_METRICS.capturedRows)[0]).toMatchObject({ value: 3_000, unit: 'Count' });
    expect(f.metrics.named(DRIFT_METRICS.featureEffect).map((d) => d.dimensions)).toEqual([
      { Project: 'churn', Feature: 'income' },
      { Project: 'churn', Feature: 'city' },
      { Project: 'churn', Feature: 'rooms' },
    ]);
    expect(f.metrics.named(DRIFT_METRICS.featurePsi)).toHaveLength(3);
  });

  it('reports DRIFT and publishes DriftDetected = 1 when the captured inputs shift', async () => {
    const f = await fixture();
    const next = rowSource(3, 0.5);
    const shifted = (): [number, string, number] => {
      const [income, , rooms] = next();
      return [income, 'Pune', rooms];
    };
    putCapture(f, 'a', 3_000, shifted);
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report.status).toBe('DRIFT');
    expect(report.driftedFeatures).toEqual(['income', 'city']);
    expect(f.metrics.named(DRIFT_METRICS.driftDetected)[0].value).toBe(1);
    expect(f.metrics.named(DRIFT_METRICS.driftedShare)[0].value).toBeCloseTo(2 / 3, 12);
  });

  it('publishes only CapturedRows for a window with fewer rows than minRows, so the alarm sees missing data', async () => {
    const f = await fixture();
    putCapture(f, 'a', 40, rowSource(4, 3));
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report.status).toBe('INSUFFICIENT_DATA');
    expect(f.metrics.names()).toEqual(['CapturedRows']);
    expect(f.metrics.data[0].value).toBe(40);
  });

  it('reports an empty window as INSUFFICIENT_DATA with zero rows', async () => {
    const f = await fixture();
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report).toMatchObject({ status: 'INSUFFICIENT_DATA', rows: { current: 0 } });
    expect(report.capture).toMatchObject({ files: 0, records: 0 });
  });
});

describe('drift monitor: window', () => {
  it('reads each capture file once: the next run starts at the previous windowEnd', async () => {
    const f = await fixture();
    putCapture(f, 'a', 500, rowSource(5), '2024-05-01T11:30:00Z');
    await runDriftMonitor(f.ports, SETTINGS);
    expect(f.state.items.size).toBe(2);
    expect((await f.state.get<DriftMonitorState>(DRIFT_MONITOR_KEY.pk, DRIFT_MONITOR_KEY.sk))?.data).toEqual({
      windowEnd: NOW,
      championRunId: 'run-7',
      status: 'OK',
    });

    f.clock.advance(3_600_000);
    putCapture(f, 'b', 200, rowSource(6), '2024-05-01T12:10:00Z');
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report.window).toEqual({ start: NOW, end: '2024-05-01T13:00:00.000Z' });
    expect(report.rows.current).toBe(200);
    expect(report.capture).toMatchObject({ files: 1 });
  });

  it('lists the hour folders from an hour before the window, filtering files by upload time', async () => {
    const f = await fixture();
    // Filed under 10:00 but uploaded at 11:02: inside the first window (11:00, 12:00].
    f.objects.put('capture/churn-endpoint/AllTraffic/2024/05/01/10/late.jsonl', captureFile([captureLine({ rows: ['50,0,2'] })]), new Date('2024-05-01T11:02:00Z'));
    // Uploaded at 10:50: before the window.
    f.objects.put('capture/churn-endpoint/AllTraffic/2024/05/01/10/old.jsonl', captureFile([captureLine({ rows: ['50,0,2'] })]), new Date('2024-05-01T10:50:00Z'));
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(f.objects.reads.filter((k) => k.startsWith('capture/'))).toEqual(['capture/churn-endpoint/AllTraffic/2024/05/01/10/late.jsonl']);
    expect(report.rows.current).toBe(1);
  });

  it('starts no earlier than the champion went live and skips rows inferred before', async () => {
    const f = await fixture();
    await f.state.put({ ...CHAMPION_KEY, data: { ...CHAMPION, since: '2024-05-01T11:30:00.000Z' } }, { ifVersion: 1 });
    putCapture(f, 'old-model', 50, rowSource(7), '2024-05-01T11:40:00Z', '2024-05-01T11:29:00Z');
    putCapture(f, 'new-model', 150, rowSource(8), '2024-05-01T11:45:00Z', '2024-05-01T11:31:00Z');
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report.window.start).toBe('2024-05-01T11:30:00.000Z');
    expect(report.rows.current).toBe(150);
    expect(report.capture).toMatchObject({ beforeChampion: 50 });
  });

  it('records the window with a conditional put, so a concurrent run fails instead of skipping a window', async () => {
    const f = await fixture();
    await runDriftMonitor(f.ports, SETTINGS);
    const stale = f.state;
    const realGet = stale.get.bind(stale);
    // The second run reads the state, then another run records its window first.
    stale.get = async <T,>(pk: string, sk: string) => {
      const item = await realGet<T>(pk, sk);
      if (pk === DRIFT_MONITOR_KEY.pk) {
        const current = (await realGet<DriftMonitorState>(pk, sk))!;
        await stale.put({ ...DRIFT_MONITOR_KEY, data: current.data }, { ifVersion: current.version });
      }
      return item;
    };
    f.clock.advance(3_600_000);
    await expect(runDriftMonitor(f.ports, SETTINGS)).rejects.toThrow(ConditionFailedError);
  });
});

describe('drift monitor: capture content', () => {
  it('decodes categorical codes with the schema: -1 or empty is missing, an unknown code is an unseen category', async () => {
    const f = await fixture();
    const next = rowSource(9);
    const lines = Array.from({ length: 300 }, (_, i) => {
      const [income, city, rooms] = next();
      const code = i < 30 ? '-1' : i < 40 ? '' : i < 45 ? '9' : String(CITIES.indexOf(city));
      return captureLine({ rows: [`${income},${code},${rooms}`], eventId: `e${i}` });
    });
    f.objects.put(`${HOUR_11}codes.jsonl`, captureFile(lines), new Date('2024-05-01T11:30:00Z'));
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    const city = report.features.find((x) => x.name === 'city')!;
    expect(city.missingRate.current).toBeCloseTo(40 / 300, 12);
    expect(city.unseenCategories).toEqual([{ value: '<unknown code 9>', count: 5 }]);
    expect(report.anomalies).toContain('feature "city": 1 value never seen in the baseline, in 5 rows (e.g. "<unknown code 9>")');
  });

  it('counts malformed lines and rows of the wrong width in the report and goes on', async () => {
    const f = await fixture();
    const next = rowSource(10);
    const lines = [
      'not json',
      captureLine({ rows: ['1,2'], eventId: 'narrow' }),
      ...Array.from({ length: 150 }, (_, i) => captureLine({ rows: [encoded(next())], eventId: `ok${i}`, encoding: 'BASE64' })),
    ];
    f.objects.put(`${HOUR_11}mixed.jsonl`, captureFile(lines), new Date('2024-05-01T11:30:00Z'));
    const { report } = await runDriftMonitor(f.ports, SETTINGS);
    expect(report.rows.current).toBe(150);
    expect(report.capture).toMatchObject({ lines: 152, records: 151, malformedLines: 1, wrongWidth: 1 });
    expect(report.anomalies).toContain('1 captured rows do not have one field per model feature');
  });

  it('decodes in the baseline order even when the schema lists features in another order', () => {
    const schema: ModelSchema = { ...SCHEMA, features: [SCHEMA.features[2], SCHEMA.features[0], SCHEMA.features[1]] };
    const decode = captureDecoder(BASELINE, schema, 'schema.json');
    expect(decode(['3', '51.5', '1'])).toEqual(['51.5', 'Rome', '3']);
    expect(decode(['3', '51.5'])).toBeUndefined();
  });

  it('rejects a schema that lacks a feature of the baseline, naming it', () => {
    const schema: ModelSchema = { ...SCHEMA, features: SCHEMA.features.slice(0, 2) };
    expect(() => captureDecoder(BASELINE, schema, 's3://b/runs/run-7/schema.json')).toThrow(
      's3://b/runs/run-7/schema.json: the schema has no feature "rooms", which the baseline profiles',
    );
  });

  it('resolves s3:// URIs to keys of the data bucket', () => {
    expect(keyOfUri('s3://bucket/runs/r/baseline.json')).toBe('runs/r/baseline.json');
    expect(keyOfUri('runs/r/baseline.json')).toBe('runs/r/baseline.json');
    expect(() => keyOfUri('s3://bucket')).toThrow(/not an s3:\/\/bucket\/key URI/);
  });
});

describe('drift monitor: scale', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Heap in use, after a full collection, when the last captured row has been produced (the window is still alive). */
  async function heapAtEndOfWindow(rows: number): Promise<{ heap: number; report: DriftReport }> {
    const f = await fixture();
    const next = rowSource(42);
    let heap = 0;
    f.objects.put(
      `${HOUR_11}big.jsonl`,
      () =>
        lazyCaptureStream(rows, () => encoded(next()), {
          inferenceTime: '2024-05-01T11:20:00Z',
          onEnd: () => {
            gc();
            heap = process.memoryUsage().heapUsed;
          },
        }),
      new Date('2024-05-01T11:30:00Z'),
    );
    // A 10,000-value reservoir is full in both runs, so any growth is rows being kept.
    const { report } = await runDriftMonitor(f.ports, { ...SETTINGS, sampleSize: 10_000 });
    return { heap, report };
  }

  it('keeps memory flat as captured rows grow (30k vs 300k rows) and raises no false alarm on 300k rows', async () => {
    const small = await heapAtEndOfWindow(30_000);
    const large = await heapAtEndOfWindow(300_000);
    expect(small.report.rows.current).toBe(30_000);
    expect(large.report.rows.current).toBe(300_000);
    // Ten times the rows: keeping them would add at least 270,000 × 3 values × 8 bytes ≈ 6.5 MB.
    expect(large.heap - small.heap).toBeLessThan(2 * 1024 * 1024);
    expect(large.report.status).toBe('OK');
    expect(large.report.driftedFeatures).toEqual([]);
  }, 60_000);
});
