/**
 * Streaming line splitting for JSON Lines and similar text: reads a stream chunk by chunk and
 * yields one line at a time, so memory is bounded by the longest line (itself capped).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are skipped (reported as too long) unless the caller sets another cap. */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

export interface Line {
  /** 1-based line number in the stream. */
  readonly number: number;
  /** The line without its terminator ("\n" or "\r\n"); empty when `tooLong`. */
  readonly text: string;
  /** The line exceeded the maximum length and was skipped. */
  readonly tooLong: boolean;
}

/** Splits a UTF-8 stream into lines. A last line without a terminator is yielded too; empty trailing text is not. */
export async function* readLines(body: Readable | AsyncIterable<Buffer | string>, options: { maxLength?: number } = {}): AsyncGenerator<Line> {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LINE_LENGTH;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  let number = 0;

  const emit = (text: string): Line => {
    number += 1;
    return { number, text: text.endsWith('\r') ? text.slice(0, -1) : text, tooLong: false };
  };

  for await (const chunk of body) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      if (skipping) {
        skipping = false;
        number += 1;
        yield { number, text: '', tooLong: true };
      } else if (pending.length + newline - start > maxLength) {
        pending = '';
        number += 1;
        yield { number, text: '', tooLong: true };
      } else {
        const line = pending + text.slice(start, newline);
        pending = '';
        yield emit(line);
      }
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (!skipping) {
      pending += text.slice(start);
      if (pending.length > maxLength) {
        pending = '';
        skipping = true;
      }
    }
  }
  const rest = pending + decoder.end();
  if (skipping) {
    number += 1;
    yield { number, text: '', tooLong: true };
  } else if (rest.length > 0) {
    if (rest.length > maxLength) {
      number += 1;
      yield { number, text: '', tooLong: true };
    } else {
      yield emit(rest);
    }
  }
}

/** The whole stream as one string (for small documents such as baseline.json). */
export async function readText(body: Readable | AsyncIterable<Buffer | string>): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of body) text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
  return text + decoder.end();
}
