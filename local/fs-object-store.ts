/**
 * The data bucket of local mode: a directory on disk. A key maps to a file under the root
 * ("runs/r1/manifest.json" -> <root>/runs/r1/manifest.json). Like S3: listing is in UTF-8 binary
 * key order, 1,000 keys a page (ListObjectsV2), ETags are the quoted MD5 of the content, and a
 * reader never sees half an object — writes go to a temporary file that is renamed into place.
 * Not versioned: versionId is always undefined.
 *
 * S3 keys are flat strings; "/" means nothing to S3. So keys a directory tree cannot spell as
 * they are get an escaped path segment: an empty segment — a folder marker "raw/" (the zero-byte
 * object the S3 console's "Create folder" makes), "raw//a.csv", a leading "/" — is a file named
 * "%" or a directory named "%_", and a segment starting with "%" (or the top-level segment
 * ".retrain-tmp") gets "%%" in front. So "raw/" (file raw/%), "raw//x.csv" (raw/%_/x.csv) and
 * "raw/a.csv" coexist, as in S3; any other name is its own segment, so files dropped into the
 * directory by hand are objects. What a tree still cannot hold: an object "a" beside objects
 * under "a/" (one path would be both a file and a directory); writing the second is refused
 * with a message saying so.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../lambdas/adapters/ports';
import { ConditionFailedError, InvalidInputError, NotFoundError } from '../lambdas/core/errors';

/** Directory under the root for files being written; never listed (a key that starts with it is escaped). */
export const TEMP_DIR = '.retrain-tmp';

/** ListObjectsV2 returns "up to 1,000 key names" a page, never more, whatever MaxKeys asks (Amazon S3 API Reference, ListObjectsV2). */
export const LIST_PAGE_KEYS = 1000;

/** "The name for a key is a sequence of Unicode characters whose UTF-8 encoding is at most 1,024 bytes long" (Amazon S3 User Guide, "Naming Amazon S3 objects"). */
export const KEY_MAX_BYTES = 1024;

/** One ListObjectsV2 page. */
export interface ListPage {
  readonly keys: string[];
  /** Set when more keys follow: pass it back as continuationToken. */
  readonly nextContinuationToken?: string;
}

export type LocalObjectStore = ObjectStore & {
  /** One page of keys under the prefix after the token, as ListObjectsV2 pages them. */
  listPage(prefix: string, options?: { maxKeys?: number; continuationToken?: string }): Promise<ListPage>;
};

export function createFsObjectStore(rootDir: string): LocalObjectStore {
  return new FsObjectStore(resolve(rootDir));
}

/** The file that holds an object's bytes (for callers that stamp its modification time). */
export function objectPath(rootDir: string, key: string): string {
  checkKey(key);
  return join(resolve(rootDir), ...encodeSegments(key.split('/'), 'file'));
}

interface CachedEtag {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly etag: string;
}

class FsObjectStore implements ObjectStore {
  /** ETags by path, valid while size, mtime and inode are unchanged (MD5 of a large file is slow). */
  private readonly etags = new Map<string, CachedEtag>();

  constructor(private readonly root: string) {}

  /** Page by page, as the S3 adapter's paginator reads ListObjectsV2: keys written meanwhile past the current page are seen. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const page = await this.listPage(prefix, { continuationToken });
      for (const key of page.keys) {
        const info = await this.head(key);
        // A file removed between the walk and now is simply not listed, as in S3.
        if (info) yield info;
      }
      continuationToken = page.nextContinuationToken;
    } while (continuationToken !== undefined);
  }

  async listPage(prefix: string, options: { maxKeys?: number; continuationToken?: string } = {}): Promise<ListPage> {
    if (prefix !== '') checkKey(prefix, { prefix: true });
    const maxKeys = Math.min(options.maxKeys ?? LIST_PAGE_KEYS, LIST_PAGE_KEYS);
    const startAfter = options.continuationToken === undefined ? undefined : decodeToken(options.continuationToken);
    // Walk only the deepest directory the prefix names; filter the rest by string prefix.
    const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    await this.walk(dirKey, keys, { prefix, startAfter });
    const matching = keys.filter((key) => key.startsWith(prefix) && (startAfter === undefined || compareKeys(key, startAfter) > 0)).sort(compareKeys);
    const page = matching.slice(0, maxKeys);
    return matching.length > maxKeys ? { keys: page, nextContinuationToken: encodeToken(page[page.length - 1]) } : { keys: page };
  }

  async read(key: string, options: { versionId?: string; ifMatch?: string } = {}): Promise<ObjectBody> {
    checkKey(key);
    if (options.versionId !== undefined && options.versionId !== 'null') {
      throw new InvalidInputError(`${key}: the local object store is not versioned (asked for version ${options.versionId})`, {
        context: { key, versionId: options.versionId },
      });
    }
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw notFoundOr(error, key);
    }
    try {
      // The handle pins this version of the file: a later write renames a new file into place.
      const stats = await handle.stat();
      if (!stats.isFile()) throw new NotFoundError(`object ${key} does not exist`, { context: { key } });
      const etag = await this.etagOf(path, stats, handle);
      if (options.ifMatch !== undefined && options.ifMatch !== etag) {
        throw new ConditionFailedError(`${key} changed since it was listed: ETag is ${etag}, expected ${options.ifMatch}`, {
          context: { key, etag, ifMatch: options.ifMatch },
        });
      }
      // autoClose: the handle is closed when the stream ends or is destroyed.
      return { body: handle.createReadStream({ start: 0, autoClose: true }), etag };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    const path = this.pathOf(key);
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (!stats.isFile()) return undefined;
    return { key, size: stats.size, etag: await this.etagOf(path, stats), lastModified: stats.mtime };
  }

  async write(key: string, body: string | Uint8Array | Readable, _options?: { contentType?: string }): Promise<void> {
    // A stream may fail before the pipeline below listens to it; pipeline still reports that
    // error (the stream keeps it), this listener only keeps it from going unhandled meanwhile.
    if (body instanceof Readable) body.on('error', () => undefined);
    checkKey(key);
    const path = this.pathOf(key);
    const tempDir = join(this.root, TEMP_DIR);
    try {
      await Promise.all([mkdir(join(path, '..'), { recursive: true }), mkdir(tempDir, { recursive: true })]);
    } catch (error) {
      throw fileDirectoryClash(error, key);
    }
    const temp = join(tempDir, `${randomBytes(8).toString('hex')}.part`);
    const hash = createHash('md5');
    try {
      if (body instanceof Readable) {
        await pipeline(
          body,
          async function* (source: AsyncIterable<Buffer | string>) {
            for await (const chunk of source) {
              hash.update(chunk);
              yield chunk;
            }
          },
          createWriteStream(temp),
        );
      } else {
        hash.update(body);
        await writeFile(temp, body);
      }
      const stats = await stat(temp);
      try {
        await rename(temp, path);
      } catch (error) {
        throw fileDirectoryClash(error, key);
      }
      this.etags.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, etag: `"${hash.digest('hex')}"` });
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private pathOf(key: string): string {
    const path = join(this.root, ...encodeSegments(key.split('/'), 'file'));
    if (!path.startsWith(this.root + sep)) {
      throw new InvalidInputError(`key ${JSON.stringify(key)} is outside the store`, { context: { key } });
    }
    return path;
  }

  /**
   * Collects the keys of every file under the directory of `dirKey` ("" = the root), skipping
   * directories whose keys can neither match the prefix nor come after `startAfter`.
   */
  private async walk(dirKey: string, keys: string[], bounds: { prefix: string; startAfter?: string }): Promise<void> {
    const dir = dirKey === '' ? this.root : join(this.root, ...encodeSegments(dirKey.slice(0, -1).split('/'), 'directory'));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (dirKey === '' && entry.name === TEMP_DIR) continue;
      const key = `${dirKey}${decodeSegment(entry.name, entry.isDirectory() ? 'directory' : 'file')}`;
      if (entry.isDirectory()) {
        const under = `${key}/`;
        const canMatch = under.startsWith(bounds.prefix) || bounds.prefix.startsWith(under);
        const allBefore = bounds.startAfter !== undefined && compareKeys(under, bounds.startAfter) < 0 && !bounds.startAfter.startsWith(under);
        if (canMatch && !allBefore) await this.walk(under, keys, bounds);
      } else if (entry.isFile()) keys.push(key);
    }
  }

  private async etagOf(path: string, stats: Stats, handle?: FileHandle): Promise<string> {
    const cached = this.etags.get(path);
    if (cached && cached.size === stats.size && cached.mtimeMs === stats.mtimeMs && cached.ino === stats.ino) return cached.etag;
    const file = handle ?? (await open(path, 'r'));
    let etag: string;
    try {
      etag = `"${await md5Of(file)}"`;
    } finally {
      if (!handle) await file.close();
    }
    this.etags.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, etag });
    return etag;
  }
}

/** MD5 (hex) of an open file's content, read with positioned reads so the handle stays usable. */
async function md5Of(file: FileHandle): Promise<string> {
  const hash = createHash('md5');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let position = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

/**
 * Keys S3 accepts (1 to 1,024 UTF-8 bytes), empty segments included ("raw/", "raw//a.csv"),
 * less what a path on disk cannot carry safely: a "." or ".." segment, a backslash, a NUL.
 */
function checkKey(key: string, options: { prefix?: boolean } = {}): void {
  const segments = key.split('/');
  const bad =
    key === '' ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((s) => s === '.' || s === '..');
  if (bad) throw new InvalidInputError(`invalid object key ${JSON.stringify(key)}`, { context: { key } });
  if (!options.prefix && Buffer.byteLength(key, 'utf8') > KEY_MAX_BYTES) {
    throw new InvalidInputError(`object key of ${Buffer.byteLength(key, 'utf8')} bytes: S3 allows at most ${KEY_MAX_BYTES} (UTF-8)`, { context: { key: key.slice(0, 80) } });
  }
}

const EMPTY_FILE = '%';
const EMPTY_DIRECTORY = '%_';
const ESCAPE = '%%';

/**
 * Path segments for a key's segments (see the file comment): every segment but the last is a
 * directory; the last is the object's file, or a directory too when `last` says so.
 */
function encodeSegments(segments: readonly string[], last: 'file' | 'directory'): string[] {
  return segments.map((segment, i) => {
    if (segment === '') return i === segments.length - 1 && last === 'file' ? EMPTY_FILE : EMPTY_DIRECTORY;
    return segment.startsWith('%') || (i === 0 && segment === TEMP_DIR) ? `${ESCAPE}${segment}` : segment;
  });
}

function decodeSegment(name: string, kind: 'file' | 'directory'): string {
  if (name === (kind === 'file' ? EMPTY_FILE : EMPTY_DIRECTORY)) return '';
  return name.startsWith(ESCAPE) ? name.slice(ESCAPE.length) : name;
}

/** The continuation token: opaque to callers, as S3's is; here the last key of the page. */
function encodeToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** A key whose path is a directory (or under a file) of another key: S3 has no such clash, a tree does. */
function fileDirectoryClash(error: unknown, key: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG') {
    return new InvalidInputError(`object key ${JSON.stringify(key.slice(0, 80))}...: a segment between slashes is longer than the local file system allows (255 bytes)`, {
      cause: error,
      context: { key: key.slice(0, 80) },
    });
  }
  if (code !== 'EISDIR' && code !== 'ENOTDIR' && code !== 'EEXIST' && code !== 'ENOTEMPTY') return error;
  return new InvalidInputError(
    `object key ${JSON.stringify(key)}: the local store cannot hold an object "a" beside objects under "a/" (S3 can); rename one of them`,
    { cause: error, context: { key } },
  );
}

/** S3 lists keys in the order of their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function notFoundOr(error: unknown, key: string): unknown {
  if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') {
    return new NotFoundError(`object ${key} does not exist`, { cause: error, context: { key } });
  }
  return error;
}
