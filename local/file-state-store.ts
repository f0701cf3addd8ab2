/**
 * StateStore on one file (local mode), with the semantics of the DynamoDB store
 * (lambdas/adapters/dynamodb-state-store.ts, whose validation and expiry rule it shares):
 * conditional puts and deletes that throw ConditionFailedError, versions counting from 1, data
 * normalized as JSON, and items whose expiresAt has passed treated as absent — invisible to
 * get and query, overwritten by ifAbsent and always (version 1 again), failing ifVersion.
 *
 * The file is a journal of JSON lines: a header `{"format":"retrain-state/2","generation":…}`,
 * then one line per write, the whole item as written (`{"pk","sk","version","data","expiresAt"?}`)
 * or a deletion (`{"pk","sk","deleted":true}`); the last line for a key wins. A write appends
 * its lines, so its cost does not grow with the table (rewriting the whole file on every write,
 * as this store did before, managed about 30 writes/s once it held 5,000 items; the journal
 * manages thousands, see test/unit/local/file-state-store.test.ts). When the journal has grown
 * past `compactionBytes` and twice what its live items take, a writer compacts it: it writes
 * the items (expired ones dropped) under a new generation to a temporary file and renames it
 * over the journal. A file in the earlier format (one JSON document, "retrain-state/1") is read
 * as it is and rewritten as a journal by the first write.
 *
 * Every process keeps an index of the file (items by partition, sort keys in UTF-8 byte order,
 * as DynamoDB orders them) and brings it up to date before every read and write by reading
 * only what was appended since (the header's generation tells it when the file was replaced).
 *
 * Concurrency. Writes happen under two locks:
 * - in this process, writes to the same file are queued (one queue per absolute path, shared by
 *   every store instance on it); the writes waiting when the lock comes free are checked one
 *   after another and appended together, and each resolves once its line is in the file;
 * - across processes, a lock file `<path>.lock` created with O_EXCL; a writer that finds it
 *   retries with bounded exponential backoff and breaks it when its holder is a dead process
 *   on this host or when it is older than `staleLockMs`.
 * Reads take no lock and see only committed writes: a line counts once it ends with a newline,
 * a compaction replaces the file in one rename, and a read that starts after a write resolved
 * sees that write. Crash safety (of a process, not of the machine: nothing is fsynced): a writer
 * killed in the middle of an append leaves a line without its newline, which readers ignore
 * and the next writer cuts off; one killed during a compaction leaves the previous journal in
 * place (and a temporary file beside it).
 *
 * File operations are synchronous: each is small (the lock file, the appended lines, what was
 * appended since the last read), and through libuv's thread pool the same operations took 5 to
 * 10 times longer on the 2-core development machine. Only the wait for the lock file yields, so
 * within this process nothing runs between a write's check and its append.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ConditionFailedError, InvalidInputError, TransientError } from '../lambdas/core/errors';
import { systemClock } from '../lambdas/adapters/clock';
import { isExpired, normalizeStateWrite, validateExpectedVersion, validateStateKey } from '../lambdas/adapters/dynamodb-state-store';
import type { Clock, PutCondition, StateItem, StateStore } from '../lambdas/adapters/ports';

export interface FileStateStoreOptions {
  /** Decides which items have expired. @default - the system clock */
  readonly clock?: Clock;
  /** A lock file older than this is broken (its holder crashed). @default 10000 */
  readonly staleLockMs?: number;
  /** How long a write waits for the lock file before a TransientError. @default 30000 */
  readonly lockTimeoutMs?: number;
  /**
   * The journal is compacted once it is larger than this and than twice its live items.
   * @default 4194304 (4 MiB)
   */
  readonly compactionBytes?: number;
}

const FORMAT = 'retrain-state/2';
/** The earlier format: one JSON document `{"format": "retrain-state/1", "items": [...]}`. */
const LEGACY_FORMAT = 'retrain-state/1';

/** How much of the file's start is read to find the header line. */
const HEADER_PROBE_BYTES = 256;

/** Longest pause between two attempts to create the lock file. */
const MAX_BACKOFF_MS = 50;

/** At most this many queued writes, and about this many bytes of lines, are appended together. */
const MAX_BATCH_WRITES = 1000;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Orders strings by their UTF-8 bytes, as DynamoDB orders string sort keys, without encoding
 * them: UTF-8 byte order is code point order, which differs from UTF-16 code unit order only
 * where a surrogate (U+D800-DFFF) meets a unit in U+E000-FFFF; moving surrogates above that
 * range restores code point order (keys are validated to hold no lone surrogate).
 */
function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

interface LockHolder {
  readonly token: string;
  readonly pid: number;
  readonly hostname: string;
  readonly acquiredAt: string;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return typeof holder.token === 'string' && typeof holder.pid === 'number' && typeof holder.hostname === 'string'
      ? (holder as LockHolder)
      : undefined;
  } catch {
    return undefined; // being written right now (created, not yet filled): judged by its age only
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The cross-process lock of one state file. */
class LockFile {
  constructor(
    private readonly path: string,
    private readonly staleMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Creates the lock file and returns its token; waits (bounded) while another holder has it. */
  async acquire(): Promise<string> {
    const holder: LockHolder = { token: randomUUID(), pid: process.pid, hostname: hostname(), acquiredAt: new Date().toISOString() };
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(this.path, JSON.stringify(holder), { flag: 'wx' });
        return holder.token;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') {
          mkdirSync(dirname(this.path), { recursive: true });
          continue;
        }
        if (errnoOf(error) !== 'EEXIST') throw error;
      }
      if (this.breakIfAbandoned()) continue;
      if (Date.now() >= deadline) {
        throw new TransientError(`could not lock ${this.path} within ${this.timeoutMs} ms: another process holds it`, {
          context: { lockFile: this.path, holder: readIfExists(this.path) },
        });
      }
      const backoff = Math.min(MAX_BACKOFF_MS, 2 ** attempt);
      await delay(backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  /** Whether the lock file still carries our token (it was not broken as stale meanwhile). */
  holds(token: string): boolean {
    const text = readIfExists(this.path);
    return text !== undefined && parseHolder(text)?.token === token;
  }

  release(token: string): void {
    if (!this.holds(token)) return;
    try {
      unlinkSync(this.path);
    } catch (error) {
      ignoreMissing(error);
    }
  }

  /**
   * Removes a lock whose holder died (same host, no such process) or that is older than
   * staleMs. Returns true when the lock is gone (broken here or released meanwhile). It moves
   * the file aside first and checks it moved the lock it judged; if another writer took the
   * lock in between, it puts that lock back.
   */
  private breakIfAbandoned(): boolean {
    let judged: string | undefined;
    let ageMs: number;
    try {
      ageMs = Date.now() - statSync(this.path).mtimeMs;
      judged = readIfExists(this.path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return true;
      throw error;
    }
    if (judged === undefined) return true;
    const holder = parseHolder(judged);
    const dead = holder !== undefined && holder.hostname === hostname() && holder.pid !== process.pid && !isProcessAlive(holder.pid);
    if (!dead && ageMs <= this.staleMs) return false;
    const aside = `${this.path}.broken-${randomUUID()}`;
    try {
      renameSync(this.path, aside);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return true;
      throw error;
    }
    const moved = readFileSync(aside, 'utf8');
    if (moved !== judged) {
      try {
        linkSync(aside, this.path);
      } catch (error) {
        ignoreExisting(error);
      }
    }
    unlinkSync(aside);
    return true;
  }
}

function ignoreMissing(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}

function ignoreExisting(error: unknown): void {
  if (errnoOf(error) !== 'EEXIST') throw error;
}

/** A journal line that deletes an item. */
interface Deletion {
  readonly pk: string;
  readonly sk: string;
  readonly deleted: true;
}
/** A line of the journal: a whole item as written, or the deletion of one. */
type JournalRecord = StateItem | Deletion;

function isDeletion(record: JournalRecord): record is Deletion {
  return 'deleted' in record;
}

function lineOf(record: JournalRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** The items of one partition: by sort key, and the sort keys in UTF-8 byte order. */
class Partition {
  readonly items = new Map<string, { readonly item: StateItem; readonly bytes: number }>();
  readonly sortKeys: string[] = [];

  /** Index of the first sort key not below `sk`. */
  lowerBound(sk: string): number {
    let low = 0;
    let high = this.sortKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareUtf8(this.sortKeys[middle], sk) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  set(item: StateItem, bytes: number): void {
    if (!this.items.has(item.sk)) this.sortKeys.splice(this.lowerBound(item.sk), 0, item.sk);
    this.items.set(item.sk, { item, bytes });
  }

  remove(sk: string): void {
    if (!this.items.delete(sk)) return;
    this.sortKeys.splice(this.lowerBound(sk), 1);
  }
}

/** The items of the file as one process last read it (expired ones included), by partition. */
class Index {
  readonly partitions = new Map<string, Partition>();
  /** Bytes of the lines of the items held: about what a compaction writes. */
  liveBytes = 0;

  get(pk: string, sk: string): StateItem | undefined {
    return this.partitions.get(pk)?.items.get(sk)?.item;
  }

  apply(record: JournalRecord, bytes: number): void {
    let partition = this.partitions.get(record.pk);
    const previous = partition?.items.get(record.sk);
    if (previous !== undefined) this.liveBytes -= previous.bytes;
    if (isDeletion(record)) {
      partition?.remove(record.sk);
      if (partition?.items.size === 0) this.partitions.delete(record.pk);
      return;
    }
    if (partition === undefined) {
      partition = new Partition();
      this.partitions.set(record.pk, partition);
    }
    partition.set(record, bytes);
    this.liveBytes += bytes;
  }
}

/** How one store instance writes: its lock file settings, its clock and when it compacts. */
interface Writer {
  readonly lock: LockFile;
  readonly clock: Clock;
  readonly compactionBytes: number;
}

/** A write to one key: `decide` sees the live item it would replace and returns the line to append (if any), or throws. */
interface WriteRequest<R> {
  readonly writer: Writer;
  readonly pk: string;
  readonly sk: string;
  decide(current: StateItem | undefined): { readonly record?: JournalRecord; readonly result: R };
}

interface QueuedWrite extends WriteRequest<unknown> {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** One state file as this process sees it, shared by every store instance on it. */
class Journal {
  private index = new Index();
  /** The file's generation (undefined while it is absent or in the earlier format). */
  private generation: string | undefined;
  private layout: 'absent' | 'legacy' | 'journal' = 'absent';
  /** Bytes of the file read into the index: the header and every complete line. */
  private offset = 0;
  /** The file's size at the last refresh (larger than offset when a line was left unfinished). */
  private size = 0;
  private readonly queue: QueuedWrite[] = [];
  private draining = false;

  constructor(readonly file: string) {}

  item(pk: string, sk: string): StateItem | undefined {
    return this.index.get(pk, sk);
  }

  /** The items of one partition, or undefined when it has none. */
  partition(pk: string): Partition | undefined {
    return this.index.partitions.get(pk);
  }

  /** Queues a write; it resolves once its line is in the file (or rejects with what `decide` threw). */
  submit<R>(request: WriteRequest<R>): Promise<R> {
    return new Promise<R>((resolveWrite, rejectWrite) => {
      this.queue.push({ ...request, resolve: (result) => resolveWrite(result as R), reject: rejectWrite });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.writeBatch(this.takeBatch());
    } finally {
      this.draining = false;
    }
  }

  /** The writes at the head of the queue made by the same store instance (same lock settings and clock). */
  private takeBatch(): QueuedWrite[] {
    const { writer } = this.queue[0];
    let count = 0;
    while (count < this.queue.length && count < MAX_BATCH_WRITES && this.queue[count].writer === writer) count++;
    return this.queue.splice(0, count);
  }

  /**
   * Takes the lock, checks each write of the batch against the file as it is (and the writes
   * before it in the batch), appends the lines of those that hold in one write, releases the
   * lock, then settles every write. Waiting for the lock is the only pause: the rest runs
   * without yielding, so nothing in this process sees a write before it is in the file.
   */
  private async writeBatch(batch: QueuedWrite[]): Promise<void> {
    const { writer } = batch[0];
    const outcomes: Array<{ ok: true; result: unknown } | { ok: false; error: unknown }> = [];
    try {
      const token = await writer.lock.acquire();
      try {
        this.refresh();
        // Each write sees the ones before it in the batch (staged: an item, or null once deleted).
        const staged = new Map<string, StateItem | null>();
        const lines: string[] = [];
        let bytes = 0;
        for (const write of batch) {
          if (bytes > MAX_BATCH_BYTES) break;
          const key = JSON.stringify([write.pk, write.sk]);
          const before = staged.get(key);
          const raw = before === undefined ? this.index.get(write.pk, write.sk) : (before ?? undefined);
          try {
            const { record, result } = write.decide(raw === undefined || isExpired(raw, writer.clock.now()) ? undefined : raw);
            if (record !== undefined && !(isDeletion(record) && raw === undefined)) {
              const line = lineOf(record);
              lines.push(line);
              bytes += Buffer.byteLength(line);
              staged.set(key, isDeletion(record) ? null : record);
            }
            outcomes.push({ ok: true, result });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        // Writes left over by the byte limit go back to the head of the queue.
        this.queue.unshift(...batch.splice(outcomes.length));
        if (lines.length > 0) this.commit(writer, token, lines.join(''));
      } finally {
        writer.lock.release(token);
      }
    } catch (error) {
      batch.forEach((write) => write.reject(error));
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) write.resolve(outcome.result);
      else write.reject(outcome.error);
    });
  }

  /** Appends the lines (under the lock), first turning an absent or earlier-format file into a journal; compacts when due. */
  private commit(writer: Writer, token: string, lines: string): void {
    if (this.layout !== 'journal') {
      this.replace(writer, token, lines);
      return;
    }
    if (!writer.lock.holds(token)) throw lostLock(this.file);
    // A line left unfinished by a writer that died during its append was never committed: cut it off.
    if (this.size > this.offset) truncateSync(this.file, this.offset);
    appendFileSync(this.file, lines);
    if (this.offset + Buffer.byteLength(lines) <= writer.compactionBytes) return;
    this.refresh();
    if (this.offset > 2 * this.index.liveBytes) this.replace(writer, token, '');
  }

  /** Writes the live items (then `extra` lines) as a new generation beside the file and renames it over the file. */
  private replace(writer: Writer, token: string, extra: string): void {
    const now = writer.clock.now();
    const chunks = [`${JSON.stringify({ format: FORMAT, generation: randomUUID() })}\n`];
    for (const pk of [...this.index.partitions.keys()].sort(compareUtf8)) {
      const partition = this.index.partitions.get(pk) as Partition;
      for (const sk of partition.sortKeys) {
        const { item } = partition.items.get(sk) as { item: StateItem };
        if (!isExpired(item, now)) chunks.push(lineOf(item));
      }
    }
    chunks.push(extra);
    const temp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, chunks.join(''));
    if (!writer.lock.holds(token)) {
      unlinkSync(temp);
      throw lostLock(this.file);
    }
    renameSync(temp, this.file);
  }

  /**
   * Brings the index up to date with the file: reads what was appended since the last refresh
   * (or the whole file when it is new or was replaced). Afterwards the index holds every write
   * that completed before the call.
   */
  refresh(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      this.reset('absent', undefined, 0, 0);
      return;
    }
    try {
      const { size } = fstatSync(fd);
      const probe = readAt(fd, 0, Math.min(size, HEADER_PROBE_BYTES));
      const headerEnd = probe.indexOf(NEWLINE) + 1;
      const generation = headerEnd === 0 ? undefined : this.generationOf(probe.subarray(0, headerEnd));
      if (generation === undefined) {
        const items = this.parseLegacy(readFileSync(fd, 'utf8'));
        this.reset('legacy', undefined, size, size);
        for (const item of items) this.index.apply(item, Buffer.byteLength(lineOf(item)));
        return;
      }
      const continuing = this.layout === 'journal' && generation === this.generation && this.offset >= headerEnd && size >= this.offset;
      const start = continuing ? this.offset : headerEnd;
      const chunk = readAt(fd, start, size - start);
      const complete = chunk.lastIndexOf(NEWLINE) + 1;
      const records = this.parseLines(chunk.subarray(0, complete), start);
      if (!continuing) this.reset('journal', generation, headerEnd, size);
      for (const { record, bytes } of records) this.index.apply(record, bytes);
      this.offset = start + complete;
      this.size = size;
    } finally {
      closeSync(fd);
    }
  }

  private reset(layout: Journal['layout'], generation: string | undefined, offset: number, size: number): void {
    this.index = new Index();
    this.layout = layout;
    this.generation = generation;
    this.offset = offset;
    this.size = size;
  }

  /** The generation of a journal header line, or undefined when the line is not one. */
  private generationOf(line: Buffer): string | undefined {
    try {
      const header = JSON.parse(line.toString('utf8')) as { format?: unknown; generation?: unknown };
      return header.format === FORMAT && typeof header.generation === 'string' ? header.generation : undefined;
    } catch {
      return undefined;
    }
  }

  private parseLines(bytes: Buffer, start: number): Array<{ record: JournalRecord; bytes: number }> {
    const records: Array<{ record: JournalRecord; bytes: number }> = [];
    let lineStart = 0;
    while (lineStart < bytes.length) {
      const lineEnd = bytes.indexOf(NEWLINE, lineStart) + 1;
      const position = start + lineStart;
      let record: Partial<StateItem & { deleted: true }>;
      try {
        record = JSON.parse(bytes.toString('utf8', lineStart, lineEnd)) as Partial<StateItem & { deleted: true }>;
      } catch (error) {
        throw new InvalidInputError(`state file ${this.file}: the line at byte ${position} is not JSON: ${(error as Error).message}`, {
          cause: error,
          context: { file: this.file, position },
        });
      }
      if (typeof record?.pk !== 'string' || typeof record.sk !== 'string' || !(record.deleted === true || (Number.isInteger(record.version) && 'data' in record))) {
        throw new InvalidInputError(`state file ${this.file}: the line at byte ${position} needs pk, sk and either version and data or "deleted": true`, {
          context: { file: this.file, position },
        });
      }
      records.push({ record: record as JournalRecord, bytes: lineEnd - lineStart });
      lineStart = lineEnd;
    }
    return records;
  }

  private parseLegacy(text: string): StateItem[] {
    let parsed: { format?: unknown; items?: unknown };
    try {
      parsed = JSON.parse(text) as { format?: unknown; items?: unknown };
    } catch (error) {
      throw new InvalidInputError(`state file ${this.file} is not a retrain state file (no "${FORMAT}" header line, and not JSON: ${(error as Error).message})`, {
        cause: error,
        context: { file: this.file },
      });
    }
    if (parsed?.format !== LEGACY_FORMAT || !Array.isArray(parsed.items)) {
      throw new InvalidInputError(`state file ${this.file} is not a retrain state file (expected a "${FORMAT}" header line, or the earlier {"format": "${LEGACY_FORMAT}", "items": [...]})`, {
        context: { file: this.file, format: parsed?.format },
      });
    }
    const items = parsed.items as Array<Partial<StateItem>>;
    items.forEach((item, index) => {
      if (typeof item?.pk !== 'string' || typeof item.sk !== 'string' || !Number.isInteger(item.version) || !('data' in item)) {
        throw new InvalidInputError(`state file ${this.file}: item ${index} needs pk, sk, version and data`, { context: { file: this.file, index } });
      }
    });
    return items as StateItem[];
  }
}

/** Up to `length` bytes of the file from `position` (fewer when it ends sooner). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const count = readSync(fd, buffer, read, length - read, position + read);
    if (count === 0) break;
    read += count;
  }
  return buffer.subarray(0, read);
}

function lostLock(file: string): TransientError {
  return new TransientError(`lost the lock of ${file} (held longer than the stale limit): the write was not made`, { context: { file } });
}

/**
 * The journals of this process by absolute path. Held weakly: a journal (and its index) lives
 * as long as a store instance on its file does.
 */
const journals = new Map<string, WeakRef<Journal>>();

function journalOf(file: string): Journal {
  const known = journals.get(file)?.deref();
  if (known !== undefined) return known;
  const journal = new Journal(file);
  journals.set(file, new WeakRef(journal));
  return journal;
}

export function createFileStateStore(path: string, options: FileStateStoreOptions = {}): StateStore {
  const file = resolve(path);
  const clock = options.clock ?? systemClock;
  const writer: Writer = {
    lock: new LockFile(`${file}.lock`, options.staleLockMs ?? 10_000, options.lockTimeoutMs ?? 30_000),
    clock,
    compactionBytes: options.compactionBytes ?? 4 * 1024 * 1024,
  };
  const journal = journalOf(file);

  const conditionFailed = (operation: string, pk: string, sk: string, expected: string, current: StateItem | undefined): ConditionFailedError =>
    new ConditionFailedError(`${operation} ${pk}/${sk} in ${file}: expected ${expected}, found ${current === undefined ? 'no item' : `version ${current.version}`}`, {
      context: { file, pk, sk, expected, currentVersion: current?.version },
    });

  const live = (item: StateItem | undefined): StateItem | undefined => (item === undefined || isExpired(item, clock.now()) ? undefined : item);

  return {
    async get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined> {
      validateStateKey(pk, sk);
      journal.refresh();
      const item = live(journal.item(pk, sk));
      return item === undefined ? undefined : (structuredClone(item) as StateItem<T>);
    },

    async put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>> {
      const normalized = normalizeStateWrite(item, condition);
      const { pk, sk } = normalized;
      return journal.submit({
        writer,
        pk,
        sk,
        decide: (current) => {
          if ('ifAbsent' in condition && current !== undefined) throw conditionFailed('put', pk, sk, 'no item', current);
          if ('ifVersion' in condition && current?.version !== condition.ifVersion) {
            throw conditionFailed('put', pk, sk, `version ${condition.ifVersion}`, current);
          }
          const stored: StateItem<T> = { ...normalized, version: (current?.version ?? 0) + 1 };
          return { record: stored, result: stored };
        },
      });
    },

    async delete(pk: string, sk: string, condition?: { readonly ifVersion: number }): Promise<void> {
      validateStateKey(pk, sk);
      if (condition !== undefined) validateExpectedVersion(pk, sk, condition.ifVersion);
      await journal.submit({
        writer,
        pk,
        sk,
        decide: (current) => {
          if (condition !== undefined && current?.version !== condition.ifVersion) {
            throw conditionFailed('delete', pk, sk, `version ${condition.ifVersion}`, current);
          }
          return { record: { pk, sk, deleted: true as const }, result: undefined };
        },
      });
    },

    async query<T>(pk: string, options: { beginsWith?: string; limit?: number; newestFirst?: boolean } = {}): Promise<StateItem<T>[]> {
      const { beginsWith = '', limit, newestFirst = false } = options;
      if (typeof pk !== 'string' || pk.length === 0) {
        throw new InvalidInputError(`query of ${file} needs a non-empty pk, got ${JSON.stringify(pk)}`, { context: { file, pk } });
      }
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new InvalidInputError(`query limit of ${pk} must be a positive integer, got ${limit}`, { context: { file, pk, limit } });
      }
      journal.refresh();
      const partition = journal.partition(pk);
      if (partition === undefined) return [];
      const first = partition.lowerBound(beginsWith);
      let end = first;
      while (end < partition.sortKeys.length && partition.sortKeys[end].startsWith(beginsWith)) end++;
      const found: StateItem<T>[] = [];
      const wanted = limit ?? Infinity;
      for (let i = 0; i < end - first && found.length < wanted; i++) {
        const sk = partition.sortKeys[newestFirst ? end - 1 - i : first + i];
        const item = live(partition.items.get(sk)?.item);
        if (item !== undefined) found.push(structuredClone(item) as StateItem<T>);
      }
      return found;
    },
  };
}
