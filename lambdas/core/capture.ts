/**
 * SageMaker Data Capture, read in a stream. The endpoint writes JSON Lines under
 * `capture/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`, one line per request:
 *
 *   {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",  "data": "...", "encoding": "CSV"},
 *                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "...", "encoding": "CSV"}},
 *    "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2024-05-01T10:15:00Z"},
 *    "eventVersion": "0"}
 *
 * `encoding` is CSV (text as is), BASE64 (SageMaker's default when no content type header is
 * configured) or JSON. A request may hold several CSV rows; each row is one record. Lines that
 * cannot be read are counted and skipped, never thrown: a monitor must not fail on one bad line.
 */
import type { Readable } from 'node:stream';
import { readLines } from './lines';

/** One captured model input row with the prediction made for it. */
export interface CaptureRecord {
  /** The caller's inferenceId when it gave one, else SageMaker's eventId. */
  readonly id: string;
  readonly eventId: string;
  readonly inferenceId?: string;
  /** eventMetadata.inferenceTime, as written. */
  readonly time: string;
  /** The same time in epoch milliseconds. */
  readonly timeMs: number;
  /** Index of this row in its request (0-based) and the number of rows in the request. */
  readonly row: number;
  readonly rowsInRequest: number;
  /** The input row's fields, as text. */
  readonly features: string[];
  /** The model's output for this row, when the output was captured and could be matched to rows. */
  readonly prediction?: string;
}

/** What reading capture files found, for the monitor reports. */
export interface CaptureStats {
  files: number;
  /** Lines read (one per request). */
  lines: number;
  /** Records (rows) yielded. */
  records: number;
  /** Lines skipped: not JSON, missing fields, bad base64, no time, too long. */
  malformedLines: number;
  /** Lines skipped because the input is not CSV (e.g. application/json). */
  unsupportedLines: number;
  /** Requests whose output could not be split into one prediction per row (inputs still used). */
  unmatchedOutputs: number;
  /** The first few problems, "<file> line <n>: <reason>". */
  examples: string[];
}

const MAX_EXAMPLES = 5;

// Local bindings for the per-line path: global lookups are slow inside vm contexts (jest).
const { isArray } = Array;
const { parse: parseJson } = JSON;
const { parse: parseTime } = Date;

export function newCaptureStats(): CaptureStats {
  return { files: 0, lines: 0, records: 0, malformedLines: 0, unsupportedLines: 0, unmatchedOutputs: 0, examples: [] };
}

/** The key prefixes of every hour from start's hour to end's hour (UTC), inclusive. */
export function captureHourPrefixes(endpoint: string, variant: string, start: Date, end: Date, root = 'capture/'): string[] {
  const prefixes: string[] = [];
  const hour = 3_600_000;
  for (let t = Math.floor(start.getTime() / hour) * hour; t <= end.getTime(); t += hour) {
    const d = new Date(t);
    const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()].map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0'));
    prefixes.push(`${root}${endpoint}/${variant}/${parts.join('/')}/`);
  }
  return prefixes;
}

/**
 * The key that joins a record with its ground truth: the record's id when the request had one
 * row, `<id>:<row>` (row 0-based) when it had several.
 */
export function joinKey(record: CaptureRecord): string {
  return record.rowsInRequest === 1 ? record.id : `${record.id}:${record.row}`;
}

/** Reads the records of one capture file, updating `stats`; malformed lines are counted and skipped. */
export async function* readCaptureRecords(
  body: Readable | AsyncIterable<Buffer | string>,
  stats: CaptureStats,
  source = 'capture',
): AsyncGenerator<CaptureRecord> {
  stats.files += 1;
  for await (const line of readLines(body)) {
    if (!line.tooLong && line.text.trim() === '') continue;
    stats.lines += 1;
    const parsed = line.tooLong ? { problem: 'line too long', unsupported: false } : parseCaptureLine(line.text);
    if ('problem' in parsed) {
      if (parsed.unsupported) stats.unsupportedLines += 1;
      else stats.malformedLines += 1;
      if (stats.examples.length < MAX_EXAMPLES) stats.examples.push(`${source} line ${line.number}: ${parsed.problem}`);
      continue;
    }
    if (parsed.unmatchedOutput) stats.unmatchedOutputs += 1;
    for (const record of parsed.records) {
      stats.records += 1;
      yield record;
    }
  }
}

export type ParsedCaptureLine =
  | { readonly records: CaptureRecord[]; readonly unmatchedOutput: boolean }
  | { readonly problem: string; readonly unsupported: boolean };

/** One capture line to its records, or the reason it cannot be used. */
export function parseCaptureLine(text: string): ParsedCaptureLine {
  let document: unknown;
  try {
    document = parseJson(text);
  } catch {
    return malformed('not JSON');
  }
  const captureData = field(document, 'captureData');
  const metadata = field(document, 'eventMetadata');
  const input = field(captureData, 'endpointInput');
  if (input === undefined) return malformed('no captureData.endpointInput');
  const eventId = field(metadata, 'eventId');
  if (typeof eventId !== 'string' || eventId === '') return malformed('no eventMetadata.eventId');
  const time = field(metadata, 'inferenceTime');
  const timeMs = typeof time === 'string' ? parseTime(time) : NaN;
  if (typeof time !== 'string' || Number.isNaN(timeMs)) return malformed('no valid eventMetadata.inferenceTime');
  const inferenceIdValue = field(metadata, 'inferenceId');
  const inferenceId = typeof inferenceIdValue === 'string' && inferenceIdValue !== '' ? inferenceIdValue : undefined;

  const inputText = payloadText(input, 'endpointInput');
  if (typeof inputText !== 'string') return inputText;
  const rows = nonEmptyLines(inputText);
  if (rows.length === 0) return malformed('endpointInput has no rows');

  const output = field(captureData, 'endpointOutput');
  let predictions: string[] | undefined;
  let unmatchedOutput = false;
  if (output !== undefined) {
    const outputText = payloadText(output, 'endpointOutput', false);
    predictions = typeof outputText === 'string' ? splitPredictions(outputText, rows.length) : undefined;
    unmatchedOutput = predictions === undefined;
  }

  const id = inferenceId ?? eventId;
  const records = rows.map(
    (row, i): CaptureRecord => ({
      id,
      eventId,
      ...(inferenceId === undefined ? {} : { inferenceId }),
      time,
      timeMs,
      row: i,
      rowsInRequest: rows.length,
      features: splitCsvRow(row),
      ...(predictions === undefined ? {} : { prediction: predictions[i] }),
    }),
  );
  return { records, unmatchedOutput };
}

/**
 * The output text split into one prediction per input row: one line per row (current XGBoost
 * containers), or, for several rows, one line of comma-separated values (older containers).
 * A single-row request takes the whole output (e.g. "0.1,0.2,0.7" of a multiclass model, or JSON).
 */
function splitPredictions(text: string, rows: number): string[] | undefined {
  if (rows === 1) return text.trim() === '' ? undefined : [text.trim()];
  const lines = nonEmptyLines(text);
  if (lines.length === rows) return lines.map((l) => l.trim());
  if (lines.length === 1) {
    const values = lines[0].split(',');
    if (values.length === rows) return values.map((v) => v.trim());
  }
  return undefined;
}

/** The decoded text of an endpointInput/endpointOutput, or why it cannot be used. */
function payloadText(payload: unknown, where: string, requireCsv = true): string | { problem: string; unsupported: boolean } {
  const data = field(payload, 'data');
  const encoding = field(payload, 'encoding');
  const contentType = field(payload, 'observedContentType');
  if (typeof data !== 'string') return malformed(`${where}.data is not text`);
  if (requireCsv && typeof contentType === 'string' && contentType !== '' && !/csv/i.test(contentType)) {
    return { problem: `${where} content type "${contentType}" is not CSV`, unsupported: true };
  }
  switch (encoding) {
    case 'CSV':
      return data;
    case 'JSON':
      return requireCsv ? { problem: `${where} is JSON, not CSV`, unsupported: true } : data;
    case 'BASE64': {
      const compact = data.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return malformed(`${where}.data is not valid base64`);
      return Buffer.from(compact, 'base64').toString('utf8');
    }
    default:
      return malformed(`${where}.encoding ${JSON.stringify(encoding)} is not CSV, BASE64 or JSON`);
  }
}

/** Fields of one CSV row; double quotes enclose fields and "" escapes a quote inside them. */
export function splitCsvRow(row: string): string[] {
  if (!row.includes('"')) return row.split(',');
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < row.length; i++) {
    const ch = row[i];
    if (quoted) {
      if (ch === '"' && row[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields;
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function malformed(problem: string): { problem: string; unsupported: false } {
  return { problem, unsupported: false };
}
