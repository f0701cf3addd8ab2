/**
 * A second local-mode process for tests: starts one execution named by argv[3] on a state
 * machine sharing argv[2] as its executions directory, whose only task never finishes, prints
 * "running <arn>" and stays alive until its stdin closes or it is killed (at most 60 s).
 *
 *   node --import tsx test/helpers/hold-execution.ts <executionsDir> <name>
 */
import { LocalStateMachine } from '../../local/state-machine';
import type { LocalSageMaker } from '../../local/sagemaker/backend';
import { Timeline } from '../../local/timeline';
import { VirtualClock } from '../../local/virtual-clock';

const HOLD_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:e2e-pipeline';

const [executionsDir, name] = process.argv.slice(2);
const machine = new LocalStateMachine({
  definition: { StartAt: 'Hold', States: { Hold: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:hold', End: true } as never } },
  stateMachineArn: HOLD_MACHINE_ARN,
  functions: { hold: () => new Promise<never>(() => undefined) },
  sagemaker: {} as LocalSageMaker,
  timeline: new Timeline(new VirtualClock('2026-03-02T09:00:00.000Z')),
  executionsDir,
});
const record = machine.run({}, name);
process.stdout.write(`running ${record.arn}\n`);
const keepAlive = setTimeout(() => process.exit(0), 60_000);
process.stdin.on('end', () => {
  clearTimeout(keepAlive);
  process.exit(0);
});
process.stdin.resume();
