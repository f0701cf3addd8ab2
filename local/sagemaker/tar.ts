/**
 * A minimal POSIX ustar writer and reader, with gzip from node:zlib: enough to write
 * model.tar.gz the way SageMaker training jobs do and to read it back (ours, or one written by
 * GNU tar / Python's tarfile, whose pax and long-name headers are skipped or applied).
 *
 * Format (POSIX.1-1988 ustar): each file is a 512-byte header followed by its content padded to
 * a multiple of 512 bytes; the archive ends with two zero blocks. Numeric header fields are
 * octal ASCII terminated by NUL; the checksum is the sum of the header bytes with the checksum
 * field read as eight spaces.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidInputError } from '../../lambdas/core/errors';

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive, "/"-separated, e.g. "model.json". */
  readonly name: string;
  readonly content: Buffer;
  /** Modification time. @default the Unix epoch */
  readonly mtime?: Date;
  /** Permission bits. @default 0o644 */
  readonly mode?: number;
}

/** A tar archive of regular files. Throws InvalidInputError for a name ustar cannot hold. */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    parts.push(entry.content);
    const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function createTarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(createTar(entries));
}

/**
 * The regular files of a tar archive, in order. Directories, links and other entry types are
 * skipped; pax ('x') and GNU long-name ('L') headers set the name of the next entry. Throws
 * InvalidInputError on a bad checksum or a truncated archive, naming the entry's offset.
 */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let nextName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    verifyChecksum(block, offset);
    const size = readOctal(block, 124, 12);
    const type = String.fromCharCode(block[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) {
      throw new InvalidInputError(`tar archive is truncated: the entry at byte ${offset} needs ${size} bytes`, { context: { offset, size } });
    }
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    if (type === 'L') {
      nextName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const name = nextName ?? headerName(block);
    nextName = undefined;
    if (type !== '0' && type !== '\0' && type !== '7') continue;
    entries.push({
      name,
      content: Buffer.from(data),
      mtime: new Date(readOctal(block, 136, 12) * 1000),
      mode: readOctal(block, 100, 8),
    });
  }
  return entries;
}

/** Throws InvalidInputError when the bytes are not gzip or the archive inside is bad. */
export function readTarGz(archive: Buffer): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (error) {
    throw new InvalidInputError('expected a gzip-compressed tar archive (model.tar.gz), the data is not gzip', { cause: error });
  }
  return readTar(tar);
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(entry.name);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, entry.mode ?? 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, entry.content.length);
  writeOctal(block, 136, 12, Math.floor((entry.mtime?.getTime() ?? 0) / 1000));
  block.fill(0x20, 148, 156);
  block.write('0', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

/** ustar keeps names up to 100 bytes, or a prefix of up to 155 bytes plus "/" plus a name. */
function splitName(path: string): { name: string; prefix: string } {
  if (path === '' || path.startsWith('/') || path.split('/').includes('..')) {
    throw new InvalidInputError(`tar entry name must be a relative path without "..", got "${path}"`, { context: { path } });
  }
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new InvalidInputError(`tar entry name is too long for ustar (${Buffer.byteLength(path)} bytes): "${path}"`, { context: { path } });
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) {
    throw new InvalidInputError(`value ${value} does not fit a ${length}-byte tar header field`, { context: { value } });
  }
  block.write(`${digits.padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = block
    .subarray(offset, offset + length)
    .toString('ascii')
    .replace(/[\0 ]+$/, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function headerName(block: Buffer): string {
  const cString = (start: number, length: number) => {
    const raw = block.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? length : end).toString('utf8');
  };
  const name = cString(0, 100);
  const prefix = block.toString('ascii', 257, 262) === 'ustar' ? cString(345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function verifyChecksum(block: Buffer, offset: number): void {
  const stored = readOctal(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  if (sum !== stored) {
    throw new InvalidInputError(`tar header at byte ${offset} has a bad checksum (stored ${stored}, computed ${sum})`, {
      context: { offset },
    });
  }
}

/** The "path" record of a pax extended header ("<length> path=<value>\n" records). */
function paxPath(data: Buffer): string | undefined {
  const text = data.toString('utf8');
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
  return match?.[1];
}
