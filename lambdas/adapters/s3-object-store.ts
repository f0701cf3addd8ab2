/**
 * The data bucket on S3 (ObjectStore port). Reads return the body as a stream; a stream written
 * is uploaded in parts as it is produced (lib-storage Upload), so memory stays bounded by
 * UPLOAD_QUEUE_SIZE x UPLOAD_PART_SIZE per upload whatever the object size.
 */
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConditionFailedError, NotFoundError } from '../core/errors';
import { awsErrorName, mapAwsError, withAwsErrors } from './aws-errors';
import type { ObjectBody, ObjectInfo, ObjectStore } from './ports';

/** Part size of multipart uploads: 8 MiB (S3's minimum is 5 MiB; 10,000 parts allow 80 GB objects). */
export const UPLOAD_PART_SIZE = 8 * 1024 * 1024;
/** Parts uploaded at the same time per upload. */
export const UPLOAD_QUEUE_SIZE = 2;

export function createS3ObjectStore(client: S3Client, bucket: string): ObjectStore {
  return {
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      const call = { service: 'S3', operation: 'ListObjectsV2', context: { bucket, prefix } };
      const pages = paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix });
      const iterator = pages[Symbol.asyncIterator]();
      for (;;) {
        const page = await withAwsErrors(call, () => iterator.next());
        if (page.done) return;
        for (const object of page.value.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield {
            key: object.Key,
            size: object.Size ?? 0,
            etag: object.ETag ?? '',
            lastModified: object.LastModified ?? new Date(0),
          };
        }
      }
    },

    async read(key: string, options: { versionId?: string; ifMatch?: string } = {}): Promise<ObjectBody> {
      const context = { bucket, key, versionId: options.versionId, ifMatch: options.ifMatch };
      let response;
      try {
        response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, IfMatch: options.ifMatch }),
        );
      } catch (error) {
        if (awsErrorName(error) === 'PreconditionFailed') {
          throw new ConditionFailedError(`s3://${bucket}/${key} changed since it was listed: its ETag is no longer ${options.ifMatch}`, {
            cause: error,
            context,
          });
        }
        throw mapAwsError(error, { service: 'S3', operation: 'GetObject', context });
      }
      if (!(response.Body instanceof Readable)) {
        throw new NotFoundError(`s3://${bucket}/${key}: GetObject returned no body stream`, { context });
      }
      return { body: response.Body, versionId: response.VersionId, etag: response.ETag };
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      try {
        const response = await withAwsErrors({ service: 'S3', operation: 'HeadObject', context: { bucket, key } }, () =>
          client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
        );
        return {
          key,
          size: response.ContentLength ?? 0,
          etag: response.ETag ?? '',
          versionId: response.VersionId,
          lastModified: response.LastModified ?? new Date(0),
        };
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async write(key: string, body: string | Uint8Array | Readable, options: { contentType?: string } = {}): Promise<void> {
      const context = { bucket, key };
      if (!(body instanceof Readable)) {
        await withAwsErrors({ service: 'S3', operation: 'PutObject', context }, () =>
          client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
              ContentType: options.contentType,
            }),
          ),
        );
        return;
      }
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: options.contentType },
        partSize: UPLOAD_PART_SIZE,
        queueSize: UPLOAD_QUEUE_SIZE,
        // A failed upload is aborted: no orphan parts are left to pay for.
        leavePartsOnError: false,
      });
      await withAwsErrors({ service: 'S3', operation: 'Upload', context }, () => upload.done());
    },
  };
}
