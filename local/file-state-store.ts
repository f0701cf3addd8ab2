/**
 * StateStore on one JSON file (local mode), with the semantics of the DynamoDB store
 * (lambdas/adapters/dynamodb-state-store.ts, whose validation and expiry rule it shares):
 * conditional puts and deletes that throw ConditionFailedError, versions counting from 1, data
 * normalized as JSON, and items whose expiresAt has passed treated as absent — invisible to
 * get and query, overwritten by ifAbsent and always (version 1 again), failing ifVersion.
 * Expired items are dropped from the file at the next write.
 *
 * Concurrency. Every write is a read-check-write of the whole file under two locks:
 * - in this process, writes to the same file run one after another (a promise queue keyed by
 *   the absolute path, shared by every store instance on that file);
 * - across processes, a lock file `<path>.lock` created with O_EXCL; a writer that finds it
 *   retries with bounded exponential backoff and breaks it when its holder is a dead process
 *   on this host or when it is older than `staleLockMs`.
 * The data file is replaced atomically (temp file + rename), so reads take no lock and always
 * see a whole, committed state: a read that starts after a write resolved sees that write.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
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
}

/** The file's content. Items are a sorted list (not an object keyed by pk) so any string is a safe key. */
interface StateFile {
  readonly format: typeof FORMAT;
  readonly items: StateItem[];
}

const FORMAT = 'retrain-state/1';

/** Longest pause between two attempts to create the lock file. */
const MAX_BACKOFF_MS = 50;

/** DynamoDB orders sort keys by their UTF-8 bytes; so does this store. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Writes to one file, one after another, across all store instances in this process. */
const writeQueues = new Map<string, Promise<void>>();

function serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(key, tail);
  void tail.then(() => {
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  });
  return run;
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

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
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
        await writeFile(this.path, JSON.stringify(holder), { flag: 'wx' });
        return holder.token;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error;
      }
      if (await this.breakIfAbandoned()) continue;
      if (Date.now() >= deadline) {
        throw new TransientError(`could not lock ${this.path} within ${this.timeoutMs} ms: another process holds it`, {
          context: { lockFile: this.path, holder: await readIfExists(this.path) },
        });
      }
      const backoff = Math.min(MAX_BACKOFF_MS, 2 ** attempt);
      await delay(backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  /** Whether the lock file still carries our token (it was not broken as stale meanwhile). */
  async holds(token: string): Promise<boolean> {
    const text = await readIfExists(this.path);
    return text !== undefined && parseHolder(text)?.token === token;
  }

  async release(token: string): Promise<void> {
    if (await this.holds(token)) await unlink(this.path).catch((error: unknown) => ignoreMissing(error));
  }

  /**
   * Removes a lock whose holder died (same host, no such process) or that is older than
   * staleMs. Returns true when the lock is gone (broken here or released meanwhile). It moves
   * the file aside first and checks it moved the lock it judged; if another writer took the
   * lock in between, it puts that lock back.
   */
  private async breakIfAbandoned(): Promise<boolean> {
    let judged: string | undefined;
    let ageMs: number;
    try {
      ageMs = Date.now() - (await stat(this.path)).mtimeMs;
      judged = await readIfExists(this.path);
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
      await rename(this.path, aside);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return true;
      throw error;
    }
    const moved = await readFile(aside, 'utf8');
    if (moved !== judged) await link(aside, this.path).catch((error: unknown) => ignoreExisting(error));
    await unlink(aside);
    return true;
  }
}

function ignoreMissing(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}

function ignoreExisting(error: unknown): void {
  if (errnoOf(error) !== 'EEXIST') throw error;
}

export function createFileStateStore(path: string, options: FileStateStoreOptions = {}): StateStore {
  const file = resolve(path);
  const clock = options.clock ?? systemClock;
  const lock = new LockFile(`${file}.lock`, options.staleLockMs ?? 10_000, options.lockTimeoutMs ?? 30_000);

  const load = async (): Promise<StateItem[]> => {
    const text = await readIfExists(file);
    if (text === undefined) return [];
    let parsed: Partial<StateFile>;
    try {
      parsed = JSON.parse(text) as Partial<StateFile>;
    } catch (error) {
      throw new InvalidInputError(`state file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error, context: { file } });
    }
    if (parsed.format !== FORMAT || !Array.isArray(parsed.items)) {
      throw new InvalidInputError(`state file ${file} is not a retrain state file (expected {"format": "${FORMAT}", "items": [...]})`, {
        context: { file, format: parsed.format },
      });
    }
    parsed.items.forEach((item, index) => {
      if (typeof item?.pk !== 'string' || typeof item.sk !== 'string' || !Number.isInteger(item.version) || !('data' in item)) {
        throw new InvalidInputError(`state file ${file}: item ${index} needs pk, sk, version and data`, { context: { file, index } });
      }
    });
    return parsed.items;
  };

  const live = (items: StateItem[]): StateItem[] => {
    const now = clock.now();
    return items.filter((item) => !isExpired(item, now));
  };

  /** Runs a read-check-write under both locks; `change` returns the new item list (live items only). */
  const write = <R>(change: (items: StateItem[]) => { items: StateItem[]; result: R }): Promise<R> =>
    serialize(file, async () => {
      await mkdir(dirname(file), { recursive: true });
      const token = await lock.acquire();
      try {
        const { items, result } = change(live(await load()));
        const content: StateFile = { format: FORMAT, items: [...items].sort((a, b) => compareKeys(a.pk, b.pk) || compareKeys(a.sk, b.sk)) };
        const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
        await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`);
        if (!(await lock.holds(token))) {
          await unlink(temp);
          throw new TransientError(`lost the lock of ${file} (held longer than the stale limit): the write was not made`, { context: { file } });
        }
        await rename(temp, file);
        return result;
      } finally {
        await lock.release(token);
      }
    });

  const find = (items: StateItem[], pk: string, sk: string): StateItem | undefined => items.find((item) => item.pk === pk && item.sk === sk);

  const without = (items: StateItem[], pk: string, sk: string): StateItem[] => items.filter((item) => item.pk !== pk || item.sk !== sk);

  const conditionFailed = (operation: string, pk: string, sk: string, expected: string, current: StateItem | undefined): ConditionFailedError =>
    new ConditionFailedError(`${operation} ${pk}/${sk} in ${file}: expected ${expected}, found ${current === undefined ? 'no item' : `version ${current.version}`}`, {
      context: { file, pk, sk, expected, currentVersion: current?.version },
    });

  return {
    async get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined> {
      validateStateKey(pk, sk);
      return find(live(await load()), pk, sk) as StateItem<T> | undefined;
    },

    async put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>> {
      const normalized = normalizeStateWrite(item, condition);
      const { pk, sk } = normalized;
      return write((items) => {
        const current = find(items, pk, sk);
        if ('ifAbsent' in condition && current !== undefined) throw conditionFailed('put', pk, sk, 'no item', current);
        if ('ifVersion' in condition && current?.version !== condition.ifVersion) {
          throw conditionFailed('put', pk, sk, `version ${condition.ifVersion}`, current);
        }
        const stored: StateItem<T> = { ...normalized, version: (current?.version ?? 0) + 1 };
        return { items: [...without(items, pk, sk), stored], result: stored };
      });
    },

    async delete(pk: string, sk: string, condition?: { readonly ifVersion: number }): Promise<void> {
      validateStateKey(pk, sk);
      if (condition !== undefined) validateExpectedVersion(pk, sk, condition.ifVersion);
      await write((items) => {
        const current = find(items, pk, sk);
        if (condition !== undefined && current?.version !== condition.ifVersion) {
          throw conditionFailed('delete', pk, sk, `version ${condition.ifVersion}`, current);
        }
        return { items: without(items, pk, sk), result: undefined };
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
      const items = live(await load())
        .filter((item) => item.pk === pk && item.sk.startsWith(beginsWith))
        .sort((a, b) => compareKeys(a.sk, b.sk) * (newestFirst ? -1 : 1));
      return (limit === undefined ? items : items.slice(0, limit)) as StateItem<T>[];
    },
  };
}
