/**
 * The UTF-8 check of input files, against an independent decoder: the WHATWG TextDecoder of
 * Node.js (ICU/simdutf) with { fatal: true } decides what is UTF-8; our scanner only has to say
 * where it stops being so, and the streaming validator has to agree whatever the chunk boundaries.
 */
import fc from 'fast-check';
import { firstInvalidUtf8, utf16ByteOrderMark, Utf8Validator } from '../../../lambdas/core/utf8';

const decodes = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** Bytes that are mostly UTF-8 text with, sometimes, a stray or truncated byte: the interesting cases. */
const mostlyText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).map((s) => [...Buffer.from(s)]) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom([0x0a], [0x0d, 0x0a]) },
    ),
    { maxLength: 30 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

/** Splits bytes into chunks at the given cut points. */
function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return out;
}

function validate(parts: Uint8Array[]) {
  const validator = new Utf8Validator();
  for (const part of parts) {
    const problem = validator.write(part);
    if (problem) return problem;
  }
  return validator.end();
}

describe('utf8: where a byte sequence stops being UTF-8', () => {
  it('finds no problem exactly when the WHATWG decoder accepts the bytes', () => {
    fc.assert(
      fc.property(fc.oneof(mostlyText, fc.uint8Array({ maxLength: 24 })), (bytes) => {
        expect(firstInvalidUtf8(bytes) === -1).toBe(decodes(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('names the first ill-formed sequence: everything before it decodes, decoding from it fails', () => {
    fc.assert(
      fc.property(fc.oneof(mostlyText, fc.uint8Array({ maxLength: 24 })), (bytes) => {
        const index = firstInvalidUtf8(bytes);
        fc.pre(index !== -1);
        expect(decodes(bytes.subarray(0, index))).toBe(true);
        expect(decodes(bytes.subarray(index))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same offset whatever the chunk boundaries, and the line it is on', () => {
    fc.assert(
      fc.property(mostlyText, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const problem = validate(chunks(bytes, cuts));
        const index = firstInvalidUtf8(bytes);
        if (index === -1) {
          expect(problem).toBeUndefined();
          return;
        }
        fc.pre(utf16ByteOrderMark(bytes) === undefined);
        expect(problem?.offset).toBe(index);
        expect(problem?.line).toBe(bytes.subarray(0, index).filter((b) => b === 0x0a).length + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a character split across chunks, in every way it can be split', () => {
    const text = Buffer.from('a,é,€,𝄞\n'); // 1-, 2-, 3- and 4-byte characters
    for (let cut = 0; cut <= text.length; cut++) {
      expect(validate([text.subarray(0, cut), text.subarray(cut)])).toBeUndefined();
    }
  });

  it('describes a Latin-1 byte and a character cut off by the end of the stream', () => {
    expect(validate([Buffer.from('city\nZ'), Buffer.from([0xfc]), Buffer.from('rich\n')])).toEqual({ offset: 6, line: 2, bytes: 'FC' });
    expect(validate([Buffer.from('city\nZ\xc3', 'latin1')])).toEqual({ offset: 6, line: 2, bytes: '' });
  });

  it('recognizes both UTF-16 byte order marks, also when the first chunk is one byte', () => {
    expect(validate([Buffer.from([0xff]), Buffer.from([0xfe, 0x61, 0x00])])).toMatchObject({ offset: 0, utf16: 'FF FE' });
    expect(validate([Buffer.from([0xfe, 0xff, 0x00, 0x61])])).toMatchObject({ offset: 0, utf16: 'FE FF' });
  });
});
