/**
 * The commands that work on a deployed stack: run, status, history, approve, reject, rollback.
 * Region, profile and credentials come from the SDK default provider chain (or --region and
 * --profile); the stack's resources from its CloudFormation outputs (or flags).
 */
import type { Command } from 'commander';
import { registerApprovalCommands } from './approval';
import type { CloudDeps } from './context';
import { registerHistoryCommand } from './history';
import { registerRollbackCommand } from './rollback';
import { registerRunCommand } from './run';
import { registerStatusCommand } from './status';

export type { CloudClients, CloudDeps, ClientOptions } from './context';

export function registerCloudCommands(program: Command, deps: CloudDeps = {}): void {
  registerRunCommand(program, deps);
  registerStatusCommand(program, deps);
  registerHistoryCommand(program, deps);
  registerApprovalCommands(program, deps);
  registerRollbackCommand(program, deps);
}
