/**
 * StateStore on the DynamoDB state table (attributes pk, sk, version, data, expiresAt).
 *
 * Semantics shared with local/file-state-store.ts (both use the helpers exported here):
 * - `data` is a JSON document: it is stored as JSON would carry it (undefined members
 *   dropped, dates as ISO strings), and the returned item holds that normalized value. What
 *   DynamoDB cannot hold as it is fails with InvalidInputError before any request: items over
 *   400 KB, keys over DynamoDB's lengths, numbers it would not give back unchanged, strings
 *   with a lone surrogate (no UTF-8 encoding).
 * - `version` is 1 for a new item and increases by one on every write.
 * - An item whose `expiresAt` (epoch seconds) has passed does not exist for reads and
 *   conditions, as if the TTL sweep had already removed it (DynamoDB's sweep can lag by days;
 *   a lease written with expiresAt must not outlive it): get and query skip it, `ifAbsent`
 *   overwrites it (version 1 again), `ifVersion` fails on it.
 * - Reads are strongly consistent, so a reader sees every write that completed before it.
 */
import { DYNAMODB_ITEM_BYTES, dynamoDbItemBytes } from '../core/aws-limits';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { convertToAttr, unmarshall } from '@aws-sdk/util-dynamodb';
import { ConditionFailedError, InvalidInputError, TransientError } from '../core/errors';
import { STATE_TABLE_KEYS } from '../../lib/types';
import { isAwsError, mapAwsError, withAwsErrors } from './aws-errors';
import { systemClock } from './clock';
import type { Clock, PutCondition, StateItem, StateStore } from './ports';

/** A write validated and normalized: what both state stores actually store. */
export interface StateWrite<T> {
  readonly pk: string;
  readonly sk: string;
  readonly data: T;
  readonly expiresAt?: number;
}

/** Whether the item's expiresAt has passed at `now` (an item without one never expires). */
export function isExpired(item: { readonly expiresAt?: number }, now: Date): boolean {
  return item.expiresAt !== undefined && item.expiresAt <= now.getTime() / 1000;
}

/** "The maximum length of a partition key value is 2048 bytes" (DynamoDB Developer Guide, Constraints: partition keys and sort keys). */
const PARTITION_KEY_BYTES = 2048;
/** "The maximum length of a sort key value is 1024 bytes" (same page). */
const SORT_KEY_BYTES = 1024;
/**
 * The smallest magnitude of a non-zero DynamoDB number: "Positive range: 1E-130 to
 * 9.9999999999999999999999999999999999999E+125" (DynamoDB Developer Guide, Supported data
 * types). The upper end is never reached: the SDK's marshaller refuses numbers beyond
 * Number.MAX_SAFE_INTEGER first (they would come back as BigInt).
 */
const SMALLEST_NUMBER = 1e-130;

/** A lone UTF-16 surrogate: a string holding one has no UTF-8 encoding (DynamoDB strings are UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws InvalidInputError unless pk and sk are non-empty Unicode strings within DynamoDB's key
 * lengths (it rejects empty and longer keys; a lone surrogate would be stored as U+FFFD).
 */
export function validateStateKey(pk: string, sk: string): void {
  if (typeof pk !== 'string' || pk.length === 0 || typeof sk !== 'string' || sk.length === 0) {
    throw new InvalidInputError(`state item key must be two non-empty strings, got pk=${JSON.stringify(pk)} sk=${JSON.stringify(sk)}`, {
      context: { pk, sk },
    });
  }
  if (LONE_SURROGATE.test(pk) || LONE_SURROGATE.test(sk)) {
    throw new InvalidInputError(`state item key pk=${JSON.stringify(pk)} sk=${JSON.stringify(sk)} is not valid Unicode (a lone surrogate has no UTF-8 encoding)`, {
      context: { pk, sk },
    });
  }
  const pkBytes = Buffer.byteLength(pk, 'utf8');
  const skBytes = Buffer.byteLength(sk, 'utf8');
  if (pkBytes > PARTITION_KEY_BYTES || skBytes > SORT_KEY_BYTES) {
    throw new InvalidInputError(
      `state item key is too long: pk ${pkBytes} bytes (at most ${PARTITION_KEY_BYTES}), sk ${skBytes} bytes (at most ${SORT_KEY_BYTES}), as DynamoDB counts them in UTF-8`,
      { context: { pk: pk.slice(0, 100), sk: sk.slice(0, 100), pkBytes, skBytes } },
    );
  }
}

/** Where in a JSON value DynamoDB could not store it as it is, or undefined when it can. */
function unstorableIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? `${path} is not valid Unicode (a lone surrogate has no UTF-8 encoding)` : undefined;
  if (typeof value === 'number') {
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) return `${path} is ${value}, beyond Number.MAX_SAFE_INTEGER: DynamoDB would not give it back as the same number`;
    if (value !== 0 && Math.abs(value) < SMALLEST_NUMBER) return `${path} is ${value}, smaller than DynamoDB's smallest number 1E-130`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) {
      const found = unstorableIn(element, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [name, member] of Object.entries(value)) {
      if (LONE_SURROGATE.test(name)) return `a member name of ${path} is not valid Unicode (a lone surrogate has no UTF-8 encoding)`;
      const found = unstorableIn(member, `${path}.${name}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Throws InvalidInputError unless `ifVersion` is a positive integer (versions start at 1). */
export function validateExpectedVersion(pk: string, sk: string, version: number): void {
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidInputError(`ifVersion of ${pk}/${sk} must be a positive integer, got ${version}`, { context: { pk, sk, version } });
  }
}

/** Validates a put (key, expiresAt, condition) and normalizes its data to a JSON value. */
export function normalizeStateWrite<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): StateWrite<T> {
  const { pk, sk, expiresAt } = item;
  validateStateKey(pk, sk);
  if (expiresAt !== undefined && (!Number.isFinite(expiresAt) || expiresAt < 0)) {
    throw new InvalidInputError(`expiresAt of ${pk}/${sk} must be epoch seconds (a finite number >= 0), got ${expiresAt}`, {
      context: { pk, sk, expiresAt },
    });
  }
  if ('ifVersion' in condition) validateExpectedVersion(pk, sk, condition.ifVersion);
  else if (!('ifAbsent' in condition && condition.ifAbsent) && !('always' in condition && condition.always)) {
    throw new InvalidInputError(`put condition of ${pk}/${sk} must be ifAbsent, ifVersion or always, got ${JSON.stringify(condition)}`, {
      context: { pk, sk },
    });
  }
  const json = JSON.stringify(item.data);
  if (json === undefined) {
    throw new InvalidInputError(`data of ${pk}/${sk} is not a JSON value (${typeof item.data})`, { context: { pk, sk } });
  }
  const data = JSON.parse(json) as T;
  const unstorable = unstorableIn(data, 'data');
  if (unstorable !== undefined) {
    throw new InvalidInputError(`state item ${pk}/${sk} cannot be stored: ${unstorable}`, { context: { pk, sk } });
  }
  // The stored item also carries version (at most 16 digits) next to pk, sk, data, expiresAt.
  const bytes = dynamoDbItemBytes({ pk, sk, version: 1e15, data, expiresAt });
  if (bytes > DYNAMODB_ITEM_BYTES) {
    throw new InvalidInputError(
      `state item ${pk}/${sk} is ${bytes} bytes: DynamoDB rejects items over 400 KB (ValidationException: Item size has exceeded the maximum allowed size)`,
      { context: { pk, sk, bytes } },
    );
  }
  return { pk, sk, data, ...(expiresAt === undefined ? {} : { expiresAt }) };
}

/** How many times `always` retries when the item it overwrites expires or revives under it. */
const ALWAYS_ATTEMPTS = 5;

const NAMES = {
  '#pk': STATE_TABLE_KEYS.partition,
  '#sk': STATE_TABLE_KEYS.sort,
  '#version': 'version',
  '#data': 'data',
  '#expiresAt': STATE_TABLE_KEYS.ttl,
} as const;

/** The item has no expiry or it has not passed (combine in parentheses). */
const LIVE = 'attribute_not_exists(#expiresAt) OR #expiresAt > :now';

function names(...keys: Array<keyof typeof NAMES>): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, NAMES[key]]));
}

function numberAttr(value: number): AttributeValue {
  return { N: String(value) };
}

function isConditionFailure(error: unknown): boolean {
  return isAwsError(error, 'ConditionalCheckFailedException');
}

function nowAttr(clock: Clock): AttributeValue {
  return numberAttr(clock.now().getTime() / 1000);
}

export function createDynamoDbStateStore(client: DynamoDBClient, tableName: string, clock: Clock = systemClock): StateStore {
  const keyOf = (pk: string, sk: string): Record<string, AttributeValue> => ({
    [STATE_TABLE_KEYS.partition]: { S: pk },
    [STATE_TABLE_KEYS.sort]: { S: sk },
  });

  const itemOf = (write: StateWrite<unknown>, version: number): Record<string, AttributeValue> => ({
    ...keyOf(write.pk, write.sk),
    version: numberAttr(version),
    data: convertToAttr(write.data, { removeUndefinedValues: true }),
    ...(write.expiresAt === undefined ? {} : { [STATE_TABLE_KEYS.ttl]: numberAttr(write.expiresAt) }),
  });

  const fromItem = <T>(raw: Record<string, AttributeValue>): StateItem<T> => {
    const item = unmarshall(raw) as Record<string, unknown>;
    const pk = item[STATE_TABLE_KEYS.partition];
    const sk = item[STATE_TABLE_KEYS.sort];
    const expiresAt = item[STATE_TABLE_KEYS.ttl];
    if (typeof pk !== 'string' || typeof sk !== 'string' || typeof item.version !== 'number' || !('data' in item)) {
      throw new InvalidInputError(`item ${String(pk)}/${String(sk)} of table ${tableName} is not a state item (needs pk, sk, version, data)`, {
        context: { table: tableName, pk, sk, attributes: Object.keys(item) },
      });
    }
    return { pk, sk, version: item.version, data: item.data as T, ...(typeof expiresAt === 'number' ? { expiresAt } : {}) };
  };

  /** The version of the item a failed condition found, for the error's context. */
  const currentVersionOf = (error: unknown): number | undefined => {
    const item = typeof error === 'object' && error !== null ? (error as Partial<ConditionalCheckFailedException>).Item : undefined;
    const version = item?.version?.N;
    return version === undefined ? undefined : Number(version);
  };

  const conditionFailed = (error: unknown, operation: string, pk: string, sk: string, expected: string): ConditionFailedError =>
    new ConditionFailedError(`DynamoDB ${operation} on ${tableName} ${pk}/${sk}: expected ${expected}, the item did not match`, {
      cause: error,
      context: { table: tableName, pk, sk, expected, currentVersion: currentVersionOf(error) },
    });

  const putIfAbsent = async <T>(write: StateWrite<T>): Promise<StateItem<T>> => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: itemOf(write, 1),
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
          ExpressionAttributeNames: names('#pk', '#expiresAt'),
          ExpressionAttributeValues: { ':now': nowAttr(clock) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw conditionFailed(error, 'PutItem', write.pk, write.sk, 'no item');
      throw mapAwsError(error, { service: 'DynamoDB', operation: 'PutItem', context: { table: tableName, pk: write.pk, sk: write.sk } });
    }
    return { ...write, version: 1 };
  };

  const putIfVersion = async <T>(write: StateWrite<T>, expected: number): Promise<StateItem<T>> => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: itemOf(write, expected + 1),
          ConditionExpression: `#version = :expected AND (${LIVE})`,
          ExpressionAttributeNames: names('#version', '#expiresAt'),
          ExpressionAttributeValues: { ':expected': numberAttr(expected), ':now': nowAttr(clock) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw conditionFailed(error, 'PutItem', write.pk, write.sk, `version ${expected}`);
      throw mapAwsError(error, { service: 'DynamoDB', operation: 'PutItem', context: { table: tableName, pk: write.pk, sk: write.sk } });
    }
    return { ...write, version: expected + 1 };
  };

  /**
   * An unconditional write in one request: UpdateItem with `ADD version :one` counts on from
   * the stored version (or from 0 when there is none), with no read first. Only when the item
   * is there but expired (the condition fails) is it replaced as a new item (version 1), under
   * the condition that it is still expired; a writer that revives it in between makes us retry.
   */
  const putAlways = async <T>(write: StateWrite<T>): Promise<StateItem<T>> => {
    const context = { table: tableName, pk: write.pk, sk: write.sk };
    for (let attempt = 1; attempt <= ALWAYS_ATTEMPTS; attempt++) {
      try {
        const { Attributes } = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(write.pk, write.sk),
            UpdateExpression:
              write.expiresAt === undefined
                ? 'SET #data = :data REMOVE #expiresAt ADD #version :one'
                : 'SET #data = :data, #expiresAt = :expiresAt ADD #version :one',
            ConditionExpression: `attribute_not_exists(#pk) OR ${LIVE}`,
            ExpressionAttributeNames: names('#pk', '#data', '#expiresAt', '#version'),
            ExpressionAttributeValues: {
              ':data': convertToAttr(write.data, { removeUndefinedValues: true }),
              ':one': numberAttr(1),
              ':now': nowAttr(clock),
              ...(write.expiresAt === undefined ? {} : { ':expiresAt': numberAttr(write.expiresAt) }),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (Attributes === undefined) {
          throw new InvalidInputError(`DynamoDB UpdateItem on ${tableName} ${write.pk}/${write.sk} returned no attributes`, { context });
        }
        return { ...write, version: fromItem(Attributes).version };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw mapAwsError(error, { service: 'DynamoDB', operation: 'UpdateItem', context });
        }
      }
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: itemOf(write, 1),
            ConditionExpression: '#expiresAt <= :now',
            ExpressionAttributeNames: names('#expiresAt'),
            ExpressionAttributeValues: { ':now': nowAttr(clock) },
          }),
        );
        return { ...write, version: 1 };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw mapAwsError(error, { service: 'DynamoDB', operation: 'PutItem', context });
        }
      }
    }
    throw new TransientError(
      `DynamoDB put (always) on ${tableName} ${write.pk}/${write.sk}: the item kept expiring and reviving, gave up after ${ALWAYS_ATTEMPTS} attempts`,
      { context },
    );
  };

  return {
    async get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined> {
      validateStateKey(pk, sk);
      const { Item } = await withAwsErrors({ service: 'DynamoDB', operation: 'GetItem', context: { table: tableName, pk, sk } }, () =>
        client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(pk, sk), ConsistentRead: true })),
      );
      if (Item === undefined) return undefined;
      const item = fromItem<T>(Item);
      return isExpired(item, clock.now()) ? undefined : item;
    },

    async put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>> {
      const write = normalizeStateWrite(item, condition);
      if ('ifVersion' in condition) return putIfVersion(write, condition.ifVersion);
      if ('ifAbsent' in condition) return putIfAbsent(write);
      return putAlways(write);
    },

    async delete(pk: string, sk: string, condition?: { readonly ifVersion: number }): Promise<void> {
      validateStateKey(pk, sk);
      if (condition !== undefined) validateExpectedVersion(pk, sk, condition.ifVersion);
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(pk, sk),
            ...(condition === undefined
              ? {}
              : {
                  ConditionExpression: `#version = :expected AND (${LIVE})`,
                  ExpressionAttributeNames: names('#version', '#expiresAt'),
                  ExpressionAttributeValues: { ':expected': numberAttr(condition.ifVersion), ':now': nowAttr(clock) },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
                }),
          }),
        );
      } catch (error) {
        if (isConditionFailure(error) && condition !== undefined) {
          throw conditionFailed(error, 'DeleteItem', pk, sk, `version ${condition.ifVersion}`);
        }
        throw mapAwsError(error, { service: 'DynamoDB', operation: 'DeleteItem', context: { table: tableName, pk, sk } });
      }
    },

    async query<T>(pk: string, options: { beginsWith?: string; limit?: number; newestFirst?: boolean } = {}): Promise<StateItem<T>[]> {
      const { beginsWith, limit, newestFirst = false } = options;
      if (typeof pk !== 'string' || pk.length === 0) {
        throw new InvalidInputError(`query of table ${tableName} needs a non-empty pk, got ${JSON.stringify(pk)}`, { context: { pk } });
      }
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new InvalidInputError(`query limit of ${pk} must be a positive integer, got ${limit}`, { context: { pk, limit } });
      }
      const prefix = beginsWith === undefined || beginsWith === '' ? undefined : beginsWith;
      const items: StateItem<T>[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await withAwsErrors({ service: 'DynamoDB', operation: 'Query', context: { table: tableName, pk, beginsWith: prefix } }, () =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
              FilterExpression: LIVE,
              ExpressionAttributeNames: prefix === undefined ? names('#pk', '#expiresAt') : names('#pk', '#sk', '#expiresAt'),
              ExpressionAttributeValues: {
                ':pk': { S: pk },
                ':now': nowAttr(clock),
                ...(prefix === undefined ? {} : { ':prefix': { S: prefix } }),
              },
              ScanIndexForward: !newestFirst,
              ConsistentRead: true,
              ...(limit === undefined ? {} : { Limit: limit - items.length }),
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            }),
          ),
        );
        for (const raw of page.Items ?? []) items.push(fromItem<T>(raw));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && (limit === undefined || items.length < limit));
      return limit === undefined ? items : items.slice(0, limit);
    },
  };
}
