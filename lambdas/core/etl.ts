/**
 * "Prepare data": one streaming pass from the raw CSV objects to what training needs.
 *
 * Lists raw/ (a snapshot), reads every CSV object record by record (pinned to the listed ETag),
 * validates each row (quarantining bad ones with file, line and reason), splits rows
 * deterministically, encodes categories and labels, and writes — all while reading —
 * train/validation/test in the built-in XGBoost CSV format (no header, label first, empty
 * field = missing value), the baseline of the train split, schema.json and a manifest that
 * records exactly which object versions went in. Memory does not grow with the data: outputs
 * are streamed (multipart in S3) and reading waits whenever an output is behind.
 */
import type { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore } from '../adapters/ports';
import { readCsv, TextSink, type CsvBadRecord, type CsvItem, type CsvRecord } from './csv';
import {
  buildModelSchema,
  CategoryEncoder,
  categoryCode,
  createLabelEncoder,
  parseDecimal,
  type EncodedFeature,
  type LabelEncoder,
} from './encoding';
import { DataValidationError, messageOf } from './errors';
import { BaselineProfiler } from './profile';
import { checkColumns, resolveFeatures, type ResolvedFeature } from './schema-check';
import { rowKeyBuilder, splitForKey, validateSplitRatios, SPLIT_NAMES, type SplitName, type SplitRatios } from './split';
import type { ModelSchema, ProblemType } from './types';

/** What the ETL needs from the configuration (`dataset` and `evaluation.split`). */
export interface EtlSettings {
  /** Prefix of the raw objects, ending in "/". */
  readonly rawPrefix: string;
  /** Whether every file starts with a header row. */
  readonly header: boolean;
  /** Column names in file order; used (and required) when header is false. */
  readonly columns?: readonly string[];
  readonly targetColumn: string;
  /** Feature columns in model order. Default: every column except the target and the id. */
  readonly features?: readonly string[];
  readonly categoricalFeatures: readonly string[];
  /** Column whose value decides a row's split. Default: a hash of the row. */
  readonly idColumn?: string;
  readonly problemType: ProblemType;
  /** Only objects modified in the last N days before `now`. Default: every object. */
  readonly lookbackDays?: number;
  /** Largest share of rejected rows before the run fails, in [0, 1]. */
  readonly maxQuarantineShare: number;
  /** Fewest valid rows the run needs. */
  readonly minRows: number;
  readonly split: SplitRatios;
}

export interface PrepareDataInput {
  readonly runId: string;
  readonly settings: EtlSettings;
  /** The model in production, whose schema this data must still fit. */
  readonly champion?: { readonly schema: ModelSchema };
  /** Snapshot time: when listing starts; the lookback window ends here. */
  readonly now: Date;
  /** Seed of the baseline's reservoir samples. */
  readonly seed?: number;
}

export interface RowCounts {
  readonly read: number;
  readonly valid: number;
  readonly quarantined: number;
}

export interface SplitCounts extends RowCounts {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/** Keys of everything a run writes, relative to the data bucket. */
export interface RunKeys {
  readonly manifest: string;
  readonly train: string;
  readonly validation: string;
  readonly test: string;
  readonly baseline: string;
  readonly schema: string;
  readonly quarantine: string;
}

/** What the state machine gets back: small and JSON-serializable. */
export interface PreparedData {
  readonly runId: string;
  /** ISO time the snapshot (listing) was taken. */
  readonly snapshotAt: string;
  /** Data files read. */
  readonly files: number;
  /** Bytes of the data files read. */
  readonly bytes: number;
  readonly rows: SplitCounts;
  readonly keys: Omit<RunKeys, 'quarantine'> & { readonly quarantine?: string };
  /** Model input columns, in order. */
  readonly features: string[];
  /** Multiclass: class label of each index; binary: ["0", "1"]. */
  readonly classes?: string[];
  /** Columns present in the data but not used (neither target, id nor feature). */
  readonly ignoredColumns: string[];
}

/** ----- manifest.json ----- */

export interface ManifestFile {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** The version that was read (undefined when the bucket is not versioned). */
  readonly versionId?: string;
  readonly lastModified: string;
  readonly rows: RowCounts;
}

export interface ManifestSkipped {
  readonly key: string;
  readonly size: number;
  readonly lastModified: string;
  readonly reason: string;
}

export interface Manifest {
  readonly version: 1;
  readonly runId: string;
  readonly status: 'succeeded' | 'failed';
  readonly snapshotAt: string;
  readonly rawPrefix: string;
  readonly lookbackDays?: number;
  readonly files: ManifestFile[];
  readonly skipped: ManifestSkipped[];
  readonly totals: { readonly files: number; readonly bytes: number; readonly rows: SplitCounts };
  readonly features?: string[];
  readonly ignoredColumns?: string[];
  readonly quarantineKey?: string;
  /** Why the run failed, when it did. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** One rejected row in quarantine/<runId>/rejected.jsonl. */
export interface QuarantineEntry {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  /** The row's fields as read; absent when the record could not be parsed (see raw). */
  readonly fields?: string[];
  readonly raw?: string;
}

export function runKeys(runId: string): RunKeys {
  return {
    manifest: `runs/${runId}/manifest.json`,
    train: `runs/${runId}/data/train.csv`,
    validation: `runs/${runId}/data/validation.csv`,
    test: `runs/${runId}/data/test.csv`,
    baseline: `runs/${runId}/baseline.json`,
    schema: `runs/${runId}/schema.json`,
    quarantine: `quarantine/${runId}/rejected.jsonl`,
  };
}

const DAY_MS = 86_400_000;
/** Why a 0-byte .csv object is skipped (manifest.json). */
const EMPTY_OBJECT = 'empty object (0 bytes)';
const CSV_SUFFIX = /\.csv$/i;

/**
 * Prepares the data of one run (see the module comment). Throws DataValidationError when the
 * data cannot be used — no data file, a bad header, a schema change, too many rejected rows, too
 * few valid ones — after writing the manifest, so every failure can be inspected.
 */
export async function prepareData(ports: { store: ObjectStore }, input: PrepareDataInput): Promise<PreparedData> {
  validateSplitRatios(input.settings.split);
  return new EtlRun(ports.store, input).execute();
}

/** The settings a file's columns are checked against. */
export type FileSettings = Pick<EtlSettings, 'header' | 'columns' | 'targetColumn' | 'features' | 'categoricalFeatures' | 'idColumn' | 'problemType'>;

/**
 * Checks one data file before it joins the raw prefix, for what would fail every run that reads
 * it, whatever the other files: bytes that are not UTF-8, a quote that never closes, a header
 * (or dataset.columns) without the configured columns, columns that do not fit the champion's
 * schema. Rows are not checked: a run quarantines a bad row without failing. `key` names the
 * file in errors. Throws the DataValidationError the ETL would.
 */
export async function checkDataFile(body: Readable, key: string, settings: FileSettings, champion?: ModelSchema): Promise<void> {
  let checked = false;
  if (!settings.header) {
    checkFileColumns(settings.columns ?? [], key, undefined, settings, champion);
    checked = true;
  }
  for await (const batch of readCsv(body, key)) {
    if (checked || batch.length === 0) continue;
    const item = batch[0];
    if (!item.ok) throw unreadableHeader(item, key);
    checkFileColumns(headerColumns(item), key, item.line, settings, champion);
    checked = true;
  }
}

function checkFileColumns(columns: readonly string[], file: string, line: number | undefined, settings: FileSettings, champion?: ModelSchema): void {
  const where = line === undefined ? file : `${file} line ${line}`;
  const { targetColumn: target, idColumn, features, problemType, categoricalFeatures } = settings;
  checkColumns(columns, { target, idColumn, features }, where, line === undefined ? 'dataset.columns' : 'header');
  resolveFeatures(columns, { problemType, target, idColumn, features, categoricalFeatures }, champion, where);
}

function unreadableHeader(item: CsvBadRecord, file: string): DataValidationError {
  return new DataValidationError(`${file} line ${item.line}: the header cannot be read: ${item.reason}`, { context: { file, line: item.line } });
}

function headerColumns(item: CsvRecord): string[] {
  return item.fields.map((f) => f.trim());
}

interface MutableRowCounts {
  read: number;
  valid: number;
  quarantined: number;
}

interface FileEntry {
  readonly info: ObjectInfo;
  versionId?: string;
  readonly rows: MutableRowCounts;
}

/** Where each column of one file is, resolved once from its header. */
interface FileLayout {
  readonly fieldCount: number;
  readonly targetIndex: number;
  readonly idIndex: number;
  readonly featureIndexes: number[];
  readonly rowKey: (fields: readonly string[]) => string;
}

/** The run's model shape, fixed by the first header. */
interface Model {
  /** The first data file, whose header fixed the columns. */
  readonly firstFile: string;
  readonly columns: readonly string[];
  readonly features: readonly ResolvedFeature[];
  readonly encoded: readonly EncodedFeature[];
  readonly ignoredColumns: string[];
  readonly outputs: Record<SplitName, TextSink>;
  readonly profiler: BaselineProfiler;
  /** Per-row scratch space (one row at a time): parsed values and trimmed texts, in model order. */
  readonly values: Array<number | string | undefined>;
  readonly texts: string[];
}

class EtlRun {
  private readonly settings: EtlSettings;
  private readonly keys: RunKeys;
  private readonly snapshotAt: string;
  private readonly files: FileEntry[] = [];
  private readonly skipped: ManifestSkipped[] = [];
  private readonly totals = { read: 0, valid: 0, quarantined: 0, train: 0, validation: 0, test: 0 };
  private readonly labels: LabelEncoder;
  private model: Model | undefined;
  private quarantine: TextSink | undefined;
  private firstRejection: { readonly file: string; readonly line: number; readonly reason: string } | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly input: PrepareDataInput,
  ) {
    this.settings = input.settings;
    this.keys = runKeys(input.runId);
    this.snapshotAt = input.now.toISOString();
    this.labels = createLabelEncoder(this.settings.problemType, this.settings.targetColumn, input.champion?.schema.classes);
  }

  async execute(): Promise<PreparedData> {
    let result: PreparedData;
    try {
      const objects = await this.list();
      for (const object of objects) await this.readFile(object);
      const model = this.requireModel(objects.length);
      await this.quarantine?.end();
      this.checkRows();
      await Promise.all(SPLIT_NAMES.map((name) => model.outputs[name].end()));
      result = await this.writeDocuments(model);
    } catch (error) {
      await this.fail(error);
      throw error;
    }
    await this.writeManifest();
    return result;
  }

  /** Lists the raw prefix; keeps the CSV objects in the window, records why the others are skipped. */
  private async list(): Promise<ObjectInfo[]> {
    const { rawPrefix, lookbackDays } = this.settings;
    const cutoff = lookbackDays === undefined ? undefined : this.input.now.getTime() - lookbackDays * DAY_MS;
    const data: ObjectInfo[] = [];
    for await (const object of this.store.list(rawPrefix)) {
      const reason = skipReason(object, cutoff, lookbackDays);
      if (reason === undefined) data.push(object);
      else this.skip(object, reason);
    }
    if (data.length === 0) throw this.noDataError(cutoff === undefined ? '' : ` modified in the last ${lookbackDays} days`);
    return data;
  }

  /** No data file: names an empty .csv object when there is one, since that is what a person just uploaded. */
  private noDataError(window: string): DataValidationError {
    const { rawPrefix } = this.settings;
    const empty = this.skipped.filter((s) => s.reason === EMPTY_OBJECT);
    const others = this.skipped.length - empty.length;
    const what =
      empty.length === 0
        ? `no .csv object${window}`
        : `${empty[0].key} is empty (0 bytes)${empty.length > 1 ? `, like ${empty.length - 1} other .csv object${empty.length > 2 ? 's' : ''}` : ''}`;
    return new DataValidationError(`no data under "${rawPrefix}": ${what} (${others} other objects skipped)`, {
      context: { prefix: rawPrefix, skipped: this.skipped.length, empty: empty.map((s) => s.key) },
    });
  }

  private skip(object: ObjectInfo, reason: string): void {
    this.skipped.push({ key: object.key, size: object.size, lastModified: object.lastModified.toISOString(), reason });
  }

  private async readFile(object: ObjectInfo): Promise<void> {
    const { body, versionId } = await this.store.read(object.key, { ifMatch: object.etag });
    const entry: FileEntry = { info: object, versionId, rows: { read: 0, valid: 0, quarantined: 0 } };
    this.files.push(entry);
    let layout = this.settings.header ? undefined : this.layoutOf(this.settings.columns ?? [], object.key);
    for await (const batch of readCsv(body, object.key)) {
      for (const item of batch) {
        if (layout === undefined) {
          layout = this.headerLayout(item, object.key);
          continue;
        }
        entry.rows.read += 1;
        this.totals.read += 1;
        if (item.ok) this.readRow(entry, layout, item);
        else this.reject(entry, item.line, item.reason, { raw: item.raw });
      }
      // Reading waits while an output is behind: this is what keeps memory flat.
      if (this.blocked()) await this.drain();
    }
    if (layout === undefined) {
      this.files.pop();
      this.skip(object, 'no header row (the file has no records)');
    }
  }

  private headerLayout(item: CsvItem, file: string): FileLayout {
    if (!item.ok) throw unreadableHeader(item, file);
    return this.layoutOf(headerColumns(item), file, item.line);
  }

  /**
   * Checks a file's columns (its header at `line`, or dataset.columns when files have no header)
   * and, for the first file, fixes the model's features.
   */
  private layoutOf(columns: readonly string[], file: string, line?: number): FileLayout {
    const { targetColumn: target, idColumn, features } = this.settings;
    const where = line === undefined ? file : `${file} line ${line}`;
    checkColumns(columns, { target, idColumn, features }, where, line === undefined ? 'dataset.columns' : 'header');
    const model = this.model ?? this.startModel(columns, file, where);
    if (!features) checkSameColumns(columns, model, where);
    return {
      fieldCount: columns.length,
      targetIndex: columns.indexOf(target),
      idIndex: idColumn ? columns.indexOf(idColumn) : -1,
      featureIndexes: model.features.map((f) => columns.indexOf(f.name)),
      rowKey: rowKeyBuilder(columns, [target, ...model.features.map((f) => f.name)]),
    };
  }

  private startModel(columns: readonly string[], file: string, where: string): Model {
    const { settings, input } = this;
    const champion = input.champion?.schema;
    const { features, ignoredColumns } = resolveFeatures(
      columns,
      {
        problemType: settings.problemType,
        target: settings.targetColumn,
        idColumn: settings.idColumn,
        features: settings.features,
        categoricalFeatures: settings.categoricalFeatures,
      },
      champion,
      where,
    );
    const championCategories = new Map(
      (champion?.features ?? []).flatMap((f) => (f.kind === 'categorical' ? [[f.name, f.categories] as const] : [])),
    );
    const encoded: EncodedFeature[] = features.map((f) =>
      f.kind === 'numeric'
        ? { name: f.name, kind: 'numeric' }
        : { name: f.name, kind: 'categorical', encoder: new CategoryEncoder(championCategories.get(f.name)) },
    );
    const outputs = {} as Record<SplitName, TextSink>;
    for (const name of SPLIT_NAMES) {
      outputs[name] = new TextSink((body) => this.store.write(this.keys[name], body, { contentType: 'text/csv' }));
    }
    const profiler = new BaselineProfiler(
      features.map((f) => ({ name: f.name, declared: f.kind })),
      input.seed === undefined ? {} : { seed: input.seed },
    );
    this.model = {
      firstFile: file,
      columns: [...columns],
      features,
      encoded,
      ignoredColumns,
      outputs,
      profiler,
      values: new Array<number | string | undefined>(features.length).fill(undefined),
      texts: new Array<string>(features.length).fill(''),
    };
    return this.model;
  }

  /** Validates one row; writes it to its split or to the quarantine. */
  private readRow(entry: FileEntry, layout: FileLayout, record: CsvRecord): void {
    const model = this.model!;
    const { fields, line } = record;
    if (fields.length !== layout.fieldCount) {
      this.reject(entry, line, `expected ${layout.fieldCount} fields, got ${fields.length}`, { fields });
      return;
    }
    const features = model.encoded;
    const values = model.values;
    const texts = model.texts;
    for (let i = 0; i < features.length; i++) {
      const raw = fields[layout.featureIndexes[i]];
      const text = raw.trim();
      texts[i] = text;
      if (text === '') {
        values[i] = undefined;
      } else if (features[i].kind === 'categorical') {
        values[i] = text;
      } else {
        const value = parseDecimal(text);
        if (value === undefined) {
          this.reject(entry, line, `feature "${features[i].name}" is not a finite number: ${JSON.stringify(raw)}`, { fields });
          return;
        }
        values[i] = value;
      }
    }
    let key: string;
    if (layout.idIndex >= 0) {
      key = fields[layout.idIndex].trim();
      if (key === '') {
        this.reject(entry, line, `id "${this.settings.idColumn}" is missing`, { fields });
        return;
      }
    } else {
      key = layout.rowKey(fields);
    }
    // Last check, because a new multiclass label is added to the classes as it is encoded.
    const label = this.labels.encode(fields[layout.targetIndex]);
    if (!label.ok) {
      this.reject(entry, line, label.reason, { fields });
      return;
    }

    let row = label.value;
    for (let i = 0; i < features.length; i++) {
      const feature = features[i];
      if (feature.kind === 'categorical') {
        row += `,${categoryCode(texts[i], feature.encoder)}`;
      } else {
        // The number as written (it parsed as a finite decimal). An empty field is a missing
        // value for SageMaker's XGBoost, in training (CSV reader) and in serving alike.
        row += `,${texts[i]}`;
      }
    }
    const split = splitForKey(key, this.settings.split);
    model.outputs[split].write(`${row}\n`);
    if (split === 'train') model.profiler.add(values);
    entry.rows.valid += 1;
    this.totals.valid += 1;
    this.totals[split] += 1;
  }

  private reject(entry: FileEntry, line: number, reason: string, data: { fields?: string[]; raw?: string }): void {
    entry.rows.quarantined += 1;
    this.totals.quarantined += 1;
    const file = entry.info.key;
    this.firstRejection ??= { file, line, reason };
    this.quarantine ??= new TextSink((body) =>
      this.store.write(this.keys.quarantine, body, { contentType: 'application/x-ndjson' }),
    );
    const quarantined: QuarantineEntry = { file, line, reason, ...data };
    this.quarantine.write(`${JSON.stringify(quarantined)}\n`);
  }

  private blocked(): boolean {
    const outputs = this.model?.outputs;
    return Boolean(outputs?.train.blocked || outputs?.validation.blocked || outputs?.test.blocked || this.quarantine?.blocked);
  }

  private async drain(): Promise<void> {
    const outputs = this.model ? SPLIT_NAMES.map((name) => this.model!.outputs[name]) : [];
    for (const sink of [...outputs, ...(this.quarantine ? [this.quarantine] : [])]) await sink.drain();
  }

  private requireModel(dataFiles: number): Model {
    if (this.model) return this.model;
    throw new DataValidationError(`no data under "${this.settings.rawPrefix}": none of the ${dataFiles} .csv objects has a header row`, {
      context: { prefix: this.settings.rawPrefix },
    });
  }

  /** The run-level checks once every row is read: rejected share, valid rows, labels, splits. */
  private checkRows(): void {
    const { read, valid, quarantined } = this.totals;
    const { maxQuarantineShare, minRows, split, problemType, targetColumn } = this.settings;
    const share = read === 0 ? 0 : quarantined / read;
    if (share > maxQuarantineShare) {
      throw this.rowsError(
        `${quarantined} of ${read} rows (${percent(share)}) were rejected, ` +
          `more than the allowed ${percent(maxQuarantineShare)} (maxQuarantineShare)`,
      );
    }
    if (valid < minRows) {
      throw this.rowsError(`only ${valid} valid rows (of ${read} read), fewer than the ${minRows} required (minRows)`);
    }
    if (problemType !== 'regression' && this.labels.distinctSeen() < 2) {
      throw this.rowsError(`every valid row has the same target "${targetColumn}": a ${problemType} model needs at least 2 classes`);
    }
    for (const name of SPLIT_NAMES) {
      if (this.totals[name] === 0) {
        throw this.rowsError(
          `the ${name} split is empty (${valid} valid rows split ${split.train}/${split.validation}/${split.test}); ` +
            'add rows or change the split',
        );
      }
    }
  }

  private rowsError(summary: string): DataValidationError {
    const first = this.firstRejection;
    const detail = first
      ? `; first rejected row: ${first.file} line ${first.line}: ${first.reason}; rejected rows are in ${this.keys.quarantine}`
      : '';
    return new DataValidationError(`${summary}${detail}`, {
      context: { rows: { ...this.totals }, firstRejection: first, quarantine: first ? this.keys.quarantine : undefined },
    });
  }

  private async writeDocuments(model: Model): Promise<PreparedData> {
    const schema = buildModelSchema({
      runId: this.input.runId,
      problemType: this.settings.problemType,
      target: this.settings.targetColumn,
      features: model.encoded,
      labels: this.labels,
    });
    const baseline = model.profiler.finish({ runId: this.input.runId, createdAt: this.snapshotAt });
    await Promise.all([
      this.store.write(this.keys.schema, json(schema), { contentType: 'application/json' }),
      // Compact: the samples hold up to 10,000 numbers per feature.
      this.store.write(this.keys.baseline, JSON.stringify(baseline), { contentType: 'application/json' }),
    ]);
    const { quarantine, ...keys } = this.keys;
    return {
      runId: this.input.runId,
      snapshotAt: this.snapshotAt,
      files: this.files.length,
      bytes: this.bytes(),
      rows: { ...this.totals },
      keys: this.quarantine ? { ...keys, quarantine } : keys,
      features: model.features.map((f) => f.name),
      ...(schema.classes && this.settings.problemType === 'multiclass' ? { classes: schema.classes } : {}),
      ignoredColumns: model.ignoredColumns,
    };
  }

  /**
   * After a failure: stops the outputs (no partial train.csv is left), completes the quarantine
   * so the rows named in the error can be inspected, and writes the manifest with the error.
   * The original error is what the caller throws; failures while cleaning up after it would
   * only hide it, so they are not raised.
   */
  private async fail(error: unknown): Promise<void> {
    const reason = error instanceof Error ? error : new Error(messageOf(error));
    const outputs = this.model ? SPLIT_NAMES.map((name) => this.model!.outputs[name]) : [];
    await Promise.all(outputs.map((sink) => sink.abort(reason)));
    await this.quarantine?.end().catch(() => this.quarantine?.abort(reason));
    await this.writeManifest(reason).catch(() => undefined);
  }

  private async writeManifest(error?: Error): Promise<void> {
    const manifest: Manifest = {
      version: 1,
      runId: this.input.runId,
      status: error ? 'failed' : 'succeeded',
      snapshotAt: this.snapshotAt,
      rawPrefix: this.settings.rawPrefix,
      ...(this.settings.lookbackDays === undefined ? {} : { lookbackDays: this.settings.lookbackDays }),
      files: this.files.map((f) => ({
        key: f.info.key,
        size: f.info.size,
        etag: f.info.etag,
        ...(f.versionId === undefined ? {} : { versionId: f.versionId }),
        lastModified: f.info.lastModified.toISOString(),
        rows: { ...f.rows },
      })),
      skipped: this.skipped,
      totals: { files: this.files.length, bytes: this.bytes(), rows: { ...this.totals } },
      ...(this.model ? { features: this.model.features.map((f) => f.name), ignoredColumns: this.model.ignoredColumns } : {}),
      ...(this.quarantine ? { quarantineKey: this.keys.quarantine } : {}),
      ...(error ? { error: { name: error.name, message: error.message } } : {}),
    };
    await this.store.write(this.keys.manifest, json(manifest), { contentType: 'application/json' });
  }

  private bytes(): number {
    return this.files.reduce((sum, f) => sum + f.info.size, 0);
  }
}

/** Why a listed object is not data, or undefined when it is. */
function skipReason(object: ObjectInfo, cutoff: number | undefined, lookbackDays: number | undefined): string | undefined {
  if (object.key.endsWith('/')) return 'folder marker';
  if (!CSV_SUFFIX.test(object.key)) return 'not a .csv file';
  if (object.size === 0) return EMPTY_OBJECT;
  if (cutoff !== undefined && object.lastModified.getTime() < cutoff) return `last modified before the ${lookbackDays}-day lookback window`;
  return undefined;
}

/** Later files must have the first file's columns (in any order). */
function checkSameColumns(columns: readonly string[], model: Model, where: string): void {
  const first = model.columns;
  const missing = first.filter((c) => !columns.includes(c));
  const extra = columns.filter((c) => !first.includes(c));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    ...(missing.length > 0 ? [`missing ${missing.map((c) => `"${c}"`).join(', ')}`] : []),
    ...(extra.length > 0 ? [`extra ${extra.map((c) => `"${c}"`).join(', ')}`] : []),
  ];
  throw new DataValidationError(`${where}: the columns differ from those of ${model.firstFile} (${parts.join('; ')})`, {
    context: { where, firstFile: model.firstFile, missing, extra },
  });
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
