import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import type { ObjectInfo, ObjectStore } from '../../../lambdas/adapters/ports';
import { createS3ObjectStore, UPLOAD_PART_SIZE } from '../../../lambdas/adapters/s3-object-store';
import { ConditionFailedError, NotFoundError, TransientError } from '../../../lambdas/core/errors';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';
import { sentCommandProblems } from '../../helpers/api-model';

const BUCKET = 'retrain-data';

async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const object of store.list(prefix)) objects.push(object);
  return objects;
}

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function serviceError(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: name });
}

/** A stream of `bytes` bytes in 64 KiB chunks, produced on demand. */
function streamOf(bytes: number, fill = 'a'): Readable {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, chunk.length);
      left -= size;
      this.push(chunk.subarray(0, size));
    },
  });
}

describe('s3 object store (SDK calls)', () => {
  let client: S3Client;
  let s3: AwsClientStub<S3Client>;
  let store: ObjectStore;

  beforeEach(() => {
    client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    s3 = mockClient(client);
    store = createS3ObjectStore(client, BUCKET);
  });

  afterEach(() => {
    // Every command a test sends must be one the service's API model accepts.
    const problems = sentCommandProblems(s3);
    s3.restore();
    expect(problems).toEqual([]);
  });

  describe('list', () => {
    it('pages through ListObjectsV2 and yields every object in key order', async () => {
      const modified = new Date('2024-05-01T10:00:00Z');
      s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
        Contents: [{ Key: 'raw/a.csv', Size: 10, ETag: '"e1"', LastModified: modified }],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'page-2' }).resolves({
        Contents: [{ Key: 'raw/b.csv', Size: 0, ETag: '"e2"', LastModified: modified }],
        IsTruncated: false,
      });

      const objects = await listAll(store, 'raw/');

      expect(objects).toEqual([
        { key: 'raw/a.csv', size: 10, etag: '"e1"', lastModified: modified },
        { key: 'raw/b.csv', size: 0, etag: '"e2"', lastModified: modified },
      ]);
      expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'raw/' });
      expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'raw/', ContinuationToken: 'page-2' });
    });

    it('yields nothing for an empty prefix', async () => {
      s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

      expect(await listAll(store, 'raw/')).toEqual([]);
    });

    it('maps a throttled listing to a TransientError', async () => {
      s3.on(ListObjectsV2Command).rejects(serviceError('SlowDown', 503));

      await expect(listAll(store, 'raw/')).rejects.toBeInstanceOf(TransientError);
    });
  });

  describe('read', () => {
    it('gets the object with the version and ETag condition and returns its stream, version and ETag', async () => {
      s3.on(GetObjectCommand).resolves({
        // In Node.js the SDK's body is an http.IncomingMessage, a Readable.
        Body: Readable.from([Buffer.from('a,b\n1,2\n')]) as unknown as GetObjectCommandOutput['Body'],
        VersionId: 'v7',
        ETag: '"e1"',
      });

      const read = await store.read('raw/a.csv', { versionId: 'v7', ifMatch: '"e1"' });

      expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: 'raw/a.csv', VersionId: 'v7', IfMatch: '"e1"' });
      expect(read.versionId).toBe('v7');
      expect(read.etag).toBe('"e1"');
      expect((await bytesOf(read.body)).toString()).toBe('a,b\n1,2\n');
    });

    it('throws ConditionFailedError naming the object when it changed since it was listed (412)', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('PreconditionFailed', 412));

      const read = store.read('raw/a.csv', { ifMatch: '"e1"' });

      await expect(read).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(read).rejects.toThrow('s3://retrain-data/raw/a.csv changed since it was listed: its ETag is no longer "e1"');
    });

    it('throws NotFoundError for a missing key', async () => {
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }));

      await expect(store.read('raw/none.csv')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('throws AwsRequestError when access is denied', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));

      await expect(store.read('raw/a.csv')).rejects.toBeInstanceOf(AwsRequestError);
    });
  });

  describe('head', () => {
    it('returns size, ETag, version and modification time', async () => {
      const modified = new Date('2024-05-01T10:00:00Z');
      s3.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"e1"', VersionId: 'v1', LastModified: modified });

      expect(await store.head('runs/r1/model.tar.gz')).toEqual({
        key: 'runs/r1/model.tar.gz',
        size: 42,
        etag: '"e1"',
        versionId: 'v1',
        lastModified: modified,
      });
      expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: 'runs/r1/model.tar.gz' });
    });

    it('returns undefined when the object does not exist (404)', async () => {
      s3.on(HeadObjectCommand).rejects(new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'Not Found' }));

      expect(await store.head('runs/none')).toBeUndefined();
    });

    it('throws on other errors', async () => {
      s3.on(HeadObjectCommand).rejects(serviceError('AccessDenied', 403));

      await expect(store.head('runs/r1/x')).rejects.toBeInstanceOf(AwsRequestError);
    });
  });

  describe('write', () => {
    it('puts a string in one request with its content type', async () => {
      s3.on(PutObjectCommand).resolves({ ETag: '"e"' });

      await store.write('runs/r1/manifest.json', '{}', { contentType: 'application/json' });

      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: BUCKET,
        Key: 'runs/r1/manifest.json',
        Body: '{}',
        ContentType: 'application/json',
      });
      expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    });

    it('puts bytes in one request', async () => {
      s3.on(PutObjectCommand).resolves({});

      await store.write('runs/r1/x.bin', new Uint8Array([1, 2, 3]));

      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: 'runs/r1/x.bin', Body: new Uint8Array([1, 2, 3]) });
    });

    it('uploads a stream larger than a part in parts of UPLOAD_PART_SIZE', async () => {
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
      s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }));
      s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done-3"' });

      await store.write('runs/r1/data/train.csv', streamOf(2 * UPLOAD_PART_SIZE + 1000), { contentType: 'text/csv' });

      expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, { Bucket: BUCKET, Key: 'runs/r1/data/train.csv', ContentType: 'text/csv' });
      expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, 3);
      const sizes = s3.commandCalls(UploadPartCommand).map((call) => (call.args[0].input.Body as Uint8Array).byteLength);
      expect(sizes.sort((a, b) => b - a)).toEqual([UPLOAD_PART_SIZE, UPLOAD_PART_SIZE, 1000]);
      expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
        Bucket: BUCKET,
        Key: 'runs/r1/data/train.csv',
        UploadId: 'u1',
        MultipartUpload: { Parts: [{ ETag: '"p1"', PartNumber: 1 }, { ETag: '"p2"', PartNumber: 2 }, { ETag: '"p3"', PartNumber: 3 }] },
      });
    });

    it('uploads a stream smaller than a part with one PutObject', async () => {
      s3.on(PutObjectCommand).resolves({});

      await store.write('runs/r1/data/test.csv', Readable.from([Buffer.from('1,2\n')]), { contentType: 'text/csv' });

      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: 'runs/r1/data/test.csv', ContentType: 'text/csv' });
      expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    });

    it('aborts the multipart upload when the stream fails, leaving no parts behind', async () => {
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
      s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
      s3.on(AbortMultipartUploadCommand).resolves({});
      const body = new PassThrough();
      const written = store.write('runs/r1/data/train.csv', body);
      body.write(Buffer.alloc(UPLOAD_PART_SIZE + 10, 'x'));
      await new Promise((resolve) => setImmediate(resolve));
      body.destroy(new Error('ETL failed'));

      await expect(written).rejects.toThrow('ETL failed');
      expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    });

    it('maps a failed put to a typed error', async () => {
      s3.on(PutObjectCommand).rejects(serviceError('InternalError', 500));

      await expect(store.write('runs/r1/x.json', '{}')).rejects.toBeInstanceOf(TransientError);
    });
  });
});

describe('s3 object store (against s3rver)', () => {
  let server: S3rverHandle;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3rver();
    await server.createBucket(BUCKET);
    store = createS3ObjectStore(server.client(), BUCKET);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('round-trips a string and reports its ETag', async () => {
    await store.write('runs/r1/manifest.json', '{"ok":true}', { contentType: 'application/json' });

    const read = await store.read('runs/r1/manifest.json');

    expect((await bytesOf(read.body)).toString()).toBe('{"ok":true}');
    expect(read.etag).toBe(`"${createHash('md5').update('{"ok":true}').digest('hex')}"`);
  });

  it('streams a multipart upload and reads the same bytes back as a stream', async () => {
    const size = UPLOAD_PART_SIZE + 123_456;
    const expected = createHash('md5');
    const source = streamOf(size, 'z').on('data', (chunk: Buffer) => expected.update(chunk));

    await store.write('runs/r1/data/train.csv', source, { contentType: 'text/csv' });
    const read = await store.read('runs/r1/data/train.csv');
    const actual = createHash('md5');
    let length = 0;
    for await (const chunk of read.body) {
      actual.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }

    expect(length).toBe(size);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
  });

  it('lists objects under a prefix in key order with sizes', async () => {
    await store.write('raw/b.csv', 'b\n');
    await store.write('raw/a.csv', 'a\n');
    await store.write('raw/_SUCCESS', '');

    const objects = await listAll(store, 'raw/');

    expect(objects.map((o) => [o.key, o.size])).toEqual([
      ['raw/_SUCCESS', 0],
      ['raw/a.csv', 2],
      ['raw/b.csv', 2],
    ]);
    expect(objects.every((o) => /^"[0-9a-f]{32}"$/.test(o.etag))).toBe(true);
  });

  it('reads with the listed ETag as If-Match', async () => {
    await store.write('raw/c.csv', 'c\n');
    const listed = (await listAll(store, 'raw/c.csv'))[0];

    const read = await store.read('raw/c.csv', { ifMatch: listed.etag });

    expect((await bytesOf(read.body)).toString()).toBe('c\n');
  });

  it('throws NotFoundError reading a missing key and head returns undefined', async () => {
    await expect(store.read('raw/none.csv')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.head('raw/none.csv')).toBeUndefined();
  });

  it('heads an existing object', async () => {
    await store.write('runs/r1/h.txt', 'hello');

    expect(await store.head('runs/r1/h.txt')).toMatchObject({ key: 'runs/r1/h.txt', size: 5 });
  });
});
