/**
 * Streaming CSV in and out. Reading checks that the bytes are UTF-8, then goes through csv-parse
 * (BOM, CRLF, quoted delimiters, doubled quotes, quoted line breaks) chunk by chunk; nothing
 * holds a whole file. Writing batches
 * lines into chunks and waits when the consumer (an S3 multipart upload, a file) is behind.
 */
import { once } from 'node:events';
import { PassThrough, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { Parser, type CsvError } from 'csv-parse';
import { DataValidationError } from './errors';
import { encodingError, Utf8Validator } from './utf8';

/**
 * Longest record accepted, in characters. A longer one almost always means a quote that is never
 * closed, which would otherwise swallow the rest of the file into one field.
 */
export const MAX_RECORD_CHARS = 1 << 20;

/** Raw text kept for a record that could not be parsed (quarantine), at most this many characters. */
const MAX_RAW_CHARS = 4096;

/** One record: its fields as text and the line it starts on (1-based). */
export interface CsvRecord {
  readonly ok: true;
  readonly line: number;
  readonly fields: string[];
}

/** A record csv-parse skipped, with the reason. */
export interface CsvBadRecord {
  readonly ok: false;
  readonly line: number;
  readonly reason: string;
  readonly raw?: string;
}

export type CsvItem = CsvRecord | CsvBadRecord;

/** Parse errors after which the rest of the file cannot be read reliably. */
const FATAL_CODES = new Set(['CSV_QUOTE_NOT_CLOSED', 'CSV_MAX_RECORD_SIZE']);

/**
 * csv-parse's stream, emitting one array of items per input chunk instead of one object per
 * record: handing records over one by one through the stream (and an async iterator) costs
 * more than parsing them. Each record gets the line it starts on, read from the parser's live
 * counters when the record is produced, and a skipped record takes its place in the batch, so
 * items keep the order of the file.
 */
class BatchingParser extends Parser {
  private batch: CsvItem[] = [];
  private lastLine = 0;
  private lastEmptyLines = 0;
  private readonly utf8 = new Utf8Validator();

  constructor(private readonly source: string) {
    super({
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_CHARS,
      on_skip: (error: CsvError | undefined, raw: string | undefined) => this.skipped(error, raw),
    });
  }

  /** Called by csv-parse for every record (and null at the end), synchronously while parsing. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      this.flushBatch();
      return super.push(null, encoding);
    }
    const { lines, empty_lines: emptyLines } = this.info;
    // `lines` is the line the record ends on; it starts after the previous record and any blank lines.
    const line = Math.min(this.lastLine + 1 + (emptyLines - this.lastEmptyLines), lines);
    this.lastLine = lines;
    this.lastEmptyLines = emptyLines;
    const fields = chunk as string[];
    // A line of spaces (or a lone "\r" in a file whose first line ended in "\n") is blank too.
    if (fields.length === 1 && fields[0].trim() === '') return true;
    this.batch.push({ ok: true, line, fields });
    return true;
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    // Before csv-parse sees the bytes: it would turn a byte that is not UTF-8 into U+FFFD.
    const problem = this.utf8.write(chunk);
    if (problem) {
      callback(encodingError(this.source, problem));
      return;
    }
    super._transform(chunk, encoding, (error) => {
      this.flushBatch();
      callback(error);
    });
  }

  override _flush(callback: TransformCallback): void {
    const problem = this.utf8.end();
    if (problem) {
      callback(encodingError(this.source, problem));
      return;
    }
    super._flush((error) => {
      this.flushBatch();
      callback(error);
    });
  }

  private skipped(error: CsvError | undefined, raw: string | undefined): undefined {
    const line = typeof error?.lines === 'number' ? error.lines : this.info.lines;
    if (error && FATAL_CODES.has(error.code)) {
      // Name the line the broken record starts on (where the quote opened), not where parsing gave up.
      const start = this.lastLine + 1 + (this.info.empty_lines - this.lastEmptyLines);
      throw fatalParseError(error, this.source, Math.min(start, line));
    }
    this.lastLine = Math.max(this.lastLine, line);
    this.batch.push({
      ok: false,
      line,
      reason: error?.message ?? 'unreadable record',
      ...(raw === undefined ? {} : { raw: raw.slice(0, MAX_RAW_CHARS) }),
    });
    return undefined;
  }

  private flushBatch(): void {
    if (this.batch.length === 0) return;
    super.push(this.batch);
    this.batch = [];
  }
}

/**
 * Reads a CSV stream, one batch of records per chunk of input. `source` names it in errors
 * ("raw/a.csv").
 *
 * The stream must be UTF-8 (a UTF-8 byte order mark is skipped): a UTF-16 file, or a byte that
 * is not UTF-8, throws DataValidationError naming the line and byte offset.
 * Records with a different number of fields are returned as they are (the caller decides);
 * a stray quote inside a field is kept as text; blank lines (also lines of spaces) are skipped.
 * A record csv-parse cannot parse is returned as a CsvBadRecord. A quote that is never closed,
 * or a record longer than MAX_RECORD_CHARS, throws DataValidationError: past it no line
 * boundary can be trusted.
 */
export async function* readCsv(body: Readable, source: string): AsyncGenerator<CsvItem[]> {
  const parser = new BatchingParser(source);
  // Errors of the body (a dropped connection) destroy the parser, so the loop below throws them.
  pipeline(body, parser, () => undefined);
  for await (const batch of parser) yield batch as CsvItem[];
}

function fatalParseError(error: CsvError, source: string, line: number): DataValidationError {
  const reason =
    error.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field that starts in this record is not closed before the end of the file, so the rest of the file cannot be read'
      : `a record is longer than ${MAX_RECORD_CHARS} characters (is a quote not closed?)`;
  return new DataValidationError(`${source} line ${line}: ${reason}`, { cause: error, context: { file: source, line, code: error.code } });
}

/** Characters batched before they are handed to the stream. */
const DEFAULT_CHUNK_CHARS = 64 * 1024;

/**
 * A text output written line by line into a stream that a consumer (`start`) reads, typically
 * ObjectStore.write. Lines are batched into chunks; `blocked` turns true when the consumer is
 * behind, and `drain()` waits for it, so memory stays bounded whatever the data size.
 */
export class TextSink {
  private readonly stream: PassThrough;
  private readonly consumed: Promise<void>;
  private readonly chunkChars: number;
  private pending = '';
  private failure: { readonly error: unknown } | undefined;

  constructor(start: (body: Readable) => Promise<void>, options: { chunkChars?: number } = {}) {
    this.chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
    this.stream = new PassThrough({ highWaterMark: this.chunkChars * 4 });
    // An abort destroys the stream with its reason; the consumer reports it (consumed rejects),
    // this listener only keeps it from being an unhandled 'error' event if the consumer has
    // not started reading yet.
    this.stream.on('error', () => undefined);
    this.consumed = start(this.stream);
    this.consumed.catch((error: unknown) => {
      this.failure = { error };
    });
  }

  /** Appends text (whole lines, with their line breaks). Throws if the consumer has failed. */
  write(text: string): void {
    if (this.failure) throw this.failure.error;
    this.pending += text;
    if (this.pending.length >= this.chunkChars) this.flush();
  }

  /** Whether the consumer is behind and the writer should `await drain()` before writing more. */
  get blocked(): boolean {
    return this.stream.writableNeedDrain;
  }

  /** Resolves when the consumer has caught up; rejects if it failed meanwhile. */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (!this.stream.writableNeedDrain) return;
    await Promise.race([
      once(this.stream, 'drain'),
      this.consumed.then(() => {
        throw new Error('the output was consumed before it was complete');
      }),
    ]);
  }

  /** Writes what is left, ends the stream and waits until the consumer has stored everything. */
  async end(): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (!this.stream.writableEnded) {
      this.flush();
      this.stream.end();
    }
    await this.consumed;
  }

  /** Stops the output without completing it (a multipart upload is aborted, a temp file removed). */
  async abort(reason: Error): Promise<void> {
    this.pending = '';
    this.stream.destroy(reason);
    // The consumer fails because of this abort: that failure is expected, not a new error.
    await this.consumed.catch(() => undefined);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.stream.write(this.pending);
    this.pending = '';
  }
}
