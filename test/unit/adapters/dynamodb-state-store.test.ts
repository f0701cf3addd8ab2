import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionFailedError, InvalidInputError, TransientError } from '../../../lambdas/core/errors';
import { createDynamoDbStateStore } from '../../../lambdas/adapters/dynamodb-state-store';
import { VirtualClock } from '../../../local/virtual-clock';
import { sentCommandProblems } from '../../helpers/api-model';

const TABLE = 'retrain-state';
const NOW = '2024-01-01T00:00:00.000Z';
const NOW_SECONDS = '1704067200';

const dynamo = mockClient(DynamoDBClient);
// Every command a test sends must be one the service's API model accepts.
afterEach(() => expect(sentCommandProblems(dynamo)).toEqual([]));

function conditionFailure(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item === undefined ? {} : { Item: marshall(item) }),
  });
}

function storedItem(fields: { pk: string; sk: string; version: number; data: unknown; expiresAt?: number }) {
  return marshall(fields, { removeUndefinedValues: true });
}

describe('dynamodb-state-store', () => {
  let clock: VirtualClock;
  let store: ReturnType<typeof createDynamoDbStateStore>;

  beforeEach(() => {
    dynamo.reset();
    clock = new VirtualClock(NOW);
    store = createDynamoDbStateStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, clock);
  });

  describe('put ifAbsent', () => {
    it('writes version 1 under attribute_not_exists(pk), treating an expired item as absent', async () => {
      dynamo.on(PutItemCommand).resolves({});

      const stored = await store.put({ pk: 'lock', sk: 'pipeline', data: { runId: 'r1' }, expiresAt: 1704070800 }, { ifAbsent: true });

      expect(stored).toEqual({ pk: 'lock', sk: 'pipeline', version: 1, data: { runId: 'r1' }, expiresAt: 1704070800 });
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        Item: {
          pk: { S: 'lock' },
          sk: { S: 'pipeline' },
          version: { N: '1' },
          data: { M: { runId: { S: 'r1' } } },
          expiresAt: { N: '1704070800' },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
        ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':now': { N: NOW_SECONDS } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('stores data as JSON would carry it: undefined members dropped, dates as ISO strings', async () => {
      dynamo.on(PutItemCommand).resolves({});

      const stored = await store.put(
        { pk: 'run', sk: 'r1', data: { at: new Date(NOW), missing: undefined, nested: { list: [1, 'a'] } } },
        { ifAbsent: true },
      );

      expect(stored.data).toEqual({ at: NOW, nested: { list: [1, 'a'] } });
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
        Item: expect.objectContaining({
          data: { M: { at: { S: NOW }, nested: { M: { list: { L: [{ N: '1' }, { S: 'a' }] } } } } },
        }),
      });
    });

    it('throws ConditionFailedError naming the table, the key and the version found', async () => {
      dynamo.on(PutItemCommand).rejects(conditionFailure({ pk: 'lock', sk: 'pipeline', version: 3, data: {} }));

      const attempt = store.put({ pk: 'lock', sk: 'pipeline', data: {} }, { ifAbsent: true });

      await expect(attempt).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(attempt).rejects.toMatchObject({
        message: expect.stringContaining('retrain-state lock/pipeline'),
        context: { table: TABLE, pk: 'lock', sk: 'pipeline', currentVersion: 3 },
      });
    });
  });

  describe('put ifVersion', () => {
    it('writes the next version under a version check that also requires a live item', async () => {
      dynamo.on(PutItemCommand).resolves({});

      const stored = await store.put({ pk: 'champion', sk: 'current', data: { runId: 'r2' } }, { ifVersion: 4 });

      expect(stored.version).toBe(5);
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        Item: { pk: { S: 'champion' }, sk: { S: 'current' }, version: { N: '5' }, data: { M: { runId: { S: 'r2' } } } },
        ConditionExpression: '#version = :expected AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)',
        ExpressionAttributeNames: { '#version': 'version', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':expected': { N: '4' }, ':now': { N: NOW_SECONDS } },
      });
    });

    it('throws ConditionFailedError when the version changed', async () => {
      dynamo.on(PutItemCommand).rejects(conditionFailure({ pk: 'champion', sk: 'current', version: 6, data: {} }));

      await expect(store.put({ pk: 'champion', sk: 'current', data: {} }, { ifVersion: 4 })).rejects.toMatchObject({
        name: 'ConditionFailedError',
        context: { expected: 'version 4', currentVersion: 6 },
      });
    });

    it('rejects a version that is not a positive integer without calling DynamoDB', async () => {
      await expect(store.put({ pk: 'a', sk: 'b', data: {} }, { ifVersion: 0 })).rejects.toBeInstanceOf(InvalidInputError);
      expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 0);
    });
  });

  describe('put always', () => {
    it('updates in one request, adding one to the stored version, and removes a previous expiresAt', async () => {
      dynamo.on(UpdateItemCommand).resolves({ Attributes: storedItem({ pk: 'cooldown', sk: 'last', version: 8, data: { n: 1 } }) });

      const stored = await store.put({ pk: 'cooldown', sk: 'last', data: { n: 1 } }, { always: true });

      expect(stored).toEqual({ pk: 'cooldown', sk: 'last', version: 8, data: { n: 1 } });
      expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
        TableName: TABLE,
        Key: { pk: { S: 'cooldown' }, sk: { S: 'last' } },
        UpdateExpression: 'SET #data = :data REMOVE #expiresAt ADD #version :one',
        ConditionExpression: 'attribute_not_exists(#pk) OR attribute_not_exists(#expiresAt) OR #expiresAt > :now',
        ExpressionAttributeValues: { ':data': { M: { n: { N: '1' } } }, ':one': { N: '1' }, ':now': { N: NOW_SECONDS } },
        ReturnValues: 'ALL_NEW',
      });
    });

    it('sets expiresAt when the item has one', async () => {
      dynamo.on(UpdateItemCommand).resolves({ Attributes: storedItem({ pk: 'a', sk: 'b', version: 1, data: {}, expiresAt: 1704070800 }) });

      await store.put({ pk: 'a', sk: 'b', data: {}, expiresAt: 1704070800 }, { always: true });

      expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
        UpdateExpression: 'SET #data = :data, #expiresAt = :expiresAt ADD #version :one',
        ExpressionAttributeValues: expect.objectContaining({ ':expiresAt': { N: '1704070800' } }),
      });
    });

    it('replaces an expired item with version 1, on condition that it is still expired', async () => {
      dynamo.on(UpdateItemCommand).rejects(conditionFailure());
      dynamo.on(PutItemCommand).resolves({});

      const stored = await store.put({ pk: 'a', sk: 'b', data: { fresh: true } }, { always: true });

      expect(stored.version).toBe(1);
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
        Item: { pk: { S: 'a' }, sk: { S: 'b' }, version: { N: '1' }, data: { M: { fresh: { BOOL: true } } } },
        ConditionExpression: '#expiresAt <= :now',
        ExpressionAttributeValues: { ':now': { N: NOW_SECONDS } },
      });
    });

    it('retries the update when the expired item is revived in between', async () => {
      dynamo
        .on(UpdateItemCommand)
        .rejectsOnce(conditionFailure())
        .resolves({ Attributes: storedItem({ pk: 'a', sk: 'b', version: 3, data: {} }) });
      dynamo.on(PutItemCommand).rejects(conditionFailure());

      const stored = await store.put({ pk: 'a', sk: 'b', data: {} }, { always: true });

      expect(stored.version).toBe(3);
      expect(dynamo).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
      expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
    });
  });

  describe('get', () => {
    it('reads with ConsistentRead and unmarshals the item', async () => {
      dynamo.on(GetItemCommand).resolves({ Item: storedItem({ pk: 'run', sk: 'r1', version: 2, data: { status: 'RUNNING' } }) });

      const item = await store.get('run', 'r1');

      expect(item).toEqual({ pk: 'run', sk: 'r1', version: 2, data: { status: 'RUNNING' } });
      expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { pk: { S: 'run' }, sk: { S: 'r1' } }, ConsistentRead: true });
    });

    it('returns undefined when there is no item', async () => {
      dynamo.on(GetItemCommand).resolves({});

      await expect(store.get('run', 'r1')).resolves.toBeUndefined();
    });

    it('returns undefined for an item whose expiresAt has passed but that the TTL sweep has not removed yet', async () => {
      dynamo.on(GetItemCommand).resolves({ Item: storedItem({ pk: 'lock', sk: 'p', version: 1, data: {}, expiresAt: 1704067200 }) });

      await expect(store.get('lock', 'p')).resolves.toBeUndefined();
      clock.set('2023-12-31T23:59:59.000Z');
      await expect(store.get('lock', 'p')).resolves.toMatchObject({ version: 1 });
    });

    it('maps throttling to a TransientError naming the table and key', async () => {
      dynamo.on(GetItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));

      await expect(store.get('run', 'r1')).rejects.toMatchObject({
        name: 'TransientError',
        context: expect.objectContaining({ table: TABLE, pk: 'run', sk: 'r1' }),
      });
      await expect(store.get('run', 'r1')).rejects.toBeInstanceOf(TransientError);
    });

    it('rejects an item that is not a state item', async () => {
      dynamo.on(GetItemCommand).resolves({ Item: marshall({ pk: 'run', sk: 'r1' }) });

      await expect(store.get('run', 'r1')).rejects.toThrow(/run\/r1 of table retrain-state is not a state item/);
    });
  });

  describe('delete', () => {
    it('deletes unconditionally without a condition', async () => {
      dynamo.on(DeleteItemCommand).resolves({});

      await store.delete('lock', 'pipeline');

      expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: TABLE, Key: { pk: { S: 'lock' }, sk: { S: 'pipeline' } } });
      expect(dynamo.commandCalls(DeleteItemCommand)[0].args[0].input.ConditionExpression).toBeUndefined();
    });

    it('deletes under a version check and throws ConditionFailedError when it fails', async () => {
      dynamo.on(DeleteItemCommand).rejects(conditionFailure({ pk: 'lock', sk: 'pipeline', version: 2, data: {} }));

      await expect(store.delete('lock', 'pipeline', { ifVersion: 1 })).rejects.toMatchObject({
        name: 'ConditionFailedError',
        context: { table: TABLE, pk: 'lock', sk: 'pipeline', currentVersion: 2 },
      });
      expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
        ConditionExpression: '#version = :expected AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)',
        ExpressionAttributeValues: { ':expected': { N: '1' }, ':now': { N: NOW_SECONDS } },
      });
    });
  });

  describe('query', () => {
    it('queries one partition with begins_with, newest first, consistently, skipping expired items', async () => {
      dynamo.on(QueryCommand).resolves({ Items: [storedItem({ pk: 'runs', sk: 'run#2', version: 1, data: {} })] });

      const items = await store.query('runs', { beginsWith: 'run#', newestFirst: true });

      expect(items.map((i) => i.sk)).toEqual(['run#2']);
      expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':pk': { S: 'runs' }, ':prefix': { S: 'run#' }, ':now': { N: NOW_SECONDS } },
        ScanIndexForward: false,
        ConsistentRead: true,
      });
    });

    it('follows LastEvaluatedKey until the limit is reached, asking only for what is missing', async () => {
      const page = (sks: string[], last?: string) => ({
        Items: sks.map((sk) => storedItem({ pk: 'runs', sk, version: 1, data: {} })),
        ...(last === undefined ? {} : { LastEvaluatedKey: marshall({ pk: 'runs', sk: last }) }),
      });
      dynamo
        .on(QueryCommand)
        .resolvesOnce(page(['a'], 'b'))
        .resolvesOnce(page(['c'], 'c'))
        .resolves(page(['d', 'e'], 'e'));

      const items = await store.query('runs', { limit: 3 });

      expect(items.map((i) => i.sk)).toEqual(['a', 'c', 'd']);
      expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 3);
      expect(dynamo).toHaveReceivedNthCommandWith(1, QueryCommand, { Limit: 3, ScanIndexForward: true, KeyConditionExpression: '#pk = :pk' });
      expect(dynamo).toHaveReceivedNthCommandWith(2, QueryCommand, { Limit: 2, ExclusiveStartKey: marshall({ pk: 'runs', sk: 'b' }) });
      expect(dynamo).toHaveReceivedNthCommandWith(3, QueryCommand, { Limit: 1, ExclusiveStartKey: marshall({ pk: 'runs', sk: 'c' }) });
    });

    it('reads every page when there is no limit', async () => {
      dynamo
        .on(QueryCommand)
        .resolvesOnce({ Items: [storedItem({ pk: 'p', sk: '1', version: 1, data: {} })], LastEvaluatedKey: marshall({ pk: 'p', sk: '1' }) })
        .resolves({ Items: [storedItem({ pk: 'p', sk: '2', version: 1, data: {} })] });

      const items = await store.query('p');

      expect(items.map((i) => i.sk)).toEqual(['1', '2']);
      expect(dynamo.commandCalls(QueryCommand)[0].args[0].input.Limit).toBeUndefined();
    });

    it('rejects a limit that is not a positive integer', async () => {
      await expect(store.query('p', { limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });
});
