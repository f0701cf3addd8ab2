import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsRequestError } from '../../../lambdas/adapters/aws-errors';
import { createSnsNotifier, toSnsSubject } from '../../../lambdas/adapters/sns-notifier';
import { sentCommandProblems } from '../../helpers/api-model';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:retrain-notifications';
const sns = mockClient(SNSClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(sns)).toEqual([]));

describe('sns-notifier', () => {
  beforeEach(() => sns.reset());

  it('publishes the subject and the message to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const notifier = createSnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

    await notifier.notify('retrain: run r1 deployed', 'The candidate beat the champion.');

    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'retrain: run r1 deployed',
      Message: 'The candidate beat the champion.',
    });
  });

  it('sends a subject SNS accepts when the given one is too long or has line breaks', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const notifier = createSnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

    await notifier.notify(`run failed:\n${'x'.repeat(200)}`, 'details');

    const subject = sns.commandCalls(PublishCommand)[0].args[0].input.Subject ?? '';
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('run failed: xxx')).toBe(true);
  });

  it('maps a failed publish with the topic in the context', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } }));
    const notifier = createSnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

    const attempt = notifier.notify('s', 'm');

    await expect(attempt).rejects.toBeInstanceOf(AwsRequestError);
    await expect(attempt).rejects.toMatchObject({ context: expect.objectContaining({ topicArn: TOPIC }) });
  });
});

describe('sns-notifier: toSnsSubject', () => {
  it('keeps a short one-line subject as it is', () => {
    expect(toSnsSubject('retrain: run r1 succeeded')).toBe('retrain: run r1 succeeded');
  });

  it('turns line breaks, tabs and control characters into single spaces and trims', () => {
    expect(toSnsSubject('  a\r\nb\t\tc\u0007d\u2028e  ')).toBe('a b c d e');
  });

  it('cuts a long subject to 99 characters ending in "..."', () => {
    const subject = toSnsSubject('y'.repeat(150));

    expect(subject).toHaveLength(99);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('never cuts inside a surrogate pair', () => {
    const subject = toSnsSubject('😀'.repeat(120));

    expect(Array.from(subject)).toHaveLength(99);
    expect(subject.replace(/\.\.\.$/, '')).toBe('😀'.repeat(96));
  });

  it('keeps a subject of exactly 99 characters whole', () => {
    expect(toSnsSubject('z'.repeat(99))).toBe('z'.repeat(99));
  });

  it('gives an empty subject a name', () => {
    expect(toSnsSubject(' \n ')).toBe('retrain');
  });
});
