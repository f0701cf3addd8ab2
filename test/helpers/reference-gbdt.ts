/**
 * An independent evaluation of a model written by local training (model.json in model.tar.gz),
 * so tests can say which number an endpoint or a transform must answer without asking the code
 * under test (local/sagemaker/gbdt.ts predict, local/sagemaker/tar.ts).
 *
 * Prediction, as XGBoost defines it for a tree ensemble (XGBoost docs, "Introduction to Boosted
 * Trees": ŷ = Σ_k f_k(x), started from base_score): the base margin plus, for each tree, the
 * value of the leaf the row reaches (a row goes left when x < threshold; a missing value takes
 * the node's default direction), then the objective's link: the logistic function for
 * binary:logistic, softmax over the classes (one tree per class per round) for multi:softprob,
 * identity for reg:squarederror. Rounded to float32, as XGBoost predicts in float32.
 */
import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '../../lambdas/adapters/ports';
import type { GbdtModel } from '../../local/sagemaker/gbdt';

/** What a model answers for one row: one number, or the class probabilities (multi:softprob). */
export function referencePrediction(model: GbdtModel, row: readonly number[]): number[] {
  const outputs = model.objective === 'multi:softprob' ? model.numClass : 1;
  const margin = model.baseMargin.slice(0, outputs);
  model.trees.forEach((tree, t) => {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const value = row[tree.feature[node]];
      const left = Number.isNaN(value) ? tree.defaultLeft[node] === 1 : value < tree.threshold[node];
      node = left ? tree.left[node] : tree.right[node];
    }
    margin[t % outputs] += tree.value[node];
  });
  if (model.objective === 'binary:logistic') return [Math.fround(1 / (1 + Math.exp(-margin[0])))];
  if (model.objective === 'reg:squarederror') return [Math.fround(margin[0])];
  const top = Math.max(...margin);
  const exp = margin.map((m) => Math.exp(m - top));
  const total = exp.reduce((sum, e) => sum + e, 0);
  return exp.map((e) => Math.fround(e / total));
}

/** A text/csv feature row as the container parses it: an empty field is a missing value. */
export function csvRow(line: string): number[] {
  return line.split(',').map((field) => (field.trim() === '' ? NaN : Number(field)));
}

/** model.json of a model.tar.gz in the store, read with a minimal ustar reader (POSIX.1-1988 header: name 0–100, size octal 124–136, data from 512). */
export async function storedModel(store: ObjectStore, s3Uri: string): Promise<GbdtModel> {
  const key = s3Uri.replace(/^s3:\/\/[^/]+\//, '');
  const { body } = await store.read(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  const archive = gunzipSync(Buffer.concat(chunks));
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const name = archive.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(archive.subarray(offset + 124, offset + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'model.json' || name.endsWith('/model.json')) {
      return JSON.parse(archive.subarray(offset + 512, offset + 512 + size).toString('utf8')) as GbdtModel;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${s3Uri}: no model.json in the archive`);
}
