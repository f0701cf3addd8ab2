import { Readable } from 'node:stream';
import {
  captureHourPrefixes,
  joinKey,
  newCaptureStats,
  parseCaptureLine,
  readCaptureRecords,
  splitCsvRow,
  type CaptureRecord,
} from '../../../lambdas/core/capture';
import { readLines } from '../../../lambdas/core/lines';
import { captureFile, captureLine } from '../../helpers/capture';

async function readAll(body: string | Buffer[] | Readable) {
  const stats = newCaptureStats();
  const records: CaptureRecord[] = [];
  const stream = body instanceof Readable ? body : Readable.from(typeof body === 'string' ? [Buffer.from(body)] : body);
  for await (const record of readCaptureRecords(stream, stats, 'capture/ep/AllTraffic/2024/05/01/10/f.jsonl')) records.push(record);
  return { records, stats };
}

describe('capture: records', () => {
  it('reads a CSV-encoded request with its prediction', async () => {
    const { records, stats } = await readAll(
      captureFile([captureLine({ rows: ['1.5,0,abc'], outputs: ['0.83'], eventId: 'ev-1', inferenceTime: '2024-05-01T10:15:00Z' })]),
    );
    expect(records).toEqual([
      {
        id: 'ev-1',
        eventId: 'ev-1',
        time: '2024-05-01T10:15:00Z',
        timeMs: Date.parse('2024-05-01T10:15:00Z'),
        row: 0,
        rowsInRequest: 1,
        features: ['1.5', '0', 'abc'],
        prediction: '0.83',
      },
    ]);
    expect(stats).toMatchObject({ files: 1, lines: 1, records: 1, malformedLines: 0 });
  });

  it('decodes BASE64 payloads (SageMaker default without a content type header)', async () => {
    const { records } = await readAll(captureFile([captureLine({ rows: ['3,4'], outputs: ['0.1'], encoding: 'BASE64' })]));
    expect(records.map((r) => [r.features, r.prediction])).toEqual([[['3', '4'], '0.1']]);
  });

  it('prefers the caller inferenceId to the eventId', async () => {
    const { records } = await readAll(captureFile([captureLine({ rows: ['1'], eventId: 'ev-9', inferenceId: 'order-17' })]));
    expect(records[0]).toMatchObject({ id: 'order-17', eventId: 'ev-9', inferenceId: 'order-17' });
    expect(joinKey(records[0])).toBe('order-17');
  });

  it('yields one record per row of a multi-row request, each with its own prediction and join key', async () => {
    const { records } = await readAll(
      captureFile([captureLine({ rows: ['1,2', '3,4', '5,6'], outputs: ['0.1', '0.2', '0.3'], eventId: 'ev-2', encoding: 'BASE64' })]),
    );
    expect(records.map((r) => [r.row, r.rowsInRequest, r.features, r.prediction, joinKey(r)])).toEqual([
      [0, 3, ['1', '2'], '0.1', 'ev-2:0'],
      [1, 3, ['3', '4'], '0.2', 'ev-2:1'],
      [2, 3, ['5', '6'], '0.3', 'ev-2:2'],
    ]);
  });

  it('splits one comma-separated output line across the rows (older XGBoost containers)', async () => {
    const { records } = await readAll(captureFile([captureLine({ rows: ['1', '2'], outputs: ['0.7,0.2'] })]));
    expect(records.map((r) => r.prediction)).toEqual(['0.7', '0.2']);
  });

  it('keeps the inputs but no predictions when the output cannot be matched to the rows', async () => {
    const { records, stats } = await readAll(captureFile([captureLine({ rows: ['1', '2', '3'], outputs: ['0.7,0.2'] })]));
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.prediction === undefined)).toBe(true);
    expect(stats.unmatchedOutputs).toBe(1);
  });

  it('reads input-only capture (no endpointOutput)', async () => {
    const { records } = await readAll(captureFile([captureLine({ rows: ['1,2'] })]));
    expect(records[0].prediction).toBeUndefined();
  });

  it('counts and skips malformed lines without failing, and goes on with the next ones', async () => {
    const good = captureLine({ rows: ['1'], eventId: 'ok-1' });
    const lines = [
      '{"captureData": ',
      JSON.stringify({ eventMetadata: { eventId: 'x', inferenceTime: '2024-05-01T10:00:00Z' } }),
      captureLine({ rows: ['1'], eventId: '' }),
      JSON.stringify({ ...JSON.parse(good), eventMetadata: { eventId: 'no-time' } }),
      JSON.stringify({
        captureData: { endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '%%%', encoding: 'BASE64' } },
        eventMetadata: { eventId: 'b64', inferenceTime: '2024-05-01T10:00:00Z' },
      }),
      '[1,2]',
      good,
    ];
    const { records, stats } = await readAll(captureFile(lines));
    expect(records.map((r) => r.id)).toEqual(['ok-1']);
    expect(stats).toMatchObject({ lines: 7, records: 1, malformedLines: 6 });
    expect(stats.examples).toEqual([
      'capture/ep/AllTraffic/2024/05/01/10/f.jsonl line 1: not JSON',
      'capture/ep/AllTraffic/2024/05/01/10/f.jsonl line 2: no captureData.endpointInput',
      'capture/ep/AllTraffic/2024/05/01/10/f.jsonl line 3: no eventMetadata.eventId',
      'capture/ep/AllTraffic/2024/05/01/10/f.jsonl line 4: no valid eventMetadata.inferenceTime',
      'capture/ep/AllTraffic/2024/05/01/10/f.jsonl line 5: endpointInput.data is not valid base64',
    ]);
  });

  it('counts JSON inputs as unsupported rather than malformed', async () => {
    const { records, stats } = await readAll(captureFile([captureLine({ rows: ['{"instances": [1]}'], contentType: 'application/json' })]));
    expect(records).toEqual([]);
    expect(stats).toMatchObject({ unsupportedLines: 1, malformedLines: 0 });
  });

  it('yields nothing for an empty file or blank lines', async () => {
    expect((await readAll('')).records).toEqual([]);
    const { records, stats } = await readAll('\n\n  \n');
    expect(records).toEqual([]);
    expect(stats).toMatchObject({ files: 1, lines: 0, malformedLines: 0 });
  });

  it('reads lines split across chunks, multi-byte characters included, and CRLF endings', async () => {
    const text = `${captureLine({ rows: ['Zürich,1'], eventId: 'a' })}\r\n${captureLine({ rows: ['Kraków,2'], eventId: 'b' })}`;
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const { records } = await readAll(chunks);
    expect(records.map((r) => r.features)).toEqual([
      ['Zürich', '1'],
      ['Kraków', '2'],
    ]);
  });

  it('parses quoted CSV fields', () => {
    expect(splitCsvRow('1,"a,b","say ""hi""",')).toEqual(['1', 'a,b', 'say "hi"', '']);
    expect(splitCsvRow('1,2')).toEqual(['1', '2']);
  });

  it('reports a line it cannot parse with a reason instead of throwing', () => {
    expect(parseCaptureLine('null')).toEqual({ problem: 'no captureData.endpointInput', unsupported: false });
  });
});

describe('capture: lines', () => {
  it('skips a line longer than the cap and reports it as too long', async () => {
    const body = Readable.from([Buffer.from(`short\n${'x'.repeat(50)}\nnext\n${'y'.repeat(30)}`)]);
    const lines = [];
    for await (const line of readLines(body, { maxLength: 20 })) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: 'short', tooLong: false },
      { number: 2, text: '', tooLong: true },
      { number: 3, text: 'next', tooLong: false },
      { number: 4, text: '', tooLong: true },
    ]);
  });

  it('detects a too-long line that arrives over several chunks', async () => {
    const body = Readable.from(['ab', 'x'.repeat(15), 'y'.repeat(15), 'z\nok\n'].map((s) => Buffer.from(s)));
    const lines = [];
    for await (const line of readLines(body, { maxLength: 20 })) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: '', tooLong: true },
      { number: 2, text: 'ok', tooLong: false },
    ]);
  });
});

describe('capture: key layout', () => {
  it('lists one prefix per UTC hour from the start hour to the end hour', () => {
    expect(captureHourPrefixes('churn', 'AllTraffic', new Date('2024-12-31T22:59:00Z'), new Date('2025-01-01T00:00:00Z'))).toEqual([
      'capture/churn/AllTraffic/2024/12/31/22/',
      'capture/churn/AllTraffic/2024/12/31/23/',
      'capture/churn/AllTraffic/2025/01/01/00/',
    ]);
  });

  it('lists nothing when the end is before the start hour', () => {
    expect(captureHourPrefixes('e', 'v', new Date('2024-01-01T10:00:00Z'), new Date('2024-01-01T09:00:00Z'))).toEqual([]);
  });
});
