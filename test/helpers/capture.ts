/**
 * Builders of SageMaker Data Capture records (the JSON Lines the endpoint writes under
 * capture/) and of the synthetic feature values inside them.
 */
import { Readable } from 'node:stream';
import { seededRandom } from '../../lambdas/core/stats';

export interface CaptureRecordInput {
  /** CSV rows of the request, one string per row (e.g. "1.5,0,3"). */
  rows: string[];
  /** Output rows; default: none captured. */
  outputs?: string[];
  eventId?: string;
  inferenceId?: string;
  inferenceTime?: string;
  encoding?: 'CSV' | 'BASE64';
  contentType?: string;
}

/** One capture line (without the newline), as SageMaker writes it. */
export function captureLine(input: CaptureRecordInput): string {
  const encoding = input.encoding ?? 'CSV';
  const encode = (text: string) => (encoding === 'BASE64' ? Buffer.from(text, 'utf8').toString('base64') : text);
  const captureData: Record<string, unknown> = {
    endpointInput: {
      observedContentType: input.contentType ?? 'text/csv',
      mode: 'INPUT',
      data: encode(input.rows.join('\n')),
      encoding,
    },
  };
  if (input.outputs) {
    captureData.endpointOutput = {
      observedContentType: 'text/csv; charset=utf-8',
      mode: 'OUTPUT',
      data: encode(input.outputs.join('\n')),
      encoding,
    };
  }
  const eventMetadata: Record<string, string> = {
    eventId: input.eventId ?? 'e-0',
    inferenceTime: input.inferenceTime ?? '2024-05-01T10:15:00Z',
  };
  if (input.inferenceId !== undefined) eventMetadata.inferenceId = input.inferenceId;
  return JSON.stringify({ captureData, eventMetadata, eventVersion: '0' });
}

/** A capture file body from lines. */
export function captureFile(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/**
 * A capture file produced lazily, one single-row CSV request per line, so that tests of large
 * windows hold neither the rows nor the text in memory. `row(i)` gives the i-th CSV row (no
 * quotes or backslashes). `onEnd` runs once the last line has been handed to the reader.
 */
export function lazyCaptureStream(
  count: number,
  row: (i: number) => string,
  options: { inferenceTime?: string; idPrefix?: string; output?: (i: number) => string; onEnd?: () => void } = {},
): Readable {
  const time = options.inferenceTime ?? '2024-05-01T10:15:00Z';
  const prefix = options.idPrefix ?? 'e';
  const output = options.output;
  let i = 0;
  return new Readable({
    read() {
      let text = '';
      for (const stop = Math.min(count, i + 500); i < stop; i++) {
        const input = `"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"${row(i)}","encoding":"CSV"}`;
        const captured = output
          ? `${input},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"${output(i)}","encoding":"CSV"}`
          : input;
        text += `{"captureData":{${captured}},"eventMetadata":{"eventId":"${prefix}-${i}","inferenceTime":"${time}"},"eventVersion":"0"}\n`;
      }
      if (text !== '') this.push(text);
      if (i >= count) {
        options.onEnd?.();
        this.push(null);
      }
    },
  });
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error below
 * 1.2e-9), enough to build deterministic samples with known population values.
 */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** n evenly spaced quantiles of N(mean, sd²): a sample whose empirical distribution is the population's. */
export function normalQuantileSample(n: number, mean = 0, sd = 1): number[] {
  return Array.from({ length: n }, (_, i) => mean + sd * normalQuantile((i + 0.5) / n));
}

/** A seeded N(mean, sd²) generator (Box–Muller). */
export function normalGenerator(seed: number, mean = 0, sd = 1): () => number {
  const random = seededRandom(seed);
  return () => {
    const u = 1 - random();
    const v = random();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A seeded picker of categories with given weights. */
export function categoricalGenerator(seed: number, values: readonly string[], weights: readonly number[]): () => string {
  const random = seededRandom(seed);
  const total = weights.reduce((a, b) => a + b, 0);
  return () => {
    let r = random() * total;
    for (let i = 0; i < values.length; i++) {
      r -= weights[i];
      if (r < 0) return values[i];
    }
    return values[values.length - 1];
  };
}
