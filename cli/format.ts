/**
 * How the cloud commands print: aligned tables, label/value blocks, times in UTC and short
 * durations. Everything here is pure and deterministic, so tests compare exact text.
 */

/** A table column: its header and which side its cells line up on. */
export interface Column {
  readonly header: string;
  /** @default 'left' */
  readonly align?: 'left' | 'right';
}

/** What an empty cell shows. */
export const NONE = '-';

/** Rows under a header, columns two spaces apart, trailing spaces trimmed. */
export function table(columns: ReadonlyArray<Column | string>, rows: ReadonlyArray<ReadonlyArray<string>>, indent = ''): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>) =>
    indent +
    cols
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** `label  value` lines with the values lined up. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

/** `2026-11-27 12:00:01 UTC`; NONE for nothing or something that is not a time. */
export function formatTime(value: string | Date | undefined): string {
  if (value === undefined) return NONE;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return NONE;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `12:00:01` (UTC), for the lines of a followed execution. */
export function formatClock(value: Date | undefined): string {
  return value === undefined || Number.isNaN(value.getTime()) ? '--:--:--' : value.toISOString().slice(11, 19);
}

/** 45s, 12m 05s, 3h 02m, 2d 04h. Negative or unknown durations are NONE. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return NONE;
  const s = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${two(Math.floor((s % 86_400) / 3600))}h`;
}

/** Seconds between two ISO times, or undefined when either is missing or unreadable. */
export function secondsBetween(start: string | undefined, end: string | Date | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const from = Date.parse(start);
  const to = end instanceof Date ? end.getTime() : Date.parse(end);
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : (to - from) / 1000;
}

/** A metric value with four decimals, NONE when there is none. */
export function formatMetric(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? NONE : value.toFixed(4);
}

/** One line of at most `max` characters (causes can be long JSON with newlines). */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A model package as people name it: `<group>/<version>`; the ARN when it is not one. */
export function packageLabel(arn: string | undefined): string {
  if (arn === undefined || arn === '') return NONE;
  const match = /:model-package\/([^/]+)\/(\d+)$/.exec(arn);
  return match ? `${match[1]}/${match[2]}` : arn;
}
