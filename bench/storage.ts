/**
 * Where benchmark data lives: generated files under bench/.data (removed afterwards) and a local
 * S3 API (s3rver in a child process of its own, test/helpers/s3rver.ts) that the measured code
 * reads from and writes to through the project's real S3 adapter.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../lambdas/adapters/ports';
import { createS3ObjectStore } from '../lambdas/adapters/s3-object-store';
import { startS3rverProcess, type S3rverHandle } from '../test/helpers/s3rver';

/** Generated files; removed when the run ends. */
export const DATA_DIR = join(__dirname, '.data');
export const BUCKET = 'bench-data';

export interface BenchServer {
  readonly endpoint: string;
  readonly bucket: string;
  readonly client: S3Client;
  readonly store: ObjectStore;
  stop(): Promise<void>;
}

export async function startServer(): Promise<BenchServer> {
  const handle: S3rverHandle = await startS3rverProcess();
  await handle.createBucket(BUCKET);
  const client = handle.client();
  return { endpoint: handle.endpoint, bucket: BUCKET, client, store: createS3ObjectStore(client, BUCKET), stop: () => handle.stop() };
}

/** Writes generated chunks to a file (backpressure respected: never more than a chunk or two in memory). */
export async function writeChunks(path: string, chunks: Iterable<Buffer>): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await pipeline(Readable.from(chunks), createWriteStream(path));
}

/** Uploads a file the way the pipeline writes big objects (multipart, lib-storage). */
export async function uploadFile(store: ObjectStore, key: string, path: string, contentType: string): Promise<void> {
  await store.write(key, createReadStream(path), { contentType });
}

/** Deletes every object under a prefix. */
export async function deletePrefix(server: BenchServer, prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      await server.client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: object.Key }));
      deleted += 1;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

/** Free bytes on the file systems that hold bench/.data and the S3 server's directory (the smaller). */
export function freeBytes(): number {
  mkdirSync(DATA_DIR, { recursive: true });
  return Math.min(...[DATA_DIR, tmpdir()].map((path) => {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  }));
}

export function removeDataDir(): void {
  rmSync(DATA_DIR, { recursive: true, force: true });
}
