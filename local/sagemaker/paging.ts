/** Pagination of SageMaker List* calls: MaxResults (default 10, at most 100) and an opaque NextToken. */
import { SageMakerApiError } from './errors';

/** One page of items; NextToken is the offset of the next page. */
export function paginate<T, S, K extends string>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  summarize: (item: T) => S,
  key: K,
): { [P in K]: S[] } & { NextToken?: string } {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  if (!Number.isInteger(start) || start < 0) throw new SageMakerApiError('ValidationException', `Invalid NextToken "${nextToken}"`);
  const size = Math.min(Math.max(maxResults ?? 10, 1), 100);
  const page = items.slice(start, start + size).map(summarize);
  const end = start + size;
  return { [key]: page, ...(end < items.length ? { NextToken: String(end) } : {}) } as { [P in K]: S[] } & { NextToken?: string };
}
