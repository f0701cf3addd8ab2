import { APPROVAL_PK, type WaitingApproval } from '../../../lambdas/core/approval';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { createApprovalHandler } from '../../../lambdas/approval/approval';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeRegistry, FakeTaskTokens, RecordingEvents, RecordingNotifier, executionArn } from '../../helpers/fakes';
import { MemoryStateStore } from '../../helpers/memory-state-store';
import { sageMakerModelPackageStateChange, type AwsEvent } from '../../helpers/sample-events';

const RUN = '20261127-120000-abcdef';
const GROUP = 'retrain-models';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMZ2ZdTwo5zrFH1token';

function setup() {
  const tokens = new FakeTaskTokens();
  const clock = new FakeClock('2026-11-27T13:00:00.000Z');
  const state = new MemoryStateStore(clock);
  return { state, tokens, handler: createApprovalHandler({ state, tokens, clock, registry: new FakeRegistry(), events: new RecordingEvents(), notifier: new RecordingNotifier() }) };
}

/** The documented state change event for version 5 of the project's group, decided by a person. */
function decision(status: 'Approved' | 'Rejected' | 'PendingManualApproval', extra: Record<string, unknown> = {}): AwsEvent {
  const event = sageMakerModelPackageStateChange({ groupName: GROUP, version: 5, approvalStatus: status });
  Object.assign(event.detail, extra);
  return event;
}

const PACKAGE = decision('Approved').detail.ModelPackageArn as string;

/** The Wait for approval state's payload (with the task token). */
function waitEvent(overrides: Record<string, unknown> = {}) {
  return { action: 'wait', taskToken: TOKEN, runId: RUN, modelPackageArn: PACKAGE, executionArn: executionArn('exec-a'), ...overrides };
}

describe('approval handler: wait', () => {
  it('stores the task token of the waiting run under its package', async () => {
    const { handler, state } = setup();

    const result = await handler(waitEvent());

    expect(result).toEqual({ waiting: true, modelPackageArn: PACKAGE });
    expect((await state.get<WaitingApproval>(APPROVAL_PK, PACKAGE))?.data).toMatchObject({ taskToken: TOKEN, runId: RUN, since: '2026-11-27T13:00:00.000Z' });
  });
});

describe('approval handler: package state change', () => {
  it('resumes the waiting run when a person approves its package, naming them', async () => {
    const { handler, tokens } = setup();
    await handler(waitEvent());

    const result = await handler(decision('Approved', { LastModifiedBy: { UserProfileName: 'alice', DomainId: 'd-1' } }));

    expect(result).toEqual({ resumed: true, runId: RUN, approved: true });
    expect(tokens.succeeded).toEqual([{ taskToken: TOKEN, output: { approved: true, reason: 'approved by alice' } }]);
  });

  it('fails the waiting task with the approval description when a person rejects the package', async () => {
    const { handler, tokens } = setup();
    await handler(waitEvent());

    const result = await handler(
      decision('Rejected', {
        ApprovalDescription: 'precision on the new segment is too low',
        LastModifiedBy: { IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/ml-lead/bob' } },
      }),
    );

    expect(result).toEqual({ resumed: true, runId: RUN, approved: false });
    expect(tokens.failed).toEqual([{ taskToken: TOKEN, error: 'ModelPackageRejected', cause: 'precision on the new segment is too low' }]);
  });

  it('names the IAM identity that rejected a package without a description', async () => {
    const { handler, tokens } = setup();
    await handler(waitEvent());

    await handler(decision('Rejected', { LastModifiedBy: { IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/ml-lead/bob' } } }));

    expect(tokens.failed[0].cause).toBe('rejected by arn:aws:sts::123456789012:assumed-role/ml-lead/bob');
  });

  it('ignores a package that is still pending', async () => {
    const { handler, tokens, state } = setup();
    await handler(waitEvent());

    const result = await handler(decision('PendingManualApproval'));

    expect(result).toEqual({ resumed: false, reason: 'still pending' });
    expect(tokens.succeeded).toEqual([]);
    expect((await state.get<WaitingApproval>(APPROVAL_PK, PACKAGE))?.data).toMatchObject({ taskToken: TOKEN, runId: RUN, since: '2026-11-27T13:00:00.000Z' });
  });

  it('leaves a decided package alone when no run waits for it', async () => {
    const { handler, tokens } = setup();

    const result = await handler(decision('Approved'));

    expect(result).toEqual({ resumed: false, reason: `no run waits for ${PACKAGE}` });
    expect(tokens.succeeded).toEqual([]);
  });

  it('accepts the documented event as it is, without LastModifiedBy', async () => {
    const { handler, tokens } = setup();
    await handler(waitEvent());

    await handler(decision('Approved'));

    expect(tokens.succeeded[0].output).toEqual({ approved: true, reason: 'approved' });
  });
});

describe('approval handler: event validation', () => {
  it.each([
    ['an event from another source', { ...decision('Approved'), source: 'aws.s3' }, /^approval event: source: /],
    ['an unknown approval status', decision('Approved', { ModelApprovalStatus: 'Maybe' }), /detail\.ModelApprovalStatus: /],
    ['a state change without the package ARN', decision('Approved', { ModelPackageArn: undefined }), /detail\.ModelPackageArn: /],
  ])('rejects %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler, tokens } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(tokens.succeeded).toEqual([]);
    expect(tokens.failed).toEqual([]);
  });

  // BUG (lambdas/approval/approval.ts): a wait event that does not match its schema falls
  // through to the state-change schema, so the error names source, detail-type and detail
  // instead of the wait field that is wrong. Fix: dispatch on the action first, as the deploy
  // handler does: `if ((event as { action?: unknown } | null)?.action === 'wait') return
  // registerWait(ports, strip(parseEvent(waitEvent, event, 'approval wait event')))`.
  it('names the wait field that is wrong in a malformed wait event', async () => {
    const { handler } = setup();

    const attempt = handler(waitEvent({ executionArn: undefined }));

    await expect(attempt).rejects.toThrow(/executionArn/);
  });
});
