import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileNotifier } from '../../../local/file-notifier';
import { VirtualClock } from '../../../local/virtual-clock';

describe('file-notifier', () => {
  let dir: string;
  let path: string;
  const clock = new VirtualClock('2024-06-01T08:00:00.000Z');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-file-notifier-'));
    path = join(dir, 'notifications.jsonl');
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('records the subject, the message and the time, in order', async () => {
    const notifier = createFileNotifier(path, clock);

    await notifier.notify('retrain: run r1 deployed', 'auc 0.91 beats 0.88');
    await notifier.notify('retrain: run r2 rejected', 'line one\nline two');

    await expect(notifier.read()).resolves.toEqual([
      { subject: 'retrain: run r1 deployed', message: 'auc 0.91 beats 0.88', time: '2024-06-01T08:00:00.000Z' },
      { subject: 'retrain: run r2 rejected', message: 'line one\nline two', time: '2024-06-01T08:00:00.000Z' },
    ]);
  });

  it('records the subject as SNS would send it: one line, shorter than 100 characters', async () => {
    const notifier = createFileNotifier(path, clock);

    await notifier.notify(`failed:\n${'x'.repeat(150)}`, 'm');

    const [notification] = await notifier.read();
    expect(notification.subject.length).toBeLessThan(100);
    expect(notification.subject).toMatch(/^failed: x+\.\.\.$/);
  });

  it('reads nothing before anything was sent', async () => {
    await expect(createFileNotifier(path, clock).read()).resolves.toEqual([]);
  });
});
