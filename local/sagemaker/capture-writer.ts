/**
 * Endpoint data capture, in SageMaker's format and layout
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html):
 * JSON Lines, one record per captured request,
 *
 *   {"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"...","encoding":"CSV"},
 *                   "endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"...","encoding":"CSV"}},
 *    "eventMetadata":{"eventId":"<uuid>","inferenceId":"<id, when the caller gave one>","inferenceTime":"2024-05-01T10:15:00.123Z"},
 *    "eventVersion":"0"}
 *
 * written under <DestinationS3Uri>/<EndpointName>/<VariantName>/yyyy/mm/dd/hh/<mm>-<ss>-<SSS>-<uuid>.jsonl,
 * the hour folder (UTC) and the file name from the inference time of the file's first record.
 *
 * Encoding: "CSV" when the content type (without parameters) is listed in
 * CaptureContentTypeHeader.CsvContentTypes, "JSON" when in JsonContentTypes, otherwise the data
 * is base64 ("BASE64"), SageMaker's default when no header lists are given.
 *
 * Records are buffered and written one file per endpoint, variant and hour on each flush:
 * when a buffer reaches `maxRecords`, on flush(), and on close. Times come from the injected
 * clock (local mode runs a virtual clock).
 */
import { randomUUID } from 'node:crypto';
import type { CaptureContentTypeHeader } from '@aws-sdk/client-sagemaker';
import type { ObjectStore } from '../../lambdas/adapters/ports';

export interface CapturePayload {
  readonly contentType: string;
  readonly data: Buffer;
}

export interface CaptureRecord {
  /** Key prefix of the DestinationS3Uri (without bucket). */
  readonly destinationPrefix: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly inferenceTime: Date;
  readonly inferenceId?: string;
  readonly input?: CapturePayload;
  readonly output?: CapturePayload;
  readonly contentTypeHeader?: CaptureContentTypeHeader;
}

interface Buffered {
  readonly key: string;
  readonly lines: string[];
  readonly first: Date;
}

export class CaptureWriter {
  private readonly buffers = new Map<string, Buffered>();
  private writing: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private files = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly maxRecords = 1000,
  ) {}

  /** Buffers one record; starts writing its file in the background when its buffer is full. */
  add(record: CaptureRecord): void {
    const folder = hourFolder(record);
    let buffer = this.buffers.get(folder);
    if (!buffer) {
      buffer = { key: folder, lines: [], first: record.inferenceTime };
      this.buffers.set(folder, buffer);
    }
    buffer.lines.push(captureLine(record));
    if (buffer.lines.length >= this.maxRecords) {
      this.buffers.delete(folder);
      this.enqueue(buffer);
    }
  }

  /** Writes every buffered record; resolves with the number of files written since the start. Rethrows a failed write. */
  async flush(): Promise<number> {
    for (const buffer of this.buffers.values()) this.enqueue(buffer);
    this.buffers.clear();
    await this.writing;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    return this.files;
  }

  private enqueue(buffer: Buffered): void {
    const t = buffer.first;
    const name = `${pad(t.getUTCMinutes())}-${pad(t.getUTCSeconds())}-${String(t.getUTCMilliseconds()).padStart(3, '0')}-${randomUUID()}.jsonl`;
    const body = `${buffer.lines.join('\n')}\n`;
    this.writing = this.writing.then(async () => {
      try {
        await this.store.write(`${buffer.key}/${name}`, body, { contentType: 'application/jsonlines' });
        this.files++;
      } catch (error) {
        this.failure ??= error;
      }
    });
  }
}

/** One capture record as SageMaker writes it (without the newline). */
export function captureLine(record: CaptureRecord): string {
  const captureData: Record<string, unknown> = {};
  if (record.input) captureData.endpointInput = payload(record.input, 'INPUT', record.contentTypeHeader);
  if (record.output) captureData.endpointOutput = payload(record.output, 'OUTPUT', record.contentTypeHeader);
  const eventMetadata: Record<string, string> = { eventId: randomUUID() };
  if (record.inferenceId !== undefined) eventMetadata.inferenceId = record.inferenceId;
  eventMetadata.inferenceTime = record.inferenceTime.toISOString();
  return JSON.stringify({ captureData, eventMetadata, eventVersion: '0' });
}

function payload(p: CapturePayload, mode: 'INPUT' | 'OUTPUT', header: CaptureContentTypeHeader | undefined): Record<string, string> {
  const mediaType = p.contentType.split(';')[0].trim().toLowerCase();
  const listed = (types: string[] | undefined) => (types ?? []).some((t) => t.toLowerCase() === mediaType);
  const encoding = listed(header?.CsvContentTypes) ? 'CSV' : listed(header?.JsonContentTypes) ? 'JSON' : 'BASE64';
  const data = encoding === 'BASE64' ? p.data.toString('base64') : p.data.toString('utf8');
  return { observedContentType: p.contentType, mode, data, encoding };
}

function hourFolder(record: CaptureRecord): string {
  const t = record.inferenceTime;
  const parts = [record.destinationPrefix.replace(/\/+$/, ''), record.endpointName, record.variantName];
  parts.push(String(t.getUTCFullYear()), pad(t.getUTCMonth() + 1), pad(t.getUTCDate()), pad(t.getUTCHours()));
  return parts.filter((p) => p !== '').join('/');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
