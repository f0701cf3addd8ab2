import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { resourceNames } from './types';

export interface DashboardProps {
  /** The project: dashboard name and metric dimensions. */
  readonly projectName: string;
  /** Outcomes to chart, as Finalize records them. */
  readonly outcomes: readonly string[];
  /** Trigger types to chart. */
  readonly triggerTypes: readonly string[];
  /** Monitor metrics (drifted share, captured rows, model quality, labelled rows). */
  readonly monitorMetrics: {
    readonly driftedShare: cloudwatch.IMetric;
    readonly capturedRows: cloudwatch.IMetric;
    readonly modelQuality: cloudwatch.IMetric;
    readonly labeledRows: cloudwatch.IMetric;
  };
  /** Every alarm whose state matters (drift, quality, endpoint, dead letters). */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** Depth of the trigger dead-letter queue. */
  readonly deadLetterDepth: cloudwatch.IMetric;
}

/**
 * One CloudWatch dashboard for the whole loop: runs by outcome and trigger, candidate vs
 * champion metric, drift (share and the top drifting features), live quality, the endpoint,
 * alarm states and the trigger dead-letter queue.
 */
export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    validateNonEmpty('outcomes', props.outcomes);
    validateNonEmpty('triggerTypes', props.triggerTypes);
    const names = resourceNames(props.projectName);
    const ns = names.metricsNamespace;
    const day = Duration.days(1);
    const project = { Project: props.projectName };
    const runs = (dimensionsMap: Record<string, string>, label: string) =>
      new cloudwatch.Metric({ namespace: ns, metricName: 'Runs', dimensionsMap: { ...project, ...dimensionsMap }, statistic: 'Sum', period: day, label });
    const endpoint = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName,
        dimensionsMap: { EndpointName: names.endpoint, VariantName: names.variant },
        statistic,
        period: Duration.minutes(5),
        label,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.projectName}-retrain`,
      defaultInterval: Duration.days(14),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# retrain — ${props.projectName}\nRuns, the models they compared, drift and quality of the model in production, and the alarms that start retraining.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs by outcome (per day)',
        left: props.outcomes.map((o) => runs({ Outcome: o }, o)),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Runs by trigger type (per day)',
        left: props.triggerTypes.flatMap((t) => props.outcomes.map((o) => runs({ Outcome: o, TriggerType: t }, `${t} → ${o}`))),
        stacked: true,
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Candidate vs champion metric (per run)',
        left: [
          new cloudwatch.Metric({ namespace: ns, metricName: 'CandidateMetric', dimensionsMap: project, statistic: 'Average', period: Duration.hours(1), label: 'candidate' }),
          new cloudwatch.Metric({ namespace: ns, metricName: 'ChampionMetric', dimensionsMap: project, statistic: 'Average', period: Duration.hours(1), label: 'champion' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Live model quality',
        left: [props.monitorMetrics.modelQuality],
        right: [props.monitorMetrics.labeledRows],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Drifted feature share',
        left: [props.monitorMetrics.driftedShare],
        right: [props.monitorMetrics.capturedRows],
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Top drifting features (effect size)',
        left: [
          new cloudwatch.MathExpression({
            expression: `SORT(SEARCH('{${ns},Feature,Project} MetricName="FeatureDriftEffect" Project="${props.projectName}"', 'Maximum', 3600), MAX, DESC, 5)`,
            label: 'effect',
            period: Duration.hours(1),
          }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Endpoint invocations and errors',
        left: [endpoint('Invocations', 'Sum', 'invocations')],
        right: [endpoint('Invocation5XXErrors', 'Sum', '5XX'), endpoint('Invocation4XXErrors', 'Sum', '4XX')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Endpoint model latency (µs)',
        left: [endpoint('ModelLatency', 'p50', 'p50'), endpoint('ModelLatency', 'p99', 'p99')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 12, height: 6 }),
      new cloudwatch.GraphWidget({ title: 'Triggers waiting in the dead-letter queue', left: [props.deadLetterDepth], width: 12 }),
    );
  }

  /** The console URL of the dashboard. */
  url(region: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

function validateNonEmpty(name: string, values: readonly string[]): void {
  if (values.length === 0) throw new Error(`Dashboard ${name}: expected at least one value, got none`);
}
