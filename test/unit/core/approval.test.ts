import { APPROVAL_PK, registerWait, resumeRun, type WaitingApproval } from '../../../lambdas/core/approval';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeRegistry, FakeTaskTokens, RecordingEvents, RecordingNotifier, executionArn, modelPackage, modelPackageArn } from '../../helpers/fakes';
import { NotFoundError } from '../../../lambdas/core/errors';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const PACKAGE = modelPackageArn('retrain-models', 7);
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMZ2ZdTwo5zrFH1token';
const RUN = '20261127-120000-abcdef';

function setup() {
  const clock = new FakeClock('2026-11-27T13:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const tokens = new FakeTaskTokens();
  const registry = new FakeRegistry().withPackage(modelPackage({ arn: PACKAGE, status: 'PendingManualApproval' }));
  return { state, clock, tokens, registry, events: new RecordingEvents(), notifier: new RecordingNotifier() };
}

async function waiting(f: ReturnType<typeof setup>): Promise<void> {
  await registerWait(f, { taskToken: TOKEN, runId: RUN, modelPackageArn: PACKAGE, executionArn: executionArn('exec-a') });
}

describe('approval: registerWait', () => {
  it('stores the task token under the package ARN with the time the wait began', async () => {
    const f = setup();

    const result = await registerWait(f, { taskToken: TOKEN, runId: RUN, modelPackageArn: PACKAGE, executionArn: executionArn('exec-a') });

    expect(result).toEqual({ waiting: true, modelPackageArn: PACKAGE });
    expect((await f.state.get<WaitingApproval>(APPROVAL_PK, PACKAGE))?.data).toEqual({
      taskToken: TOKEN,
      runId: RUN,
      modelPackageArn: PACKAGE,
      executionArn: executionArn('exec-a'),
      since: '2026-11-27T13:00:00.000Z',
    });
  });

  it('replaces the token of a retried wait for the same package', async () => {
    const f = setup();
    await waiting(f);

    await registerWait(f, { taskToken: 'second-token', runId: RUN, modelPackageArn: PACKAGE, executionArn: executionArn('exec-a') });

    expect(f.state.partition<WaitingApproval>(APPROVAL_PK).map((w) => w.taskToken)).toEqual(['second-token']);
  });
});

describe('approval: telling people', () => {
  it('publishes "Awaiting Approval" and notifies with the commands to decide', async () => {
    const f = setup();

    await waiting(f);

    expect(f.events.published).toEqual([expect.objectContaining({ detailType: 'Awaiting Approval', detail: expect.objectContaining({ runId: RUN }) })]);
    expect(f.notifier.messages[0].message).toContain(`retrain approve ${PACKAGE}`);
  });
});

describe('approval: a decision made before the run waits', () => {
  it('resumes at once when the package was already approved', async () => {
    const f = setup();
    await f.registry.setApproval(PACKAGE, 'Approved', 'looked good');

    const result = await registerWait(f, { taskToken: TOKEN, runId: RUN, modelPackageArn: PACKAGE, executionArn: executionArn('exec-a') });

    expect(result).toEqual({ resumed: true, runId: RUN, approved: true });
    expect(f.tokens.succeeded).toHaveLength(1);
    expect(f.state.partition(APPROVAL_PK)).toHaveLength(0);
  });
});

describe('approval: resumeRun', () => {
  it('forgets a wait whose task no longer exists (timed out), without failing', async () => {
    const f = setup();
    await waiting(f);
    f.tokens.succeed = async () => {
      throw new NotFoundError('the task no longer waits (TaskTimedOut)');
    };

    const result = await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Approved' });

    expect(result).toEqual({ resumed: false, reason: expect.stringContaining('no longer waits') });
    expect(f.state.partition(APPROVAL_PK)).toHaveLength(0);
  });

  it('resumes an approved package with approved: true and who approved it', async () => {
    const f = setup();
    await waiting(f);

    const result = await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Approved', by: 'alice' });

    expect(result).toEqual({ resumed: true, runId: RUN, approved: true });
    expect(f.tokens.succeeded).toEqual([{ taskToken: TOKEN, output: { approved: true, reason: 'approved by alice' } }]);
    expect(f.tokens.failed).toEqual([]);
  });

  it('passes the approval description on as the reason', async () => {
    const f = setup();
    await waiting(f);

    await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Approved', reason: 'checked the confusion matrix', by: 'alice' });

    expect(f.tokens.succeeded[0].output).toEqual({ approved: true, reason: 'checked the confusion matrix' });
  });

  it('fails the task with ModelPackageRejected and the reason, which the state machine catches', async () => {
    const f = setup();
    await waiting(f);

    const result = await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Rejected', reason: 'the March data is incomplete', by: 'bob' });

    expect(result).toEqual({ resumed: true, runId: RUN, approved: false });
    expect(f.tokens.failed).toEqual([{ taskToken: TOKEN, error: 'ModelPackageRejected', cause: 'the March data is incomplete' }]);
    expect(f.tokens.succeeded).toEqual([]);
  });

  it('names who rejected the package when no reason was given', async () => {
    const f = setup();
    await waiting(f);

    await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Rejected', by: 'arn:aws:iam::123456789012:user/bob' });

    expect(f.tokens.failed[0].cause).toBe('rejected by arn:aws:iam::123456789012:user/bob');
  });

  it('says "rejected" when neither a reason nor a person is known', async () => {
    const f = setup();
    await waiting(f);

    await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Rejected' });

    expect(f.tokens.failed[0].cause).toBe('rejected');
  });

  it('leaves a package no run waits for alone', async () => {
    const f = setup();
    await waiting(f);
    const other = modelPackageArn('retrain-models', 6);

    const result = await resumeRun(f, { modelPackageArn: other, status: 'Approved' });

    expect(result).toEqual({ resumed: false, reason: `no run waits for ${other}` });
    expect(f.tokens.succeeded).toEqual([]);
    expect(f.tokens.failed).toEqual([]);
    expect((await f.state.get<WaitingApproval>(APPROVAL_PK, PACKAGE))?.data).toEqual({
      taskToken: TOKEN,
      runId: RUN,
      modelPackageArn: PACKAGE,
      executionArn: executionArn('exec-a'),
      since: '2026-11-27T13:00:00.000Z',
    });
  });

  it('deletes the waiting item after resuming, so a second decision resumes nothing', async () => {
    const f = setup();
    await waiting(f);

    await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Approved' });
    const again = await resumeRun(f, { modelPackageArn: PACKAGE, status: 'Rejected' });

    expect(await f.state.get(APPROVAL_PK, PACKAGE)).toBeUndefined();
    expect(again).toMatchObject({ resumed: false });
    expect(f.tokens.succeeded).toHaveLength(1);
    expect(f.tokens.failed).toEqual([]);
  });
});
