/**
 * Persistence of the local SageMaker resources: one JSON file per resource under
 * `<stateDir>/<kind>/<name>.json` (model packages: `model-packages/<group>/<version>.json`),
 * so that another process (`retrain local status`, `retrain local invoke`) sees the same
 * models, endpoints and packages.
 *
 * Every write goes to a temporary file in the same directory and is renamed over the target, so
 * a reader never sees half a file. `create` links the temporary file to the target, which fails
 * when the target exists: two processes creating the same name cannot both succeed. Reads always
 * go to disk (no cache), so a change made by another process is seen on the next call.
 *
 * Timestamps are stored as ISO-8601 strings and read back as Date for every key that ends in
 * "Time" or "Timestamp" (CreationTime, LastModifiedTime, TrainingEndTime, ...), the SDK's types.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, link, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';

export type ResourceKind =
  | 'training-jobs'
  | 'transform-jobs'
  | 'models'
  | 'endpoint-configs'
  | 'endpoints'
  | 'model-package-groups'
  | 'model-packages';

/** A resource name, or for model packages "<group>/<version>". Checked again here: it becomes a path. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}(\/[0-9]{1,9})?$/;
const TIME_KEY = /(Time|Timestamp)$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export class StateFiles {
  constructor(readonly stateDir: string) {}

  async get<T>(kind: ResourceKind, name: string): Promise<T | undefined> {
    try {
      return parse<T>(await readFile(this.path(kind, name), 'utf8'));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes the resource unless one of that name exists; returns false when it exists. */
  async create<T>(kind: ResourceKind, name: string, value: T): Promise<boolean> {
    const target = this.path(kind, name);
    const temp = await this.writeTemp(target, value);
    try {
      await link(temp, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp);
    }
  }

  /** Writes (creates or replaces) the resource. */
  async put<T>(kind: ResourceKind, name: string, value: T): Promise<void> {
    const target = this.path(kind, name);
    const temp = await this.writeTemp(target, value);
    await rename(temp, target);
  }

  /** Returns false when there was nothing to delete. */
  async delete(kind: ResourceKind, name: string): Promise<boolean> {
    try {
      await unlink(this.path(kind, name));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Every resource of the kind (model packages: of one group when `group` is given), in name order. */
  async list<T>(kind: ResourceKind, group?: string): Promise<T[]> {
    const dir = group === undefined ? join(this.stateDir, kind) : join(this.stateDir, kind, checkName(group));
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const items: T[] = [];
    for (const file of files) {
      try {
        items.push(parse<T>(await readFile(join(dir, file), 'utf8')));
      } catch (error) {
        if (!isNotFound(error)) throw error; // deleted by another process meanwhile
      }
    }
    return items;
  }

  /** Sub-directories of a kind (the model package groups that have packages). */
  async groups(kind: ResourceKind): Promise<string[]> {
    try {
      const entries = await readdir(join(this.stateDir, kind), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** Removes every resource (tests, `retrain local reset`). */
  async clear(): Promise<void> {
    await rm(this.stateDir, { recursive: true, force: true });
  }

  private path(kind: ResourceKind, name: string): string {
    return join(this.stateDir, kind, `${checkName(name)}.json`);
  }

  private async writeTemp(target: string, value: unknown): Promise<string> {
    const dir = target.slice(0, target.lastIndexOf('/'));
    await mkdir(dir, { recursive: true });
    const temp = `${target}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    return temp;
  }
}

function checkName(name: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new InvalidInputError(`not a valid local resource name: "${name}"`, { context: { name } });
  }
  return name;
}

function parse<T>(text: string): T {
  return JSON.parse(text, (key, value: unknown) => (TIME_KEY.test(key) && typeof value === 'string' && ISO.test(value) ? new Date(value) : value)) as T;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
