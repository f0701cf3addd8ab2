/**
 * RedriveExecution in local mode. Expectations from the Step Functions API Reference,
 * RedriveExecution: a failed, aborted or timed-out execution "continues ... from the unsuccessful
 * step and uses the same input"; the successful steps are not run again; the execution keeps its
 * ARN; a running or succeeded execution is not redrivable (ExecutionNotRedrivable).
 */
import { LocalStateMachine } from '../../../local/state-machine';
import type { LocalSageMaker } from '../../../local/sagemaker/backend';
import { Timeline } from '../../../local/timeline';
import { VirtualClock } from '../../../local/virtual-clock';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:retrain-pipeline';
const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:retrain-${name}`;

/** Prepare → Work → Done; Work fails (uncaught) while `failures` is positive. */
function machine(failures: { left: number }) {
  const calls: Array<{ state: string; input: unknown }> = [];
  const local = new LocalStateMachine({
    definition: {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Task', Resource: fn('prepare'), ResultPath: '$.prepared', Next: 'Work' } as never,
        Work: { Type: 'Task', Resource: fn('work'), ResultPath: '$.worked', Next: 'Done' } as never,
        Done: { Type: 'Succeed' } as never,
      },
    },
    stateMachineArn: ARN,
    functions: {
      'retrain-prepare': async (input) => {
        calls.push({ state: 'Prepare', input });
        return { at: calls.length };
      },
      'retrain-work': async (input) => {
        calls.push({ state: 'Work', input });
        if (failures.left-- > 0) throw Object.assign(new Error('the work timed out'), { name: 'States.Timeout' });
        return 'ok';
      },
    },
    sagemaker: {} as LocalSageMaker,
    timeline: new Timeline(new VirtualClock(new Date('2026-12-04T12:00:00Z'))),
  });
  return { local, calls };
}

describe('local state machine: RedriveExecution', () => {
  it('continues a failed execution from the failed state with that state\'s input, without running the states before it', async () => {
    const { local, calls } = machine({ left: 1 });
    const first = local.run({ runId: 'r1' }, 'exec-1');
    await first.done;
    expect(first).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(local.stoppedIn('exec-1')).toEqual({ state: 'Work', failState: false });

    const redriven = local.redrive('exec-1');
    await redriven.done;

    expect(redriven).toBe(first);
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', arn: `${ARN.replace(':stateMachine:', ':execution:')}:exec-1`, redriveCount: 1 });
    expect(redriven.output).toEqual({ runId: 'r1', prepared: { at: 1 }, worked: 'ok' });
    expect(calls.map((c) => c.state)).toEqual(['Prepare', 'Work', 'Work']);
    expect(calls[2].input).toEqual(calls[1].input);
  });

  it('continues an aborted execution from the state it was stopped in', async () => {
    const { local, calls } = machine({ left: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const functions = (local as unknown as { options: { functions: Record<string, (i: unknown) => Promise<unknown>> } }).options.functions;
    const work = functions['retrain-work'];
    functions['retrain-work'] = async (input) => {
      await gate;
      return work(input);
    };
    const run = local.run({}, 'exec-2');
    while (!run.states.includes('Work')) await new Promise((resolve) => setImmediate(resolve));
    local.abort('exec-2');
    expect(run.status).toBe('ABORTED');
    release();

    const redriven = local.redrive('exec-2');
    await redriven.done;

    expect(redriven.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.state === 'Prepare')).toHaveLength(1);
  });

  it('refuses to redrive a succeeded execution (ExecutionNotRedrivable)', async () => {
    const { local } = machine({ left: 0 });
    const run = local.run({}, 'exec-3');
    await run.done;

    expect(() => local.redrive('exec-3')).toThrow(expect.objectContaining({ name: 'ExecutionNotRedrivable' }));
  });
});
