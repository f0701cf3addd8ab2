import { PassThrough, Readable, Writable } from 'node:stream';
import { MAX_RECORD_CHARS, readCsv, TextSink, type CsvItem } from '../../../lambdas/core/csv';
import { DataValidationError } from '../../../lambdas/core/errors';

async function itemsOf(body: Readable, source = 'raw/a.csv'): Promise<CsvItem[]> {
  const items: CsvItem[] = [];
  for await (const batch of readCsv(body, source)) items.push(...batch);
  return items;
}

const from = (text: string | Buffer) => Readable.from([Buffer.from(text)]);
/** The same bytes, one byte per chunk: every boundary (BOM, CRLF, quotes) falls between chunks somewhere. */
const byteByByte = (text: string) => Readable.from([...Buffer.from(text)].map((b) => Buffer.from([b])));
const records = (items: CsvItem[]) => items.map((i) => (i.ok ? [i.line, i.fields] : [i.line, i.reason]));

describe('csv: reading', () => {
  it('reads records with the line each starts on', async () => {
    expect(records(await itemsOf(from('a,b\n1,2\n3,4\n')))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
    ]);
  });

  it('drops a UTF-8 byte order mark', async () => {
    expect(records(await itemsOf(from('\ufeffa,b\n1,2\n')))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
    ]);
  });

  it('reads CRLF line endings', async () => {
    expect(records(await itemsOf(from('a,b\r\n1,2\r\n3,4\r\n')))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
    ]);
  });

  it('reads quoted delimiters, doubled quotes and quoted line breaks, numbering lines from where a record starts', async () => {
    const text = 'a,b\n"x, y","he said ""hi"""\n"two\nlines",z\nlast,row\n';

    expect(records(await itemsOf(from(text)))).toEqual([
      [1, ['a', 'b']],
      [2, ['x, y', 'he said "hi"']],
      [3, ['two\nlines', 'z']],
      [5, ['last', 'row']],
    ]);
  });

  it('skips blank lines and keeps counting them', async () => {
    expect(records(await itemsOf(from('a,b\n\n1,2\n\n\n3,4')))).toEqual([
      [1, ['a', 'b']],
      [3, ['1', '2']],
      [6, ['3', '4']],
    ]);
  });

  it('skips lines of spaces like blank lines', async () => {
    expect(records(await itemsOf(from('a,b\n   \n1,2\n \t\n3,4\n')))).toEqual([
      [1, ['a', 'b']],
      [3, ['1', '2']],
      [5, ['3', '4']],
    ]);
  });

  it('returns ragged rows as they are, for the caller to reject', async () => {
    expect(records(await itemsOf(from('a,b,c\n1,2\n1,2,3,4\n')))).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2']],
      [3, ['1', '2', '3', '4']],
    ]);
  });

  it('keeps a stray quote inside a field as text instead of losing the rest of the file', async () => {
    expect(records(await itemsOf(from('a,b\n1,"x"y\n2,ab"c\n3,ok\n')))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '"x"y']],
      [3, ['2', 'ab"c']],
      [4, ['3', 'ok']],
    ]);
  });

  it('reads the same records whatever the chunk boundaries', async () => {
    const text = '\ufeffa,b\r\n"x,\r\ny","q""q"\r\n\r\n3,4\r\n';

    expect(records(await itemsOf(byteByByte(text)))).toEqual(records(await itemsOf(from(text))));
  });

  it('reads nothing from an empty stream or a lone byte order mark', async () => {
    expect(await itemsOf(from(''))).toEqual([]);
    expect(await itemsOf(from('\ufeff'))).toEqual([]);
  });

  it('fails naming the file and line when a quote is never closed', async () => {
    const attempt = itemsOf(from('a,b\n1,2\n3,"open\n4,5\n'), 'raw/q.csv');

    await expect(attempt).rejects.toBeInstanceOf(DataValidationError);
    await expect(attempt).rejects.toThrow(
      'raw/q.csv line 3: a quoted field that starts in this record is not closed before the end of the file, so the rest of the file cannot be read',
    );
  });

  it('fails when a record is longer than the limit instead of buffering it', async () => {
    const huge = `a,b\n1,"${'x'.repeat(MAX_RECORD_CHARS + 10)}"\n`;

    await expect(itemsOf(from(huge), 'raw/big.csv')).rejects.toThrow(
      `raw/big.csv line 2: a record is longer than ${MAX_RECORD_CHARS} characters (is a quote not closed?)`,
    );
  });

  it('fails naming the file, line and byte offset of a byte that is not UTF-8 in the header', async () => {
    // "Zürich" saved as Latin-1 (ISO-8859-1): ü is the single byte FC.
    const latin1 = Buffer.from('id,Zürich\n1,2\n', 'latin1');

    await expect(itemsOf(from(latin1))).rejects.toThrow(new DataValidationError('raw/a.csv line 1, byte offset 4: byte FC is not UTF-8; save the file as UTF-8'));
  });

  it('fails on a category value that is not UTF-8, also when the bad byte starts a later chunk', async () => {
    const head = Buffer.from('id,city\n1,Paris\n2,');
    const body = Readable.from([head, Buffer.from('Br\xfcnn\n3,Lyon\n', 'latin1')]);

    await expect(itemsOf(body, 'raw/b.csv')).rejects.toThrow(
      new DataValidationError(`raw/b.csv line 3, byte offset ${head.length + 2}: byte FC is not UTF-8; save the file as UTF-8`),
    );
  });

  it('reads a character whose bytes are split between two chunks', async () => {
    const bytes = Buffer.from('id,city\n1,Zürich\n');
    const ü = bytes.indexOf(Buffer.from('ü'));

    const items = await itemsOf(Readable.from([bytes.subarray(0, ü + 1), bytes.subarray(ü + 1)]));

    expect(records(items)).toEqual([
      [1, ['id', 'city']],
      [2, ['1', 'Zürich']],
    ]);
  });

  it.each([
    ['little-endian', 'FF FE'],
    ['big-endian', 'FE FF'],
  ])('says a UTF-16 %s file is UTF-16', async (order, mark) => {
    const le = Buffer.from('\ufeffid,city\n1,Paris\n', 'utf16le');
    const bytes = order === 'little-endian' ? le : le.swap16();

    await expect(itemsOf(from(bytes))).rejects.toThrow(new DataValidationError(`raw/a.csv is UTF-16 (${order}, byte order mark ${mark}), not UTF-8: save it as UTF-8`));
  });

  it('throws the error of a failing body', async () => {
    const body = new PassThrough();
    const reading = itemsOf(body);
    body.write('a,b\n1,2\n');
    body.destroy(new Error('connection reset'));

    await expect(reading).rejects.toThrow('connection reset');
  });

  it('hands records over in batches, not one by one', async () => {
    const text = `a,b\n${'1,2\n'.repeat(5000)}`;
    const batches: number[] = [];
    for await (const batch of readCsv(from(text), 'raw/a.csv')) batches.push(batch.length);

    expect(batches.reduce((a, b) => a + b, 0)).toBe(5001);
    expect(batches.length).toBeLessThan(10);
  });
});

/** A consumer that reads only when told to, to create backpressure. */
function slowConsumer(): { start: (body: Readable) => Promise<void>; received: () => string; release: () => void } {
  const chunks: Buffer[] = [];
  let release = () => undefined as void;
  const start = (body: Readable) =>
    new Promise<void>((resolve, reject) => {
      const sink = new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          release = () => callback();
        },
      });
      body.pipe(sink).on('finish', resolve).on('error', reject);
      body.on('error', reject);
    });
  return { start, received: () => Buffer.concat(chunks).toString(), release: () => release() };
}

describe('csv: text sink', () => {
  it('passes the lines to the consumer in chunks and completes when it has them all', async () => {
    let text = '';
    const sink = new TextSink(
      async (body) => {
        for await (const chunk of body) text += (chunk as Buffer).toString();
      },
      { chunkChars: 8 },
    );
    sink.write('1,2\n');
    sink.write('3,4\n');
    sink.write('5,6\n');
    await sink.end();

    expect(text).toBe('1,2\n3,4\n5,6\n');
  });

  it('reports blocked while the consumer is behind, and drain() waits for it', async () => {
    const consumer = slowConsumer();
    const sink = new TextSink(consumer.start, { chunkChars: 4 });
    for (let i = 0; i < 10; i++) sink.write('abcd');

    expect(sink.blocked).toBe(true);

    let drained = false;
    const draining = sink.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);

    while (!drained) {
      consumer.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await draining;
    expect(sink.blocked).toBe(false);
  });

  it('stops the consumer without completing on abort', async () => {
    let outcome = 'pending';
    const sink = new TextSink((body) =>
      new Promise<void>((resolve, reject) => {
        body.resume();
        body.on('end', resolve).on('error', reject);
      }).then(
        () => void (outcome = 'completed'),
        (error: Error) => {
          outcome = `failed: ${error.message}`;
          throw error;
        },
      ),
    );
    sink.write('1,2\n');

    await sink.abort(new Error('run failed'));

    expect(outcome).toBe('failed: run failed');
  });

  it('throws the consumer failure on the next write, drain or end', async () => {
    const sink = new TextSink(async () => {
      throw new Error('access denied');
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(() => sink.write('x\n')).toThrow('access denied');
    await expect(sink.drain()).rejects.toThrow('access denied');
    await expect(sink.end()).rejects.toThrow('access denied');
  });
});
