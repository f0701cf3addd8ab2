import { LocalStateMachine } from '../../../local/state-machine';
import type { LocalSageMaker } from '../../../local/sagemaker/backend';
import { Timeline } from '../../../local/timeline';
import { VirtualClock } from '../../../local/virtual-clock';
import { STATE_PAYLOAD_BYTES } from '../../../lambdas/core/aws-limits';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:retrain-pipeline';
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:retrain-echo';

/** One Task that returns `bytes` characters, caught by a catch-all that would hide any other error. */
function machine(bytes: number) {
  return new LocalStateMachine({
    definition: {
      StartAt: 'Make',
      States: {
        Make: { Type: 'Task', Resource: FUNCTION, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true } as never,
        Caught: { Type: 'Succeed' } as never,
      },
    },
    stateMachineArn: ARN,
    functions: { 'retrain-echo': async () => ({ blob: 'x'.repeat(bytes) }) },
    sagemaker: {} as LocalSageMaker,
    timeline: new Timeline(new VirtualClock(new Date('2026-12-04T12:00:00Z'))),
  });
}

describe('local state machine: Step Functions payload limits', () => {
  it('fails the execution with States.DataLimitExceeded, uncatchable, when a state returns more than 256 KiB', async () => {
    const run = machine(STATE_PAYLOAD_BYTES).run({});
    await run.done;

    expect(run).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining("'Make'") });
  });

  it('passes a state output just under the limit', async () => {
    const run = machine(STATE_PAYLOAD_BYTES - 100).run({});
    await run.done;

    expect(run.status).toBe('SUCCEEDED');
  });

  it('refuses an execution input over 256 KiB as StartExecution does', () => {
    expect(() => machine(1).run({ blob: 'x'.repeat(STATE_PAYLOAD_BYTES) })).toThrow(expect.objectContaining({ name: 'InvalidExecutionInput' }));
  });
});
