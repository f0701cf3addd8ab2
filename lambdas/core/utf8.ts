/**
 * Input files are UTF-8. A file in another encoding (Latin-1, Windows-1252, UTF-16) is refused
 * with where the first byte that is not UTF-8 is, instead of each such byte silently becoming
 * U+FFFD in a column name or a category.
 */
import { isUtf8 } from 'node:buffer';
import { DataValidationError } from './errors';

/**
 * "FF FE" or "FE FF" when `bytes` start with a UTF-16 byte order mark, else undefined.
 * Byte order marks: Microsoft, "Using Byte Order Marks" (Win32 Internationalization docs):
 * FF FE = UTF-16 little-endian, FE FF = UTF-16 big-endian, EF BB BF = UTF-8.
 */
export function utf16ByteOrderMark(bytes: Uint8Array): 'FF FE' | 'FE FF' | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'FF FE';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'FE FF';
  return undefined;
}

/**
 * Index of the first byte of the first ill-formed sequence in `bytes`, or -1 when all of it is
 * well-formed UTF-8. A sequence cut off by the end of `bytes` is ill-formed. Well-formed
 * sequences: The Unicode Standard, Table 3-7 "Well-Formed UTF-8 Byte Sequences" (RFC 3629 §4).
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const shape = sequenceShape(lead);
    if (shape === undefined) return i;
    const [length, secondMin, secondMax] = shape;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1];
    if (second < secondMin || second > secondMax) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/** Length of the sequence a lead byte starts and the range of its second byte (Table 3-7); undefined for a byte no sequence starts with. */
function sequenceShape(lead: number): readonly [length: number, secondMin: number, secondMax: number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf];
  if (lead === 0xed) return [3, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f];
  return undefined;
}

/** Bytes at the end of `bytes` that start a multi-byte sequence the next chunk may complete (0 to 3). */
function openTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const shape = sequenceShape(byte);
    return shape !== undefined && shape[0] > back ? back : 0;
  }
  return 0;
}

/** Where a stream stops being UTF-8. */
export interface Utf8Problem {
  /** 0-based offset of the first byte that is not UTF-8 (as `xxd` or an S3 Range request counts). */
  readonly offset: number;
  /** 1-based line it is on. */
  readonly line: number;
  /** The ill-formed bytes, in hex ("E9", "C3 28"); empty for a sequence cut off by the end. */
  readonly bytes: string;
  /** The file is UTF-16: its byte order mark. */
  readonly utf16?: 'FF FE' | 'FE FF';
}

/**
 * Checks a stream chunk by chunk (a character may straddle two chunks). Each chunk goes through
 * the native isUtf8 (simdutf in Node.js), and only a failing chunk is scanned byte by byte to
 * say where; counting line breaks is the only other work per chunk.
 */
export class Utf8Validator {
  /** Bytes before the current chunk. */
  private offset = 0;
  private newlines = 0;
  /** The unfinished sequence at the end of the previous chunk. */
  private carry: Uint8Array = new Uint8Array(0);
  /** Whether fewer than two bytes were checked so far. */
  private atStart = true;

  /** Checks the next chunk; a problem means the stream is not UTF-8 (stop reading it). */
  write(chunk: Uint8Array): Utf8Problem | undefined {
    const bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const start = this.offset - this.carry.length;
    if (this.atStart) {
      // The first two bytes say whether the stream is UTF-16, whatever size the first chunks are.
      const utf16 = utf16ByteOrderMark(bytes);
      if (utf16) return { offset: 0, line: 1, bytes: utf16, utf16 };
      if (bytes.length < 2) {
        this.carry = Uint8Array.from(bytes);
        this.offset += chunk.length;
        return undefined;
      }
      this.atStart = false;
    }
    const complete = bytes.subarray(0, bytes.length - openTail(bytes));
    if (!isUtf8(complete)) return this.problem(complete, start, firstInvalidUtf8(complete));
    this.newlines += countNewlines(complete, complete.length);
    this.carry = Uint8Array.from(bytes.subarray(complete.length));
    this.offset += chunk.length;
    return undefined;
  }

  /** At the end of the stream: a sequence left unfinished is a problem. */
  end(): Utf8Problem | undefined {
    const index = firstInvalidUtf8(this.carry);
    if (index === -1) return undefined;
    const start = this.offset - this.carry.length;
    const rest = this.carry.subarray(index);
    if (openTail(rest) === rest.length) return { offset: start + index, line: this.newlines + countNewlines(this.carry, index) + 1, bytes: '' };
    return this.problem(this.carry, start, index);
  }

  private problem(bytes: Uint8Array, start: number, index: number): Utf8Problem {
    const lead = sequenceShape(bytes[index]);
    const length = lead === undefined ? 1 : Math.min(lead[0], bytes.length - index);
    let bad = 1;
    while (bad < length && (bytes[index + bad] & 0xc0) === 0x80) bad += 1;
    return {
      offset: start + index,
      line: this.newlines + countNewlines(bytes, index) + 1,
      bytes: [...bytes.subarray(index, index + bad)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' '),
    };
  }
}

function countNewlines(bytes: Uint8Array, end: number): number {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let i = buffer.indexOf(10); i !== -1 && i < end; i = buffer.indexOf(10, i + 1)) count += 1;
  return count;
}

/** The DataValidationError for a problem of `source` ("raw/a.csv"): one line, what and where. */
export function encodingError(source: string, problem: Utf8Problem): DataValidationError {
  const context = { file: source, line: problem.line, offset: problem.offset };
  if (problem.utf16) {
    const order = problem.utf16 === 'FF FE' ? 'little-endian' : 'big-endian';
    return new DataValidationError(`${source} is UTF-16 (${order}, byte order mark ${problem.utf16}), not UTF-8: save it as UTF-8`, { context });
  }
  const what =
    problem.bytes === ''
      ? 'a multi-byte character is cut off by the end of the file'
      : `${problem.bytes.includes(' ') ? 'bytes' : 'byte'} ${problem.bytes} ${problem.bytes.includes(' ') ? 'are' : 'is'} not UTF-8`;
  return new DataValidationError(`${source} line ${problem.line}, byte offset ${problem.offset}: ${what}; save the file as UTF-8`, { context });
}
