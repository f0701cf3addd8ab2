/** EventPublisher on EventBridge: one PutEvents entry per event, source "retrain". */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { withAwsErrors, mapAwsError } from './aws-errors';
import { EVENT_SOURCE } from '../core/run-events';
import type { EventPublisher } from './ports';
import { EVENTBRIDGE_ENTRY_BYTES, eventBridgeEntryBytes } from '../core/aws-limits';
import { InvalidInputError } from '../core/errors';

/** EventBridge refuses entries of 256 KB and more; say so before sending (local mode does the same). */
export function checkEventSize(detailType: string, detail: Record<string, unknown>): void {
  const bytes = eventBridgeEntryBytes({ source: EVENT_SOURCE, detailType, detail: JSON.stringify(detail) });
  if (bytes >= EVENTBRIDGE_ENTRY_BYTES) {
    throw new InvalidInputError(`event "${detailType}" is ${bytes} bytes: EventBridge accepts entries under 256 KB`, { context: { detailType, bytes } });
  }
}


export function createEventBridgePublisher(client: EventBridgeClient, eventBusName = 'default'): EventPublisher {
  return {
    async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
      const call = { service: 'EventBridge', operation: 'PutEvents', context: { eventBusName, detailType } };
      checkEventSize(detailType, detail);
      const result = await withAwsErrors(call, () =>
        client.send(
          new PutEventsCommand({
            Entries: [{ Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: eventBusName }],
          }),
        ),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const entry = result.Entries?.find((e) => e.ErrorCode !== undefined) ?? {};
        // The entry's error code has the shape of an AWS error name: InternalFailure and
        // ThrottlingException map to TransientError, the others (MalformedDetail, ...) do not.
        const failure = Object.assign(new Error(entry.ErrorMessage ?? 'no error message'), { name: entry.ErrorCode ?? 'FailedEntry' });
        throw mapAwsError(failure, { ...call, context: { ...call.context, errorCode: entry.ErrorCode } });
      }
    },
  };
}
