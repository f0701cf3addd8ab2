/** Notifier on the SNS topic. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { withAwsErrors } from './aws-errors';
import type { Notifier } from './ports';

/** SNS subjects must be shorter than 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;

/**
 * A subject SNS accepts: line breaks and control characters become spaces, runs of blanks
 * collapse, and a subject longer than 99 characters is cut (never inside a surrogate pair)
 * and ends with "...". An empty subject becomes "retrain".
 */
export function toSnsSubject(subject: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = subject.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  if (chars.length === 0) return 'retrain';
  if (chars.length <= MAX_SUBJECT_LENGTH) return flat;
  return `${chars.slice(0, MAX_SUBJECT_LENGTH - 3).join('').trimEnd()}...`;
}

export function createSnsNotifier(client: SNSClient, topicArn: string): Notifier {
  return {
    async notify(subject: string, message: string): Promise<void> {
      await withAwsErrors({ service: 'SNS', operation: 'Publish', context: { topicArn, subject } }, () =>
        client.send(new PublishCommand({ TopicArn: topicArn, Subject: toSnsSubject(subject), Message: message })),
      );
    },
  };
}
