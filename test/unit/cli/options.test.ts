/**
 * Every numeric option of the CLI is parsed by one of the shared parsers (cli/parse.ts): a value
 * that is not a number is refused by commander in one line, before the command does anything.
 */
import { Command, CommanderError } from 'commander';
import { registerCloudCommands } from '../../../cli/cloud';
import { registerDriftCommand } from '../../../cli/drift';
import { registerLocalCommands } from '../../../cli/local';
import { MAX_TIMER_SECONDS } from '../../../cli/parse';

/** Parses `retrain <args>` with every command registered; returns what commander wrote to stderr and its error code. */
async function parse(args: string[]): Promise<{ stderr: string; code: string | undefined }> {
  const stderr: string[] = [];
  const program = new Command('retrain').exitOverride().configureOutput({ writeErr: (text) => void stderr.push(text), writeOut: () => undefined });
  registerCloudCommands(program, { clients: () => { throw new Error('no AWS call expected'); } });
  registerDriftCommand(program);
  registerLocalCommands(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stderr: stderr.join(''), code: undefined };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { stderr: stderr.join(''), code: error.code };
  }
}

describe('CLI: numeric options', () => {
  it.each([
    [['local', 'demo', '--seed', 'abc'], `error: option '--seed <n>' argument 'abc' is invalid. expected a non-negative integer, got "abc"`],
    [['local', 'demo', '--seed', '-1'], `error: option '--seed <n>' argument '-1' is invalid. expected a non-negative integer, got "-1"`],
    [['local', 'demo', '--seed', '0x10'], `error: option '--seed <n>' argument '0x10' is invalid. expected a non-negative integer, got "0x10"`],
    [['local', 'up', '--poll-seconds', 'abc'], `error: option '--poll-seconds <n>' argument 'abc' is invalid. expected a positive number, got "abc"`],
    [['local', 'up', '--poll-seconds', '0'], `error: option '--poll-seconds <n>' argument '0' is invalid. expected a positive number, got "0"`],
    [
      ['local', 'up', '--poll-seconds', '3000000'],
      `error: option '--poll-seconds <n>' argument '3000000' is invalid. expected at most ${MAX_TIMER_SECONDS} seconds, got "3000000"`,
    ],
    [['drift', '--baseline', 'a.csv', '--current', 'b.csv', '--threshold', 'abc'], `error: option '--threshold <n>' argument 'abc' is invalid. expected a positive number, got "abc"`],
    [['drift', '--baseline', 'a.csv', '--current', 'b.csv', '--min-rows', '1.5'], `error: option '--min-rows <n>' argument '1.5' is invalid. expected a positive integer, got "1.5"`],
    [['run', '--wait', '--timeout', 'abc'], `error: option '--timeout <minutes>' argument 'abc' is invalid. expected a positive integer, got "abc"`],
    [['history', '--limit', ''], `error: option '--limit <n>' argument '' is invalid. expected a positive integer, got ""`],
  ])('retrain %j is refused in one line', async (args, message) => {
    const { stderr, code } = await parse(args);

    expect(code).toBe('commander.invalidArgument');
    expect(stderr.trimEnd().split('\n')).toEqual([message]);
  });
});
