/** Notifier on a JSON Lines file (local mode): what the SNS topic would have sent. */
import { systemClock } from '../lambdas/adapters/clock';
import type { Clock, Notifier } from '../lambdas/adapters/ports';
import { toSnsSubject } from '../lambdas/adapters/sns-notifier';
import { appendJsonLine, readJsonLines } from './jsonl-log';

/** One notification. */
export interface FileNotification {
  /** As SNS would send it: one line, shorter than 100 characters. */
  readonly subject: string;
  readonly message: string;
  /** ISO 8601, from the clock. */
  readonly time: string;
}

export interface FileNotifier extends Notifier {
  /** Every notification sent so far, in order. */
  read(): Promise<FileNotification[]>;
}

export function createFileNotifier(path: string, clock: Clock = systemClock): FileNotifier {
  return {
    async notify(subject: string, message: string): Promise<void> {
      const notification: FileNotification = { subject: toSnsSubject(subject), message, time: clock.now().toISOString() };
      await appendJsonLine(path, notification);
    },
    read: () => readJsonLines<FileNotification>(path),
  };
}
