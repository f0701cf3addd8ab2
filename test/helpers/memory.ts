/**
 * In-memory ObjectStore and MetricsSink for core tests. Objects may be given as a function
 * that produces a fresh stream on every read, so large capture windows never sit in memory.
 */
import { Readable } from 'node:stream';
import type { MetricDatum, MetricsSink, ObjectBody, ObjectInfo, ObjectStore } from '../../lambdas/adapters/ports';
import { NotFoundError } from '../../lambdas/core/errors';

type Content = string | (() => Readable);

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, { content: Content; lastModified: Date }>();
  readonly reads: string[] = [];

  /** Adds or replaces an object. */
  put(key: string, content: Content, lastModified = new Date('2024-01-01T00:00:00Z')): void {
    this.objects.set(key, { content, lastModified });
  }

  /** The text of an object written as text. */
  text(key: string): string {
    const object = this.objects.get(key);
    if (!object || typeof object.content !== 'string') throw new Error(`no text object ${key}`);
    return object.content;
  }

  json<T>(key: string): T {
    return JSON.parse(this.text(key)) as T;
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of this.keys(prefix)) {
      const object = this.objects.get(key)!;
      const size = typeof object.content === 'string' ? Buffer.byteLength(object.content) : 0;
      yield { key, size, etag: `"${key.length}"`, lastModified: object.lastModified };
    }
  }

  async read(key: string): Promise<ObjectBody> {
    const object = this.objects.get(key);
    if (!object) throw new NotFoundError(`no object ${key}`, { context: { key } });
    this.reads.push(key);
    const body = typeof object.content === 'string' ? Readable.from([Buffer.from(object.content)]) : object.content();
    return { body };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects.get(key);
    return object ? { key, size: 0, etag: '"0"', lastModified: object.lastModified } : undefined;
  }

  async write(key: string, body: string | Uint8Array | Readable): Promise<void> {
    let text: string;
    if (typeof body === 'string') text = body;
    else if (body instanceof Uint8Array) text = Buffer.from(body).toString('utf8');
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    }
    this.objects.set(key, { content: text, lastModified: new Date() });
  }
}

export class MemoryMetrics implements MetricsSink {
  readonly data: MetricDatum[] = [];

  async put(data: readonly MetricDatum[]): Promise<void> {
    this.data.push(...data);
  }

  /** Datapoints of one metric, optionally for one dimension value. */
  named(name: string, dimensions?: Record<string, string>): MetricDatum[] {
    return this.data.filter(
      (d) => d.name === name && (!dimensions || Object.entries(dimensions).every(([k, v]) => d.dimensions?.[k] === v)),
    );
  }

  names(): string[] {
    return [...new Set(this.data.map((d) => d.name))].sort();
  }
}
