import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore } from '../../../lambdas/adapters/ports';
import { ConditionFailedError, InvalidInputError, NotFoundError } from '../../../lambdas/core/errors';
import { createFsObjectStore, TEMP_DIR } from '../../../local/fs-object-store';

async function text(store: ObjectStore, key: string, options?: { ifMatch?: string }): Promise<string> {
  const { body } = await store.read(key, options);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const object of store.list(prefix)) objects.push(object);
  return objects;
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const md5 = (content: string) => `"${createHash('md5').update(content).digest('hex')}"`;

describe('fs object store', () => {
  let root: string;
  let store: ObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-store-'));
    store = createFsObjectStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('write and read', () => {
    it('stores a key as a file under the root and reads it back', async () => {
      await store.write('runs/r1/manifest.json', '{"a":1}');

      expect(await readFile(join(root, 'runs', 'r1', 'manifest.json'), 'utf8')).toBe('{"a":1}');
      expect(await text(store, 'runs/r1/manifest.json')).toBe('{"a":1}');
    });

    it('writes bytes', async () => {
      await store.write('a/b.bin', new Uint8Array([104, 105]));

      expect(await text(store, 'a/b.bin')).toBe('hi');
    });

    it('writes a stream as it is produced', async () => {
      const body = new PassThrough();
      const written = store.write('runs/r1/data/train.csv', body);
      body.write('1,2\n');
      body.end('3,4\n');
      await written;

      expect(await text(store, 'runs/r1/data/train.csv')).toBe('1,2\n3,4\n');
    });

    it('never shows a half-written object: the key appears only when the stream ends', async () => {
      await store.write('data.csv', 'old\n');
      const body = new PassThrough();
      const written = store.write('data.csv', body);
      body.write('new first half\n');
      await new Promise((resolve) => setImmediate(resolve));

      expect(await text(store, 'data.csv')).toBe('old\n');

      body.end('new second half\n');
      await written;
      expect(await text(store, 'data.csv')).toBe('new first half\nnew second half\n');
    });

    it('leaves no object and no temporary file when the stream fails', async () => {
      const body = new PassThrough();
      const written = store.write('broken.csv', body);
      body.write('partial');
      body.destroy(new Error('producer failed'));

      await expect(written).rejects.toThrow('producer failed');
      expect(await store.head('broken.csv')).toBeUndefined();
      expect(await readdir(join(root, TEMP_DIR))).toEqual([]);
    });

    it('throws NotFoundError for a key that does not exist', async () => {
      await expect(store.read('raw/missing.csv')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('throws NotFoundError when the key is a directory', async () => {
      await store.write('raw/a.csv', 'x');

      await expect(store.read('raw')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('reports the ETag of what it read', async () => {
      await store.write('a.txt', 'hello');

      const { body, etag, versionId } = await store.read('a.txt');
      body.destroy();

      expect(etag).toBe(md5('hello'));
      expect(versionId).toBeUndefined();
    });

    it('rejects a version id: the local store is not versioned', async () => {
      await store.write('a.txt', 'hello');

      await expect(store.read('a.txt', { versionId: 'v1' })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe('conditional reads', () => {
    it('reads when the ETag still matches', async () => {
      await store.write('raw/a.csv', 'a\n1\n');
      const [listed] = await listAll(store, 'raw/');

      expect(await text(store, 'raw/a.csv', { ifMatch: listed.etag })).toBe('a\n1\n');
    });

    it('throws ConditionFailedError when the object changed since it was listed', async () => {
      await store.write('raw/a.csv', 'a\n1\n');
      const [listed] = await listAll(store, 'raw/');
      await store.write('raw/a.csv', 'a\n2\n');

      const read = store.read('raw/a.csv', { ifMatch: listed.etag });

      await expect(read).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(read).rejects.toThrow(/raw\/a\.csv changed since it was listed/);
    });

    it('sees a change made by another writer (not through this store)', async () => {
      await store.write('raw/a.csv', 'a\n1\n');
      const [listed] = await listAll(store, 'raw/');
      await writeFile(join(root, 'raw', 'a.csv'), 'a\n1\n2\n');

      await expect(store.read('raw/a.csv', { ifMatch: listed.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    });

    it('keeps streaming the version it opened when the object is replaced meanwhile', async () => {
      await store.write('raw/a.csv', 'old content\n');
      const { body } = await store.read('raw/a.csv');
      await store.write('raw/a.csv', 'new content\n');

      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);

      expect(Buffer.concat(chunks).toString()).toBe('old content\n');
    });
  });

  describe('list and head', () => {
    it('lists every object under the prefix recursively, in key order, like S3', async () => {
      for (const key of ['raw/b.csv', 'raw/2024/01/x.csv', 'raw/a.csv', 'raw/A.csv', 'rawfile.csv', 'runs/r1/x.json']) {
        await store.write(key, key);
      }

      const keys = (await listAll(store, 'raw/')).map((o) => o.key);

      expect(keys).toEqual(['raw/2024/01/x.csv', 'raw/A.csv', 'raw/a.csv', 'raw/b.csv']);
    });

    it('matches a prefix that is not a whole directory name', async () => {
      await store.write('raw/data-1.csv', '1');
      await store.write('raw/data-2.csv', '2');
      await store.write('raw/other.csv', '3');

      expect((await listAll(store, 'raw/data-')).map((o) => o.key)).toEqual(['raw/data-1.csv', 'raw/data-2.csv']);
    });

    it('lists nothing under a prefix that does not exist', async () => {
      expect(await listAll(store, 'nothing/')).toEqual([]);
    });

    it('gives size, quoted MD5 ETag and modification time, and no version', async () => {
      await store.write('raw/a.csv', 'abc');

      const [object] = await listAll(store, 'raw/');

      expect(object).toMatchObject({ key: 'raw/a.csv', size: 3, etag: md5('abc') });
      expect(object.versionId).toBeUndefined();
      expect(object.lastModified.getTime()).toBe((await stat(join(root, 'raw', 'a.csv'))).mtime.getTime());
      expect(await store.head('raw/a.csv')).toEqual(object);
    });

    it('lists an empty file as a 0-byte object', async () => {
      await store.write('raw/_SUCCESS', '');

      expect(await listAll(store, 'raw/')).toEqual([expect.objectContaining({ key: 'raw/_SUCCESS', size: 0 })]);
    });

    it('does not list files being written', async () => {
      const body = new PassThrough();
      const written = store.write('raw/a.csv', body);
      body.write('partial');
      await new Promise((resolve) => setImmediate(resolve));

      expect(await listAll(store, '')).toEqual([]);

      body.end();
      await written;
      expect((await listAll(store, '')).map((o) => o.key)).toEqual(['raw/a.csv']);
    });

    it('returns undefined from head for a missing object', async () => {
      expect(await store.head('raw/none.csv')).toBeUndefined();
    });
  });

  describe('keys', () => {
    it.each(['../outside.txt', 'raw/../../outside.txt', 'raw/./a.csv', 'raw\\..\\x', ''])(
      'rejects the key %j',
      async (key) => {
        await expect(store.write(key, 'x')).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.read(key)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidInputError);
      },
    );

    it('accepts the keys S3 accepts that a path cannot spell as they are, and keeps them inside the root', async () => {
      // S3 keys are flat strings: empty segments, a leading "/" and a first segment named like
      // the store's temporary directory are all ordinary keys (Amazon S3 User Guide, "Naming Amazon S3 objects").
      // A root of its own inside a private directory: the shared temp directory changes under
      // other tests running at the same time.
      const parent = await mkdtemp(join(tmpdir(), 'fs-store-parent-'));
      store = createFsObjectStore(join(parent, 'bucket'));
      const keys = ['/etc/passwd', 'raw//a.csv', 'raw///b.csv', `${TEMP_DIR}/x`, '%41.csv', 'raw/%'];

      for (const key of keys) await store.write(key, `content of ${key}`);

      for (const key of keys) expect(await text(store, key)).toBe(`content of ${key}`);
      expect((await listAll(store, '')).map((o) => o.key)).toEqual([...keys].sort(utf8Order));
      expect(await readdir(parent)).toEqual(['bucket']);
      await rm(parent, { recursive: true, force: true });
    });

    it('rejects a key longer than the 1,024 UTF-8 bytes S3 allows', async () => {
      // "é" is 2 bytes in UTF-8: a key of 1,026 bytes has far fewer characters.
      const segment = 'é'.repeat(100);
      const fits = `${Array(5).fill(segment).join('/')}/${'é'.repeat(9)}x`; // 5 x 200 + 5 + 19 = 1,024 bytes
      await expect(store.write(`${fits}yz`, 'x')).rejects.toThrow(/1026 bytes: S3 allows at most 1024/);
      await store.write(fits, 'x');
      expect(await text(store, fits)).toBe('x');
    });

    it('never writes outside the root', async () => {
      const parent = join(root, '..');
      const before = await readdir(parent);

      await expect(store.write('../escaped.txt', 'x')).rejects.toThrow(/invalid object key/);
      expect(await readdir(parent)).toEqual(before);
      expect(existsSync(join(parent, 'escaped.txt'))).toBe(false);
    });

    it('rejects a traversing prefix when listing', async () => {
      await mkdir(join(root, 'raw'), { recursive: true });

      await expect(listAll(store, '../')).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe('folder markers and double slashes', () => {
    it('keeps a folder marker and the objects under it side by side, as S3 does', async () => {
      // The S3 console's "Create folder" writes a zero-byte object whose key ends in "/".
      await store.write('raw/', '');
      await store.write('raw/a.csv', 'a');
      await store.write('raw//x.csv', 'x');
      await store.write('raw/sub/', '');

      expect((await listAll(store, 'raw/')).map((o) => [o.key, o.size])).toEqual([
        ['raw/', 0],
        ['raw//x.csv', 1],
        ['raw/a.csv', 1],
        ['raw/sub/', 0],
      ]);
      expect(await store.head('raw/')).toMatchObject({ key: 'raw/', size: 0, etag: md5('') });
      expect(await text(store, 'raw/')).toBe('');
      expect(await text(store, 'raw//x.csv')).toBe('x');
      expect((await listAll(store, 'raw//')).map((o) => o.key)).toEqual(['raw//x.csv']);
    });

    it('refuses an object "a" beside objects under "a/" with a message that says why', async () => {
      await store.write('raw/a.csv/part-1', '1');

      await expect(store.write('raw/a.csv', 'x')).rejects.toThrow(/cannot hold an object "a" beside objects under "a\/"/);
    });
  });

  describe('listing pages', () => {
    it('lists in UTF-8 binary order, which differs from UTF-16 order for characters beyond the BMP', async () => {
      // U+FF61 is EF BD A1 in UTF-8 and FF61 in UTF-16; U+1F600 is F0 9F 98 80 in UTF-8 and
      // D83D DE00 in UTF-16: UTF-16 (JavaScript's <) puts the emoji first, UTF-8 puts it last.
      // "List results are always returned in UTF-8 binary order" (Amazon S3 API Reference, ListObjectsV2).
      const keys = ['k/\u{1F600}.csv', 'k/\uFF61.csv', 'k/z.csv', 'k/\u00E9.csv'];
      for (const key of keys) await store.write(key, key);

      expect((await listAll(store, 'k/')).map((o) => o.key)).toEqual(['k/z.csv', 'k/\u00E9.csv', 'k/\uFF61.csv', 'k/\u{1F600}.csv']);
      expect(['k/\u{1F600}.csv', 'k/\uFF61.csv'].sort()).toEqual(['k/\u{1F600}.csv', 'k/\uFF61.csv']);
    });

    it('pages 1,000 keys at a time with a continuation token, and lists all of them', async () => {
      const names = Array.from({ length: 1203 }, (_, i) => `many/${String(i).padStart(4, '0')}.csv`);
      await Promise.all(names.map((key) => store.write(key, '')));
      const pages = store as unknown as { listPage: (prefix: string, options?: { maxKeys?: number; continuationToken?: string }) => Promise<{ keys: string[]; nextContinuationToken?: string }> };

      // MaxKeys above 1,000 still returns at most 1,000 ("will never contain more", ListObjectsV2).
      const first = await pages.listPage('many/', { maxKeys: 5000 });
      const second = await pages.listPage('many/', { continuationToken: first.nextContinuationToken });

      expect(first.keys).toEqual(names.slice(0, 1000));
      expect(first.nextContinuationToken).toEqual(expect.any(String));
      expect(second.keys).toEqual(names.slice(1000));
      expect(second.nextContinuationToken).toBeUndefined();
      expect((await listAll(store, 'many/')).map((o) => o.key)).toEqual(names);
    });

    it('sees a key written after the current page while listing, as S3 does', async () => {
      const names = Array.from({ length: 1001 }, (_, i) => `grow/${String(i).padStart(4, '0')}.csv`);
      await Promise.all(names.map((key) => store.write(key, '')));

      const seen: string[] = [];
      for await (const object of store.list('grow/')) {
        if (seen.length === 0) await store.write('grow/9999.csv', '');
        seen.push(object.key);
      }

      expect(seen).toEqual([...names, 'grow/9999.csv']);
    });
  });

  it('reads a stream that was written from a Readable of Buffers', async () => {
    await store.write('x.bin', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));

    expect(await text(store, 'x.bin')).toBe('abcd');
    expect((await store.head('x.bin'))?.etag).toBe(md5('abcd'));
  });
});
