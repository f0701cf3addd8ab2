/**
 * Pagination of SageMaker List* calls as the API reference states it for ListEndpointConfigs
 * and ListModelPackages: MaxResults "Valid Range: Minimum value of 1. Maximum value of 100."
 * (a value outside it is rejected, not clamped), and an opaque NextToken. The reference does not
 * state the default page size; local mode uses 10, so that code which forgets NextToken misses
 * items locally as soon as there are a few.
 */
import { SageMakerApiError } from './errors';

const DEFAULT_MAX_RESULTS = 10;
const MAX_RESULTS = 100;

/** One page of items; NextToken is the offset of the next page. */
export function paginate<T, S, K extends string>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  summarize: (item: T) => S,
  key: K,
): { [P in K]: S[] } & { NextToken?: string } {
  if (maxResults !== undefined && !(Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= MAX_RESULTS)) {
    // The wording of a constraint violation (SageMaker answers every one this way).
    const bound = maxResults < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_RESULTS}`;
    throw new SageMakerApiError('ValidationException', `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const start = nextToken === undefined ? 0 : Number(nextToken);
  if (!Number.isInteger(start) || start < 0) throw new SageMakerApiError('ValidationException', `Invalid NextToken "${nextToken}"`);
  const size = maxResults ?? DEFAULT_MAX_RESULTS;
  const page = items.slice(start, start + size).map(summarize);
  const end = start + size;
  return { [key]: page, ...(end < items.length ? { NextToken: String(end) } : {}) } as { [P in K]: S[] } & { NextToken?: string };
}

/** Names in code-unit order (SageMaker names are ASCII, where this is also UTF-8 byte order), never locale order. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
