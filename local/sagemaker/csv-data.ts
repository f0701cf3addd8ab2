/**
 * CSV as the built-in XGBoost algorithm reads it: no header, comma-separated numbers, one row
 * per line, empty lines ignored. Training channels have the label in the first column. An empty
 * field (or "nan") is a missing value, kept as NaN: the trees learn where missing values go
 * (see gbdt.ts), as XGBoost does; nothing is imputed. Anything else that is not a number is an
 * error naming the file, line and column.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { DataValidationError, InvalidInputError } from '../../lambdas/core/errors';
import type { FeatureMatrix } from './gbdt';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = /^(?:|nan|NaN|NAN)$/;

/** The value of one CSV field: a number, NaN when missing, undefined when it is not a number. */
export function parseField(text: string): number | undefined {
  const trimmed = text.trim();
  if (MISSING.test(trimmed)) return NaN;
  if (!NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** Lines of a stream with their 1-based numbers (CRLF or LF). */
export async function* readLines(body: Readable): AsyncGenerator<{ text: string; line: number }> {
  const reader = createInterface({ input: body, crlfDelay: Infinity });
  let line = 0;
  for await (const text of reader) {
    line++;
    yield { text, line };
  }
}

/** Parses one row of numbers; throws DataValidationError naming where a field is not a number. */
export function parseRow(fields: readonly string[], where: string): Float64Array {
  const row = new Float64Array(fields.length);
  for (let c = 0; c < fields.length; c++) {
    const value = parseField(fields[c]);
    if (value === undefined) {
      throw new DataValidationError(`could not convert string to float: '${fields[c]}' (${where}, column ${c + 1})`, {
        context: { where, column: c + 1 },
      });
    }
    row[c] = value;
  }
  return row;
}

/** Rows of labelled data collected column by column. */
export class LabeledRows {
  private readonly labels: number[] = [];
  private readonly columns: number[][] = [];
  private width: number | undefined;

  /** Adds a line (label first); empty lines are ignored. Throws DataValidationError naming the line. */
  add(text: string, where: string): void {
    if (text.trim() === '') return;
    const fields = text.split(',');
    if (this.width === undefined) {
      if (fields.length < 2) {
        throw new DataValidationError(`expected a label and at least one feature, got ${fields.length} column (${where})`, { context: { where } });
      }
      this.width = fields.length;
      for (let c = 1; c < fields.length; c++) this.columns.push([]);
    } else if (fields.length !== this.width) {
      throw new DataValidationError(`expected ${this.width} columns like the first row, got ${fields.length} (${where})`, {
        context: { where, expected: this.width, got: fields.length },
      });
    }
    const row = parseRow(fields, where);
    if (Number.isNaN(row[0])) throw new DataValidationError(`the label (first column) is missing (${where})`, { context: { where } });
    this.labels.push(row[0]);
    for (let c = 1; c < row.length; c++) this.columns[c - 1].push(row[c]);
  }

  get count(): number {
    return this.labels.length;
  }

  get featureCount(): number | undefined {
    return this.width === undefined ? undefined : this.width - 1;
  }

  toMatrix(): { x: FeatureMatrix; y: Float64Array } {
    return {
      x: { rows: this.labels.length, columns: this.columns.length, data: this.columns.map((c) => Float64Array.from(c)) },
      y: Float64Array.from(this.labels),
    };
  }
}

/**
 * A column selector of SageMaker batch transform's DataProcessing InputFilter / OutputFilter
 * for CSV: "$" (every column) or "$[...]" with comma-separated indexes and slices, negative
 * indexes counting from the end ("$[1:]", "$[0,-1]", "$[2:5]", "$[:-1]").
 */
export type CsvFilter = (fields: readonly string[]) => string[];

export function parseCsvFilter(expression: string | undefined, field: string): CsvFilter {
  if (expression === undefined || expression.trim() === '$') return (fields) => [...fields];
  const match = /^\$\[(.+)\]$/.exec(expression.trim());
  if (!match) {
    throw new InvalidInputError(`${field}: unsupported JSONPath "${expression}"; expected "$" or "$[...]" with indexes and slices, e.g. "$[1:]"`, {
      context: { field, expression },
    });
  }
  const int = (text: string) => {
    if (!/^-?\d+$/.test(text.trim())) {
      throw new InvalidInputError(`${field}: "${text}" in "${expression}" is not an index`, { context: { field, expression } });
    }
    return Number(text.trim());
  };
  type Selector = { kind: 'index'; index: number } | { kind: 'slice'; start?: number; end?: number };
  const selectors = match[1].split(',').map((part): Selector => {
    if (!part.includes(':')) return { kind: 'index', index: int(part) };
    const [start, end] = part.split(':');
    return { kind: 'slice', start: start.trim() === '' ? undefined : int(start), end: end.trim() === '' ? undefined : int(end) };
  });
  return (fields) => {
    const n = fields.length;
    const resolve = (i: number) => (i < 0 ? n + i : i);
    const out: string[] = [];
    for (const s of selectors) {
      if (s.kind === 'index') {
        const i = resolve(s.index);
        if (i >= 0 && i < n) out.push(fields[i]);
      } else {
        const from = Math.max(0, s.start === undefined ? 0 : resolve(s.start));
        const to = Math.min(n, s.end === undefined ? n : resolve(s.end));
        for (let i = from; i < to; i++) out.push(fields[i]);
      }
    }
    return out;
  };
}
