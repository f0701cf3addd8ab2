/**
 * The local report: one self-contained HTML file (inline SVG, no scripts, no server) with the
 * runs over time, candidate vs champion metric per run, drift per feature per window, and
 * live model quality — read from the same state table and bucket the monitors write.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { triggerCountOf, type RunRecord } from '../lambdas/core/admission';
import type { DriftReport } from '../lambdas/core/drift';
import { readDocument } from '../lambdas/core/drift-monitor';
import type { QualityReport } from '../lambdas/core/quality-monitor';
import type { LocalRetrain } from './runner';

export interface ReportData {
  readonly title: string;
  readonly generatedAt: string;
  readonly runs: RunRecord[];
  readonly drift: DriftReport[];
  readonly quality: QualityReport[];
  readonly triggers: Record<string, number>;
}

const OUTCOME_COLORS: Record<string, string> = {
  deployed: '#2e7d32',
  rejected: '#ef6c00',
  failed: '#c62828',
  'rolled-back': '#6a1b9a',
  'dry-run': '#607d8b',
  'awaiting-approval': '#1565c0',
  running: '#9e9e9e',
};

/** Writes <root>/report.html and returns its path. */
export async function writeReport(local: LocalRetrain, options: { title: string }): Promise<string> {
  const data = await collect(local, options.title);
  const path = join(local.options.root, 'report.html');
  writeFileSync(path, renderReport(data));
  return path;
}

async function collect(local: LocalRetrain, title: string): Promise<ReportData> {
  const read = async <T>(prefix: string): Promise<T[]> => {
    const keys: string[] = [];
    for await (const o of local.store.list(prefix)) keys.push(o.key);
    keys.sort();
    return Promise.all(keys.map(async (k) => JSON.parse(await readDocument(local.store, `s3://${local.env.bucketName}/${k}`)) as T));
  };
  const triggers: Record<string, number> = {};
  for (const t of await local.triggers()) {
    const outcome = t.resolution?.outcome === 'covered' || t.resolution?.outcome === 'cooldown' ? t.resolution.outcome : (t.outcome ?? 'pending');
    triggers[outcome] = (triggers[outcome] ?? 0) + 1;
  }
  return {
    title,
    generatedAt: local.clock.now().toISOString(),
    runs: await local.runs(),
    drift: await read<DriftReport>('monitoring/drift/'),
    quality: await read<QualityReport>('monitoring/quality/'),
    triggers,
  };
}

/** The HTML of a report (pure, for tests). */
export function renderReport(data: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
.tag{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
svg text{font:11px system-ui,sans-serif}
</style></head><body>
<h1>${esc(data.title)}</h1>
<p>Generated at ${esc(data.generatedAt)} (virtual time). ${data.runs.length} runs; triggers: ${Object.entries(data.triggers)
    .map(([k, v]) => `${v} ${esc(k)}`)
    .join(', ')}.</p>
<h2>Runs over time</h2>
${runsTimeline(data.runs)}
<h2>Candidate vs champion metric</h2>
${metricChart(data.runs)}
${runsTable(data.runs)}
<h2>Drift per feature per window</h2>
<p>Effect size per feature (Wasserstein/σ for numeric, Jensen–Shannon distance for categorical); a bold cell drifted (effect ≥ threshold and adjusted p &lt; α).</p>
${driftHeatmap(data.drift)}
<h2>Live model quality</h2>
${qualityChart(data.quality)}
</body></html>
`;
}

function runsTimeline(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return '<p>No runs.</p>';
  const times = runs.map((r) => Date.parse(r.startedAt));
  const min = Math.min(...times);
  const max = Math.max(...times, min + 1);
  const width = 1000;
  const x = (t: number) => 40 + ((t - min) / (max - min)) * (width - 80);
  const marks = runs
    .map((r, i) => {
      const cx = x(Date.parse(r.startedAt));
      const y = 30 + (i % 3) * 22;
      return `<circle cx="${cx}" cy="${y}" r="7" fill="${OUTCOME_COLORS[r.status] ?? '#999'}"><title>${esc(`${r.runId} ${r.trigger.type} → ${r.status}`)}</title></circle><text x="${cx + 10}" y="${y + 4}">${esc(`${r.trigger.type} → ${r.status}`)}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="110" role="img" aria-label="runs over time"><line x1="40" y1="95" x2="${width - 40}" y2="95" stroke="#999"/>${marks}<text x="40" y="108">${esc(new Date(min).toISOString().slice(0, 16))}</text><text x="${width - 200}" y="108">${esc(new Date(max).toISOString().slice(0, 16))}</text></svg>`;
}

function metricChart(runs: readonly RunRecord[]): string {
  const scored = runs.filter((r) => r.candidateMetric !== undefined);
  if (scored.length === 0) return '<p>No evaluated run.</p>';
  const values = scored.flatMap((r) => [r.candidateMetric!, ...(r.championMetric !== undefined ? [r.championMetric] : [])]);
  const lo = Math.min(...values) - 0.01;
  const hi = Math.max(...values) + 0.01;
  const h = 200;
  const y = (v: number) => 10 + (1 - (v - lo) / (hi - lo)) * (h - 40);
  const step = Math.min(120, 900 / scored.length);
  const bars = scored
    .map((r, i) => {
      const x0 = 60 + i * step;
      const candidate = `<rect x="${x0}" y="${y(r.candidateMetric!)}" width="${step / 3}" height="${h - 30 - y(r.candidateMetric!)}" fill="${OUTCOME_COLORS[r.status] ?? '#999'}"><title>candidate ${r.candidateMetric!.toFixed(4)}</title></rect>`;
      const champion =
        r.championMetric !== undefined
          ? `<rect x="${x0 + step / 3}" y="${y(r.championMetric)}" width="${step / 3}" height="${h - 30 - y(r.championMetric)}" fill="#90a4ae"><title>champion ${r.championMetric.toFixed(4)}</title></rect>`
          : '';
      return `${candidate}${champion}<text x="${x0}" y="${h - 14}">${esc(r.runId.slice(9, 15))}</text>`;
    })
    .join('');
  return `<svg width="${60 + scored.length * step + 20}" height="${h}" role="img" aria-label="candidate vs champion"><text x="0" y="${y(hi - 0.01)}">${(hi - 0.01).toFixed(3)}</text><text x="0" y="${y(lo + 0.01)}">${(lo + 0.01).toFixed(3)}</text>${bars}</svg><p><span class="tag" style="background:#2e7d32">candidate (colour = outcome)</span> <span class="tag" style="background:#90a4ae">champion</span></p>`;
}

function runsTable(runs: readonly RunRecord[]): string {
  const rows = runs
    .map(
      (r) =>
        `<tr><td>${esc(r.runId)}</td><td>${esc(r.trigger.type)}${triggerCountOf(r) > 1 ? ` +${triggerCountOf(r) - 1}` : ''}</td><td><span class="tag" style="background:${OUTCOME_COLORS[r.status] ?? '#999'}">${esc(r.status)}</span></td><td>${fmt(r.candidateMetric)}</td><td>${fmt(r.championMetric)}</td><td>${esc(r.cause ?? '')}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>run</th><th>trigger</th><th>outcome</th><th>candidate</th><th>champion</th><th>why</th></tr>${rows}</table>`;
}

function driftHeatmap(reports: readonly DriftReport[]): string {
  const windows = reports.filter((r) => r.status === 'OK' || r.status === 'DRIFT');
  if (windows.length === 0) return '<p>No drift window with enough rows.</p>';
  const features = [...new Set(windows.flatMap((w) => w.features.map((f) => f.name)))];
  const cell = (w: DriftReport, name: string) => {
    const f = w.features.find((x) => x.name === name);
    if (!f) return '<td></td>';
    const shade = Math.min(1, f.effect / 0.5);
    const color = `rgba(198,40,40,${shade.toFixed(2)})`;
    return `<td style="background:${color};${f.drifted ? 'font-weight:bold' : ''}">${f.effect.toFixed(3)}</td>`;
  };
  const header = windows.map((w) => `<th>${esc((w.window.end ?? '').slice(5, 16).replace('T', ' '))}<br>${esc(w.status)}</th>`).join('');
  const body = features.map((name) => `<tr><th>${esc(name)}</th>${windows.map((w) => cell(w, name)).join('')}</tr>`).join('');
  return `<table><tr><th>feature</th>${header}</tr>${body}</table>`;
}

function qualityChart(reports: readonly QualityReport[]): string {
  const points = reports.filter((r) => r.metric.value !== null);
  if (points.length === 0) return '<p>No quality datapoint (not enough labelled rows yet).</p>';
  const rows = points
    .map(
      (r) =>
        `<tr><td>${esc(r.window.labels.end.slice(5, 16).replace('T', ' '))}</td><td>${esc(r.metric.name)} ${fmt(r.metric.value ?? undefined)}</td><td>${fmt(r.metric.champion ?? undefined)}</td><td>${r.labeledRows}</td><td>${esc(r.status)}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>window end</th><th>live</th><th>champion (evaluation)</th><th>labelled rows</th><th>status</th></tr>${rows}</table>`;
}

function fmt(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(4);
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
