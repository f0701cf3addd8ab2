import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { TransientError } from '../../../lambdas/core/errors';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import { createEventBridgePublisher } from '../../../lambdas/adapters/eventbridge-publisher';
import { sentCommandProblems } from '../../helpers/api-model';

const events = mockClient(EventBridgeClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(events)).toEqual([]));

describe('eventbridge-publisher', () => {
  beforeEach(() => events.reset());

  it('puts one entry with source "retrain", the detail type and the detail as JSON on the default bus', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }));

    await publisher.publish('Retrain Run Succeeded', { runId: 'r1', metric: { auc: 0.91 } });

    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [{ Source: 'retrain', DetailType: 'Retrain Run Succeeded', Detail: '{"runId":"r1","metric":{"auc":0.91}}', EventBusName: 'default' }],
    });
  });

  it('uses the event bus it was given', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'ml-bus');

    await publisher.publish('X', {});

    expect(events).toHaveReceivedCommandWith(PutEventsCommand, { Entries: [expect.objectContaining({ EventBusName: 'ml-bus' })] });
  });

  it('throws an error naming the entry error code and message when the entry failed', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }] });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }));

    const attempt = publisher.publish('X', {});

    await expect(attempt).rejects.toBeInstanceOf(AwsRequestError);
    await expect(attempt).rejects.toThrow(/MalformedDetail: Detail is malformed\./);
  });

  it('throws a TransientError when the entry failed for a retryable reason', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }));

    await expect(publisher.publish('X', {})).rejects.toMatchObject({
      name: 'TransientError',
      context: expect.objectContaining({ detailType: 'X', errorCode: 'ThrottlingException', eventBusName: 'default' }),
    });
  });

  it('maps a failed request', async () => {
    events.on(PutEventsCommand).rejects(Object.assign(new Error('service unavailable'), { name: 'InternalException', $fault: 'server' }));
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }));

    await expect(publisher.publish('X', {})).rejects.toBeInstanceOf(TransientError);
  });
});
