import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { createFileEvents } from '../../../local/file-events';
import { VirtualClock } from '../../../local/virtual-clock';

describe('file-events', () => {
  let dir: string;
  let path: string;
  const clock = new VirtualClock('2024-06-01T08:00:00.000Z');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-file-events-'));
    path = join(dir, 'events.jsonl');
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("refuses an event of 256 KB or more, as EventBridge's entry limit does, and records nothing", async () => {
    const events = createFileEvents(path, clock);

    await expect(events.publish('Model Deployed', { note: 'x'.repeat(256 * 1024) })).rejects.toThrow(/EventBridge accepts entries under 256 KB/);
    await expect(events.read()).resolves.toEqual([]);
  });

  it('records source "retrain", the detail type, the detail, the time and a unique id', async () => {
    const events = createFileEvents(path, clock);

    await events.publish('Retrain Run Succeeded', { runId: 'r1' });
    clock.advance(1_000);
    await events.publish('Retrain Run Failed', { runId: 'r2', cause: 'gate' });

    const recorded = await events.read();
    expect(recorded).toEqual([
      { id: expect.any(String), source: 'retrain', detailType: 'Retrain Run Succeeded', detail: { runId: 'r1' }, time: '2024-06-01T08:00:00.000Z' },
      { id: expect.any(String), source: 'retrain', detailType: 'Retrain Run Failed', detail: { runId: 'r2', cause: 'gate' }, time: '2024-06-01T08:00:01.000Z' },
    ]);
    expect(recorded[0].id).not.toBe(recorded[1].id);
  });

  it('keeps every event of many concurrent publishes, each on its own line', async () => {
    const events = createFileEvents(path, clock);

    await Promise.all(Array.from({ length: 100 }, (_, i) => events.publish('Tick', { i, padding: 'x'.repeat(1000) })));

    const seen = (await events.read()).map((e) => e.detail.i as number).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('ignores a last line still being written', async () => {
    const events = createFileEvents(path, clock);
    await events.publish('Complete', {});

    await appendFile(path, '{"id":"x","source":"retrain","detailTy');

    await expect(events.read()).resolves.toHaveLength(1);
  });

  it('names the file and line of a corrupt record', async () => {
    await writeFile(path, '{"ok":true}\nnot json\n');

    const reading = createFileEvents(path, clock).read();

    await expect(reading).rejects.toBeInstanceOf(InvalidInputError);
    await expect(reading).rejects.toThrow(`${path}:2: not valid JSON`);
  });
});
