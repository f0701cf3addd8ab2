/**
 * What the model container does with a request: load model.tar.gz, parse a text/csv payload,
 * predict, and encode the predictions the way the built-in SageMaker XGBoost container does
 * (sagemaker-xgboost-container, algorithm_mode/serve.py):
 * - real-time endpoints join the predictions of the rows with ",": "0.12,0.87";
 * - batch transform (SAGEMAKER_BATCH) writes one prediction per line, each followed by "\n";
 * - a prediction is Python's str() of the float: binary:logistic the probability of class 1,
 *   reg:squarederror the value, multi:softprob the list of class probabilities
 *   ("[0.1, 0.2, 0.7]").
 * Numbers are rounded to float32 first, as XGBoost predicts in float32.
 */
import { InvalidInputError, messageOf } from '../../lambdas/core/errors';
import type { ObjectStore } from '../../lambdas/adapters/ports';
import { isGbdtModel, matrixFromRows, predictGbdt, type GbdtModel } from './gbdt';
import { parseRow } from './csv-data';
import { readTarGz } from './tar';

/** Name of the model file inside model.tar.gz. */
export const MODEL_FILE = 'model.json';

export interface LoadedModel {
  readonly model: GbdtModel;
  /** Predictions for the rows (features only), encoded as the container returns them. */
  predictCsv(rows: readonly Float64Array[], batch: boolean): string;
}

/** Reads and parses model.tar.gz from the store. Throws InvalidInputError saying what is wrong with it. */
export async function loadModel(store: ObjectStore, key: string): Promise<LoadedModel> {
  const { body } = await store.read(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const entries = readTarGz(Buffer.concat(chunks));
  const file = entries.find((e) => e.name === MODEL_FILE || e.name.endsWith(`/${MODEL_FILE}`));
  if (!file) {
    throw new InvalidInputError(`${key}: model.tar.gz has no ${MODEL_FILE} (entries: ${entries.map((e) => e.name).join(', ') || 'none'})`, {
      context: { key },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.content.toString('utf8'));
  } catch (error) {
    throw new InvalidInputError(`${key}: ${MODEL_FILE} is not JSON: ${messageOf(error)}`, { cause: error, context: { key } });
  }
  if (!isGbdtModel(parsed)) {
    throw new InvalidInputError(`${key}: ${MODEL_FILE} is not a model written by local training (format retrain-local-gbdt v1)`, {
      context: { key },
    });
  }
  return modelFrom(parsed);
}

export function modelFrom(model: GbdtModel): LoadedModel {
  return {
    model,
    predictCsv(rows, batch) {
      const x = matrixFromRows(rows, model.numFeatures);
      const predictions = predictGbdt(model, x);
      const perRow = model.objective === 'multi:softprob' ? model.numClass : 1;
      const lines: string[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (perRow === 1) lines.push(pythonFloat(predictions[i]));
        else {
          const values: string[] = [];
          for (let k = 0; k < perRow; k++) values.push(pythonFloat(predictions[i * perRow + k]));
          lines.push(`[${values.join(', ')}]`);
        }
      }
      return batch ? lines.map((l) => `${l}\n`).join('') : lines.join(',');
    },
  };
}

/**
 * Parses a text/csv payload of feature rows. Throws InvalidInputError with the container's
 * wording: a value that is not a number, or a row whose size differs from the model's.
 */
export function parseCsvPayload(payload: string, numFeatures: number): Float64Array[] {
  const rows: Float64Array[] = [];
  const lines = payload.trim().split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let row: Float64Array;
    try {
      row = parseRow(line.split(','), `line ${index + 1}`);
    } catch (error) {
      throw new InvalidInputError(
        `Loading csv data failed with Exception, please ensure data is in csv format:\n <class 'ValueError'>\n ${messageOf(error)}`,
        { context: { line: index + 1 }, cause: error },
      );
    }
    if (row.length !== numFeatures) {
      throw new InvalidInputError(
        `Feature size of csv inference data ${row.length} is not consistent with feature size of trained model ${numFeatures} (line ${index + 1}).`,
        { context: { line: index + 1, got: row.length, expected: numFeatures } },
      );
    }
    rows.push(row);
  });
  return rows;
}

/** Python's str() of a float32 value: shortest round-trip digits, "1.0" for whole numbers, "1e-05" style exponents. */
export function pythonFloat(value: number): string {
  const x = Math.fround(value);
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e16) {
    const [mantissa, exponent] = x.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}
