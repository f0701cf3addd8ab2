/**
 * Keys S3 allows reach the ETL in local mode as they would in the cloud: a folder marker (the
 * zero-byte "raw/" object the S3 console's "Create folder" makes) and an object whose key has a
 * double slash ("raw//x.csv", what a path joined with a trailing "/" produces) sit in the raw
 * prefix of the snapshot. The run succeeds, skips the marker and reads the double-slash object.
 */
import type { Manifest } from '../../lambdas/core/etl';
import { runKeys } from '../../lambdas/core/etl';
import type { LocalRetrain } from '../../local/runner';
import { dataset, openLocal } from '../helpers/local';
import { finishAndClose } from '../helpers/local-scenarios';

describe('etl in local mode: folder markers and double slashes', () => {
  let local: LocalRetrain;

  beforeAll(async () => {
    ({ local } = await openLocal());
  });
  afterAll(() => finishAndClose(local));

  it('skips the folder marker and reads the object under a double slash', async () => {
    await local.upload('raw/', '');
    await local.upload('raw//x.csv', dataset(7, 1200));
    await local.settle();

    const runs = await local.runs();
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run.status).toBe('deployed');
    const { body } = await local.store.read(runKeys(run.runId).manifest);
    const manifest = JSON.parse(await text(body)) as Manifest;
    expect(manifest.status).toBe('succeeded');
    expect(manifest.files.map((f) => f.key)).toEqual(['raw//x.csv']);
    expect(manifest.files[0].rows.read).toBe(1200);
    expect(manifest.skipped).toEqual([expect.objectContaining({ key: 'raw/', size: 0, reason: 'folder marker' })]);
  });
});

async function text(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
