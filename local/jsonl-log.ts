/**
 * Append-only JSON Lines files for local mode (events, notifications, metrics). One append
 * is one write(2) of whole lines on a file opened with O_APPEND, so lines written
 * concurrently (async calls or processes) never interleave. A reader ignores a last line
 * without its newline: a write still in progress, not yet a record.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidInputError } from '../lambdas/core/errors';

/** Appends one value as one line, creating the file and its directory when needed. */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  await appendJsonLines(path, [value]);
}

/** Appends values as lines in one write, so they land together and in order. */
export async function appendJsonLines(path: string, values: readonly unknown[]): Promise<void> {
  if (values.length === 0) return;
  const lines = values.map((value, index) => {
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new InvalidInputError(`cannot append ${typeof value} (item ${index}) to ${path}: not a JSON value`, { context: { path, index } });
    }
    return `${json}\n`;
  });
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, lines.join(''), { flag: 'a' });
}

/** Every complete line of the file, parsed, in order; [] when the file does not exist. */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a line still being written
  const records: T[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch (error) {
      throw new InvalidInputError(`${path}:${index + 1}: not valid JSON (${(error as Error).message})`, {
        cause: error,
        context: { path, line: index + 1 },
      });
    }
  });
  return records;
}

/** A JSON Lines file of records of one type. */
export interface JsonlLog<T> {
  readonly path: string;
  append(record: T): Promise<void>;
  read(): Promise<T[]>;
}

export function createJsonlLog<T>(path: string): JsonlLog<T> {
  return {
    path,
    append: (record) => appendJsonLine(path, record),
    read: () => readJsonLines<T>(path),
  };
}
