import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** What a principal does with executions of a state machine encrypted with a customer managed key. */
export type ExecutionKeyUse = 'start' | 'read';

/**
 * A state machine encrypted with a customer managed key has its execution input, output and
 * history encrypted on the caller's behalf: a principal that starts an execution (or resumes
 * one with a task token) needs kms:GenerateDataKey and kms:Decrypt, one that reads an
 * execution (DescribeExecution, GetExecutionHistory) needs kms:Decrypt. Both are limited to
 * this state machine by the encryption context Step Functions sends.
 * Source: Step Functions Developer Guide, "Data at rest encryption" (customer managed keys:
 * the encryption context `aws:states:stateMachineArn`, and the KMS permissions of API callers).
 */
export function grantExecutionKey(grantee: iam.IGrantable, key: kms.IKey, stateMachineArn: string, use: ExecutionKeyUse): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: use === 'start' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': stateMachineArn } },
    }),
  );
}
