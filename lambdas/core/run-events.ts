/** What retrain publishes to EventBridge when a run ends (source "retrain"). */
import type { RunStatus } from './admission';

export const EVENT_SOURCE = 'retrain';

export const RUN_EVENT_TYPES_BY_OUTCOME: Record<Exclude<RunStatus, 'running'>, string> = {
  deployed: 'Model Deployed',
  rejected: 'Candidate Rejected',
  failed: 'Run Failed',
  'rolled-back': 'Deployment Rolled Back',
  'awaiting-approval': 'Awaiting Approval',
  'dry-run': 'Dry Run Evaluated',
};
