import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DRIFT_METRICS } from '../../lambdas/core/drift-monitor';
import { QUALITY_METRICS } from '../../lambdas/core/quality-monitor';
import { RUN_EVENT_TYPES_BY_OUTCOME } from '../../lambdas/core/run-events';
import { TRIGGER_TYPES } from '../../lambdas/core/types';
import { Dashboard, type DashboardProps } from '../../lib/dashboard';
import { renderToken, resolveIntrinsics, synthesizeDefinition, type SynthesizedDefinition } from '../helpers/definition';

/** A metric line of a widget: namespace, name, dimension name/value pairs, then options. */
type MetricLine = Array<string | Record<string, unknown>>;
interface Widget {
  type: string;
  properties: { title?: string; metrics?: MetricLine[]; alarms?: string[]; markdown?: string };
}

let synthesized: SynthesizedDefinition;
let widgets: Widget[];
beforeAll(() => {
  synthesized = synthesizeDefinition();
  const [dashboard] = Object.values(synthesized.template.findResources('AWS::CloudWatch::Dashboard'));
  const body = resolveIntrinsics(dashboard.Properties.DashboardBody, synthesized.template, synthesized.env) as string;
  widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
});

function widget(title: string): Widget['properties'] {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget "${title}"; widgets: ${widgets.map((w) => w.properties.title).join(', ')}`);
  return found.properties;
}

/** Namespace, metric name and dimensions of each metric line (options left out). */
const series = (lines: MetricLine[] = []) => lines.map((line) => line.filter((part) => typeof part === 'string').join(' '));

describe('dashboard: runs', () => {
  it('charts runs per day by every outcome Finalize records', () => {
    const outcomes = Object.keys(RUN_EVENT_TYPES_BY_OUTCOME);

    const lines = widget('Runs by outcome (per day)').metrics!;

    expect(series(lines).sort()).toEqual(outcomes.map((o) => `retrain Runs Outcome ${o} Project retrain`).sort());
    for (const line of lines) expect(line[line.length - 1]).toMatchObject({ stat: 'Sum', period: 86400 });
  });

  it('charts runs per day by trigger type and outcome, for every trigger type', () => {
    const expected = TRIGGER_TYPES.flatMap((t) => Object.keys(RUN_EVENT_TYPES_BY_OUTCOME).map((o) => `retrain Runs Outcome ${o} Project retrain TriggerType ${t}`));

    expect(series(widget('Runs by trigger type (per day)').metrics).sort()).toEqual(expected.sort());
  });

  it('charts the candidate and champion metric of each run', () => {
    expect(series(widget('Candidate vs champion metric (per run)').metrics)).toEqual(['retrain CandidateMetric Project retrain', 'retrain ChampionMetric Project retrain']);
  });
});

describe('dashboard: the model in production', () => {
  it('charts the drifted feature share and the captured rows the monitor saw', () => {
    expect(series(widget('Drifted feature share').metrics)).toEqual([
      `retrain ${DRIFT_METRICS.driftedShare} Project retrain`,
      `retrain ${DRIFT_METRICS.capturedRows} Project retrain`,
    ]);
  });

  it('charts the five features drifting most, searched by the per-feature effect metric', () => {
    const [[expression]] = widget('Top drifting features (effect size)').metrics! as Array<[{ expression: string }]>;

    expect(expression.expression).toBe(
      `SORT(SEARCH('{retrain,Feature,Project} MetricName="${DRIFT_METRICS.featureEffect}" Project="retrain"', 'Maximum', 3600), MAX, DESC, 5)`,
    );
  });

  it('charts live model quality and the labelled rows behind it', () => {
    expect(series(widget('Live model quality').metrics)).toEqual([
      `retrain ${QUALITY_METRICS.quality} Project retrain`,
      `retrain ${QUALITY_METRICS.labeledRows} Project retrain`,
    ]);
  });

  it("charts the endpoint variant's invocations, errors and latency", () => {
    const variant = 'EndpointName retrain VariantName primary';

    expect(series(widget('Endpoint invocations and errors').metrics)).toEqual([
      `AWS/SageMaker Invocations ${variant}`,
      `AWS/SageMaker Invocation5XXErrors ${variant}`,
      `AWS/SageMaker Invocation4XXErrors ${variant}`,
    ]);
    expect(series(widget('Endpoint model latency (µs)').metrics)).toEqual([`AWS/SageMaker ModelLatency ${variant}`, `AWS/SageMaker ModelLatency ${variant}`]);
  });
});

describe('dashboard: alarms and dead letters', () => {
  it('shows the state of the drift, quality, endpoint and dead-letter alarms', () => {
    const { monitoring, pipeline, triggers } = synthesized.stack;
    const alarms = [monitoring.driftAlarm, monitoring.qualityAlarm, ...pipeline.endpointAlarms, triggers.deadLetterAlarm];

    expect(widget('Alarms').alarms).toEqual(alarms.map((a) => renderToken(synthesized, a.alarmArn)));
  });

  it('charts the triggers waiting in the dead-letter queue', () => {
    const queueName = renderToken(synthesized, synthesized.stack.triggers.deadLetterQueue.queueName);

    expect(series(widget('Triggers waiting in the dead-letter queue').metrics)).toEqual([`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${queueName}`]);
  });

  it('gives the console URL of the dashboard as a stack output', () => {
    const dashboardName = renderToken(synthesized, synthesized.stack.dashboard.dashboard.dashboardName);
    const url = resolveIntrinsics(synthesized.template.toJSON().Outputs.DashboardUrl.Value, synthesized.template, synthesized.env);

    expect(url).toBe(`https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=${dashboardName}`);
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'retrain-retrain' });
  });
});

describe('dashboard: validation', () => {
  it('rejects an empty list of outcomes', () => {
    expect(() => dashboard({ outcomes: [] })).toThrow(/Dashboard outcomes: expected at least one value, got none/);
  });

  it('rejects an empty list of trigger types', () => {
    expect(() => dashboard({ triggerTypes: [] })).toThrow(/Dashboard triggerTypes: expected at least one value, got none/);
  });
});

/** A Dashboard alone in a stack, with placeholder metrics. */
function dashboard(props: Partial<DashboardProps>): Dashboard {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Dashboard');
  const metric = (metricName: string) => new cloudwatch.Metric({ namespace: 'retrain', metricName });
  return new Dashboard(stack, 'Dashboard', {
    projectName: 'retrain',
    outcomes: ['deployed'],
    triggerTypes: ['manual'],
    monitorMetrics: {
      driftedShare: metric('DriftedFeatureShare'),
      capturedRows: metric('CapturedRows'),
      modelQuality: metric('ModelQuality'),
      labeledRows: metric('LabeledRows'),
    },
    alarms: [],
    deadLetterDepth: metric('Depth'),
    ...props,
  });
}
