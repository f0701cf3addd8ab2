/**
 * Two processes on one local directory (`retrain local up` and `retrain local run`): the lock
 * holder's execution lives in the other process, and the second process's trigger must be
 * queued behind it, not take its lock over — until that process is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admit, type AdmissionPorts, type AdmissionSettings } from '../../../lambdas/core/admission';
import type { LocalSageMaker } from '../../../local/sagemaker/backend';
import { HEARTBEAT_STALE_MS, LocalStateMachine, type SharedExecutionRecord } from '../../../local/state-machine';
import { Timeline } from '../../../local/timeline';
import { VirtualClock } from '../../../local/virtual-clock';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:e2e-pipeline';
const executionArn = (name: string) => `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
const settings: AdmissionSettings = { cooldownMinutes: 0, quietPeriodSeconds: 0, maxWaitSeconds: 1800, triggerLogDays: 90 };

/** A one-task machine; the task never ends unless `hold` says otherwise. */
function machine(executionsDir?: string, hold: () => Promise<unknown> = () => new Promise<never>(() => undefined)): LocalStateMachine {
  return new LocalStateMachine({
    definition: { StartAt: 'Hold', States: { Hold: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:hold', End: true } as never } },
    stateMachineArn: MACHINE_ARN,
    functions: { hold },
    sagemaker: {} as LocalSageMaker,
    timeline: new Timeline(new VirtualClock('2026-03-02T09:00:00.000Z')),
    ...(executionsDir ? { executionsDir } : {}),
  });
}

/** Starts the other process holding execution `name`; resolves once it runs. */
function holdInAnotherProcess(executionsDir: string, name: string): Promise<ChildProcess> {
  // One process (tsx as a loader, not its CLI, which would run the script in a grandchild).
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'helpers', 'hold-execution.ts'), executionsDir, name], {
    cwd: join(__dirname, '..', '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('running ')) resolve(child);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the holding process exited (${code}) before it ran: ${output}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('local state machine: an execution of another process, in order', () => {
  let dir: string;
  let child: ChildProcess;
  let here: LocalStateMachine;
  const clock = new FakeClock('2026-03-02T09:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const admitManual = (name: string) =>
    admit(
      { state, clock, executions: here, sleep: async () => undefined } satisfies AdmissionPorts,
      { input: {}, execution: { arn: executionArn(name), name, startTime: clock.now().toISOString() }, stateMachineArn: MACHINE_ARN, settings },
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-executions-'));
    child = await holdInAnotherProcess(dir, 'holder');
    here = machine(dir);
  });
  afterAll(async () => {
    await killed(child);
    await rm(dir, { recursive: true, force: true });
  });

  it('sees the record of the other process on disk: owner pid and a heartbeat', async () => {
    const record = JSON.parse(await readFile(join(dir, 'holder.json'), 'utf8')) as SharedExecutionRecord;

    expect(record).toMatchObject({ name: 'holder', arn: executionArn('holder'), status: 'RUNNING', owner: { pid: child.pid } });
    expect(record.heartbeatAt).toBeLessThanOrEqual(Date.now());
    expect(await here.status(executionArn('holder'))).toBe('RUNNING');
  });

  it('starts no second copy of an execution the other process started (StartExecution is idempotent per name)', async () => {
    const started = await here.start(MACHINE_ARN, 'holder', {});

    expect(started.executionArn).toBe(executionArn('holder'));
    expect(here.executions.has('holder')).toBe(false);
  });

  it('queues a trigger behind the lock the other process holds, not taking it over', async () => {
    // The other process's execution passed Admit: it holds the lock.
    expect((await admitManual('holder')).admission.outcome).toBe('started');
    clock.advanceSeconds(1); // after the holder's snapshot: not covered by it

    const second = await admitManual('second');

    expect(second.admission.outcome).toBe('queued');
  });

  it('takes the lock over once the other process is gone: its execution is no longer RUNNING', async () => {
    await killed(child);

    expect(await here.status(executionArn('holder'))).toBe('ABORTED');
    expect((await admitManual('third')).admission.outcome).toBe('started');
  });
});

describe('local state machine: execution records', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-executions-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the final status when an execution of this process ends', async () => {
    const here = machine(dir, async () => ({ done: true }));
    await here.run({}, 'mine').done;

    const record = JSON.parse(await readFile(join(dir, 'mine.json'), 'utf8')) as SharedExecutionRecord;

    expect(record.status).toBe('SUCCEEDED');
    expect(await machine(dir).status(executionArn('mine'))).toBe('SUCCEEDED');
  });

  it('reads a RUNNING record as ABORTED once its heartbeat is stale, even if the pid is alive (a reused pid, a hung owner)', async () => {
    const record = (name: string, owner: { host: string; pid: number }, heartbeatAt: number): SharedExecutionRecord => ({
      name,
      arn: executionArn(name),
      status: 'RUNNING',
      startedAt: '2026-03-02T09:00:00.000Z',
      owner,
      heartbeatAt,
    });
    const alive = { host: hostname(), pid: process.pid };
    await writeFile(join(dir, 'fresh.json'), JSON.stringify(record('fresh', alive, Date.now())));
    await writeFile(join(dir, 'stale.json'), JSON.stringify(record('stale', alive, Date.now() - HEARTBEAT_STALE_MS - 1000)));
    await writeFile(join(dir, 'remote.json'), JSON.stringify(record('remote', { host: `not-${hostname()}`, pid: 1 }, Date.now())));

    const here = machine(dir);

    expect(await here.status(executionArn('fresh'))).toBe('RUNNING');
    expect(await here.status(executionArn('stale'))).toBe('ABORTED');
    expect(await here.status(executionArn('remote'))).toBe('RUNNING');
  });

  it('without a shared directory, knows only its own executions', async () => {
    expect(await machine().status(executionArn('elsewhere'))).toBe('NOT_FOUND');
  });
});
