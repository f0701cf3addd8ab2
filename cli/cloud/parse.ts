/** Option parsers of the cloud commands: a bad value is refused by commander before anything runs. */
import { InvalidArgumentError } from 'commander';

/** Execution inputs accept reasons of 1 to 1,000 characters (lambdas/core/triggers.ts). */
export const MAX_REASON = 1000;

export function parseReason(value: string): string {
  const reason = value.trim();
  if (reason === '') throw new InvalidArgumentError('expected a non-empty reason');
  if (reason.length > MAX_REASON) throw new InvalidArgumentError(`expected at most ${MAX_REASON} characters, got ${reason.length}`);
  return reason;
}

/** The numeric parsers are shared with the local commands (cli/parse.ts). */
export { parsePositiveInteger } from '../parse';

/** A parser accepting one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}"`);
    return value as T;
  };
}
