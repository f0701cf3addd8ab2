/**
 * A real S3 API on loopback for adapter and end-to-end tests: s3rver on 127.0.0.1, a random
 * port, its data in a fresh temporary directory (removed on stop). startS3rver runs it in this
 * process; startS3rverProcess in a child process, so that heavy tests measure their own CPU and
 * memory, not the server's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** The part of s3rver's API used here (the package ships no type declarations). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  allowMismatchedSignatures?: boolean;
  vhostBuckets?: boolean;
}) => S3rverInstance;

const loadModule = createRequire(__filename);

export interface S3rverHandle {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** Where s3rver keeps its data. */
  readonly directory: string;
  /** A client for this server (path-style, checksums only when required, fake credentials). */
  client(): S3Client;
  /** Creates a bucket and returns its name. */
  createBucket(name: string): Promise<string>;
  /** Stops the server, destroys the clients made by client() and removes the data directory. */
  stop(): Promise<void>;
}

export async function startS3rver(): Promise<S3rverHandle> {
  const S3rver = loadModule('s3rver') as S3rverClass;
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, vhostBuckets: false });
  const { port } = await server.run();
  return handle(`http://127.0.0.1:${port}`, directory, () => server.close());
}

/** The child's program: start s3rver, print its port as one JSON line, stop on SIGTERM or when the parent is gone. */
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.env.S3RVER_DIRECTORY, silent: true, vhostBuckets: false });
server.run().then(({ port }) => process.stdout.write(JSON.stringify({ port }) + '\\n'));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
// The parent holds stdin open: when it dies without stopping the server, stdin ends and so does the server.
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** s3rver in a child process of this one (stopped by its pid in stop()). */
export async function startS3rverProcess(): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
    env: { ...process.env, S3RVER_MODULE: loadModule.resolve('s3rver'), S3RVER_DIRECTORY: directory },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([
    once(child.stdout, 'data'),
    exited.then(([code]) => {
      throw new Error(`s3rver exited with code ${String(code)} before listening`);
    }),
  ])) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8')) as { port: number };
  return handle(`http://127.0.0.1:${port}`, directory, async () => {
    child.kill('SIGTERM');
    await exited;
  });
}

function handle(endpoint: string, directory: string, close: () => Promise<void>): S3rverHandle {
  const clients: S3Client[] = [];
  const client = () => {
    const made = createS3rverClient(endpoint);
    clients.push(made);
    return made;
  };
  return {
    endpoint,
    directory,
    client,
    async createBucket(name) {
      const admin = client();
      await admin.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      for (const made of clients) made.destroy();
      await close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * An S3 client for s3rver. Checksums only when required: otherwise the SDK sends streamed bodies
 * with aws-chunked framing, which s3rver stores verbatim.
 */
export function createS3rverClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}
