/** EventPublisher on a JSON Lines file (local mode): what EventBridge would have received. */
import { checkEventSize } from '../lambdas/adapters/eventbridge-publisher';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../lambdas/adapters/clock';
import { EVENT_SOURCE } from '../lambdas/core/run-events';
import type { Clock, EventPublisher } from '../lambdas/adapters/ports';
import { appendJsonLine, readJsonLines } from './jsonl-log';

/** One published event. */
export interface FileEvent {
  /** Unique per event, like the id EventBridge assigns. */
  readonly id: string;
  /** Always "retrain". */
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  /** ISO 8601, from the clock. */
  readonly time: string;
}

export interface FileEvents extends EventPublisher {
  /** Every event published so far, in order. */
  read(): Promise<FileEvent[]>;
}

export function createFileEvents(path: string, clock: Clock = systemClock): FileEvents {
  return {
    async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
      checkEventSize(detailType, detail); // EventBridge's entry limit, as in the cloud
      const event: FileEvent = { id: randomUUID(), source: EVENT_SOURCE, detailType, detail, time: clock.now().toISOString() };
      await appendJsonLine(path, event);
    },
    read: () => readJsonLines<FileEvent>(path),
  };
}
