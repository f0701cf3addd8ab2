/**
 * The data bucket of local mode: a directory on disk. A key maps to a file under the root
 * ("runs/r1/manifest.json" -> <root>/runs/r1/manifest.json). Like S3: listing is in key order,
 * ETags are the quoted MD5 of the content, and a reader never sees half an object — writes go to
 * a temporary file that is renamed into place. Not versioned: versionId is always undefined.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../lambdas/adapters/ports';
import { ConditionFailedError, InvalidInputError, NotFoundError } from '../lambdas/core/errors';

/** Directory under the root for files being written; never listed, never a key. */
export const TEMP_DIR = '.retrain-tmp';

export function createFsObjectStore(rootDir: string): ObjectStore {
  return new FsObjectStore(resolve(rootDir));
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

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix !== '') checkKey(prefix, { prefix: true });
    // Walk only the deepest directory the prefix names; filter the rest by string prefix.
    const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    await this.walk(dirKey, keys);
    const matching = keys.filter((key) => key.startsWith(prefix)).sort(compareKeys);
    for (const key of matching) {
      const info = await this.head(key);
      // A file removed between the walk and now is simply not listed, as in S3.
      if (info) yield info;
    }
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
    await Promise.all([mkdir(join(path, '..'), { recursive: true }), mkdir(tempDir, { recursive: true })]);
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
      await rename(temp, path);
      this.etags.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, etag: `"${hash.digest('hex')}"` });
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private pathOf(key: string): string {
    const path = join(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) {
      throw new InvalidInputError(`key ${JSON.stringify(key)} is outside the store`, { context: { key } });
    }
    return path;
  }

  /** Collects the keys of every file under the directory of `dirKey` ("" = the root). */
  private async walk(dirKey: string, keys: string[]): Promise<void> {
    const dir = dirKey === '' ? this.root : this.pathOf(dirKey.slice(0, -1));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (dirKey === '' && entry.name === TEMP_DIR) continue;
      const key = `${dirKey}${entry.name}`;
      if (entry.isDirectory()) await this.walk(`${key}/`, keys);
      else if (entry.isFile()) keys.push(key);
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
 * Keys are relative paths of "/"-separated segments: no empty, "." or ".." segment, no
 * backslash or NUL, and not under the store's temporary directory. A prefix may end in "/".
 */
function checkKey(key: string, options: { prefix?: boolean } = {}): void {
  const segments = key.split('/');
  if (options.prefix && segments[segments.length - 1] === '') segments.pop();
  const bad =
    key === '' ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    segments[0] === TEMP_DIR;
  if (bad) throw new InvalidInputError(`invalid object key ${JSON.stringify(key)}`, { context: { key } });
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
