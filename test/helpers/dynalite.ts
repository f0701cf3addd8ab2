/**
 * A DynamoDB API on loopback for adapter contract tests: dynalite (an independent, in-process
 * Node implementation of DynamoDB on an in-memory LevelDB) on 127.0.0.1, a random port, with
 * tables created at once. Its state table has exactly the key schema the CDK StateTable
 * deploys (lib/state-table.ts: STATE_TABLE_KEYS.partition HASH and STATE_TABLE_KEYS.sort RANGE,
 * both strings). dynalite has no TTL sweep (no UpdateTimeToLive), so expiry is exercised the
 * way the adapter sees it anyway: expired items still stored, hidden by its conditions and
 * filters. useDynalite() starts one server for a test file and stops it after the file's tests.
 */
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_TABLE_KEYS } from '../../lib/types';

/** The part of dynalite's API used here (the package ships no type declarations). */
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

const loadModule = createRequire(__filename);

/** How many times createStateTable looks for the table to become ACTIVE (it does within a turn or two). */
const ACTIVE_CHECKS = 50;

export interface DynaliteHandle {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** A client for this server (fake credentials, us-east-1, one attempt per request). */
  client(): DynamoDBClient;
  /** Creates a table with the state table's key schema and returns its name once it is ACTIVE. */
  createStateTable(name: string): Promise<string>;
  /** Destroys the clients made by client(), closes their connections and stops the server. */
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<DynaliteHandle> {
  const dynalite = loadModule('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];

  const client = (): DynamoDBClient => {
    const made = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
      // A failure is a test failure, not something to wait out with backoff.
      maxAttempts: 1,
    });
    clients.push(made);
    return made;
  };

  return {
    endpoint,
    client,
    async createStateTable(name) {
      const admin = client();
      // The key schema of lib/state-table.ts (partitionKey, sortKey: AttributeType.STRING).
      await admin.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [
            { AttributeName: STATE_TABLE_KEYS.partition, KeyType: 'HASH' },
            { AttributeName: STATE_TABLE_KEYS.sort, KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: STATE_TABLE_KEYS.partition, AttributeType: 'S' },
            { AttributeName: STATE_TABLE_KEYS.sort, AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      for (let check = 0; check < ACTIVE_CHECKS; check++) {
        const { Table } = await admin.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return name;
        await nextTurn();
      }
      throw new Error(`dynalite table ${name} did not become ACTIVE after ${ACTIVE_CHECKS} checks`);
    },
    async stop() {
      for (const made of clients) made.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Starts dynalite before the tests of the calling file (or describe block) and stops it after
 * them; returns a getter for the running server. Call it at the top level of a describe.
 */
export function useDynalite(): () => DynaliteHandle {
  let handle: DynaliteHandle | undefined;
  beforeAll(async () => {
    handle = await startDynalite();
  });
  afterAll(async () => {
    await handle?.stop();
    handle = undefined;
  });
  return () => {
    if (handle === undefined) throw new Error('dynalite is not running: call useDynalite() at the top level of a describe, use the getter inside a test or hook');
    return handle;
  };
}
