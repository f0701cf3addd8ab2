import { z } from 'zod';
import { parseEvent } from '../adapters/runtime';
import { registerWait, resumeRun, type ApprovalPorts, type ResumeResult } from '../core/approval';

const waitEvent = z.strictObject({
  action: z.literal('wait'),
  taskToken: z.string().min(1),
  runId: z.string(),
  modelPackageArn: z.string(),
  executionArn: z.string(),
});

/** The "SageMaker Model Package State Change" event, as the approval rule delivers it. */
const stateChangeEvent = z.looseObject({
  source: z.literal('aws.sagemaker'),
  'detail-type': z.literal('SageMaker Model Package State Change'),
  detail: z.looseObject({
    ModelPackageArn: z.string(),
    ModelApprovalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
    ApprovalDescription: z.string().optional(),
    LastModifiedBy: z.looseObject({ UserProfileName: z.string().optional(), IamIdentity: z.looseObject({ Arn: z.string().optional() }).optional() }).optional(),
  }),
});

/** Stores the task token of a waiting run, or resumes the run when its package is decided. */
export function createApprovalHandler(ports: ApprovalPorts) {
  return async (event: unknown): Promise<{ waiting: true; modelPackageArn: string } | ResumeResult> => {
    if ((event as { action?: unknown } | null)?.action === 'wait') {
      const { action: _action, ...request } = parseEvent(waitEvent, event, 'approval wait event');
      return registerWait(ports, request);
    }
    const { detail } = parseEvent(stateChangeEvent, event, 'approval event');
    if (detail.ModelApprovalStatus === 'PendingManualApproval') return { resumed: false, reason: 'still pending' };
    return resumeRun(ports, {
      modelPackageArn: detail.ModelPackageArn,
      status: detail.ModelApprovalStatus,
      reason: detail.ApprovalDescription,
      by: detail.LastModifiedBy?.UserProfileName ?? detail.LastModifiedBy?.IamIdentity?.Arn,
    });
  };
}
