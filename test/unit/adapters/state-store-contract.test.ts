/**
 * One StateStore contract (test/helpers/state-store-contract.ts), run against every
 * implementation: the DynamoDB adapter on dynalite (an independent implementation of the
 * DynamoDB API), the local file store, and the in-memory double the core tests use. A double
 * that cannot pass it is removed, not excused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, GetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbStateStore } from '../../../lambdas/adapters/dynamodb-state-store';
import { createFileStateStore } from '../../../local/file-state-store';
import { useDynalite } from '../../helpers/dynalite';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryStateStore } from '../../helpers/memory-state-store';
import { PAGED_ITEMS, describeStateStoreContract, writePagedPartition } from '../../helpers/state-store-contract';

const dynalite = useDynalite();
let client: DynamoDBClient;
let tables = 0;

beforeAll(() => {
  client = dynalite().client();
});

async function dynaliteTable(): Promise<{ table: string; cleanup: () => Promise<void> }> {
  const table = await dynalite().createStateTable(`retrain-state-${++tables}`);
  return { table, cleanup: async () => void (await client.send(new DeleteTableCommand({ TableName: table }))) };
}

describeStateStoreContract('DynamoDB adapter on dynalite', async (clock) => {
  const { table, cleanup } = await dynaliteTable();
  return { store: createDynamoDbStateStore(client, table, clock), cleanup };
});

describeStateStoreContract('local file store', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'retrain-contract-'));
  return { store: createFileStateStore(join(dir, 'state.json'), { clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeStateStoreContract('MemoryStateStore (test double)', async (clock) => ({ store: new MemoryStateStore(clock), cleanup: async () => undefined }));

describe('DynamoDB adapter on dynalite: what is really stored', () => {
  it('writes pk and sk as S, version and expiresAt as N, and data as a document (M)', async () => {
    const { table, cleanup } = await dynaliteTable();
    const store = createDynamoDbStateStore(client, table, new FakeClock('2026-11-27T12:00:00.000Z'));

    await store.put({ pk: 'TRIGGER', sk: 'e1', data: { key: 'raw/a.csv', size: 3, tags: ['x'], ok: true, none: null }, expiresAt: 1_800_000_000 }, { ifAbsent: true });
    await store.put({ pk: 'TRIGGER', sk: 'e1', data: { key: 'raw/b.csv', size: 4, tags: ['x'], ok: true, none: null }, expiresAt: 1_800_000_001 }, { always: true });
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'TRIGGER' }, sk: { S: 'e1' } }, ConsistentRead: true }));

    // Attribute names of lib/state-table.ts (STATE_TABLE_KEYS) and the adapter's header comment.
    expect(Item).toEqual<Record<string, AttributeValue>>({
      pk: { S: 'TRIGGER' },
      sk: { S: 'e1' },
      version: { N: '2' },
      expiresAt: { N: '1800000001' },
      data: { M: { key: { S: 'raw/b.csv' }, size: { N: '4' }, tags: { L: [{ S: 'x' }] }, ok: { BOOL: true }, none: { NULL: true } } },
    });
    await cleanup();
  });

  it('really gets several 1 MB pages from dynalite for the paged partition of the contract', async () => {
    const { table, cleanup } = await dynaliteTable();
    await writePagedPartition(createDynamoDbStateStore(client, table), 'BIG');

    const pageSizes: number[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'BIG' } }, ExclusiveStartKey: startKey }),
      );
      pageSizes.push(page.Count ?? 0);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    expect(pageSizes.length).toBeGreaterThanOrEqual(3);
    expect(pageSizes.reduce((sum, count) => sum + count, 0)).toBe(PAGED_ITEMS);
    await cleanup();
  });
});
