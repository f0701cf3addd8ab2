#!/usr/bin/env -S npx tsx
/**
 * The operator CLI: `npx retrain <command>` (or `npm run retrain -- <command>`).
 * Each command group lives in cli/ and registers itself here.
 */
import { Command } from 'commander';
import { registerCloudCommands } from '../cli/cloud';
import { registerDriftCommand } from '../cli/drift';
import { registerLocalCommands } from '../cli/local';

export function createProgram(): Command {
  const program = new Command('retrain')
    .description('Continuous training on AWS: start and follow runs, approve and roll back models, check drift, run locally.')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerCloudCommands(program);
  registerDriftCommand(program);
  registerLocalCommands(program);
  return program;
}

if (require.main === module) {
  createProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
