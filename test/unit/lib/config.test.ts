import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig, parseConfig, type RetrainConfigInput } from '../../../lib/config';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input, 'retrain.config.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('config: defaults', () => {
  it('fills every section from an empty object', () => {
    const config = defaultConfig();

    expect(config.project.name).toBe('retrain');
    expect(config.dataset).toMatchObject({ header: true, targetColumn: 'label', problemType: 'binary', minRows: 100 });
    expect(config.training).toMatchObject({ instanceType: 'ml.m5.xlarge', instanceCount: 1, spot: { enabled: false } });
    expect(config.evaluation).toMatchObject({ metric: 'auc', direction: 'maximize', split: { train: 0.7, validation: 0.15, test: 0.15 } });
    expect(config.deployment.strategy.type).toBe('all-at-once');
    expect(config.triggers).toMatchObject({ schedule: 'rate(7 days)', cooldownMinutes: 360 });
    expect(config.triggers.newData).toMatchObject({ prefix: 'raw/', quietPeriodSeconds: 120, maxWaitSeconds: 1800 });
    expect(config.retention.removalPolicy).toBe('retain');
  });

  it('derives the metric and its direction from the problem type', () => {
    expect(parseConfig({ dataset: { problemType: 'regression' } }).evaluation).toMatchObject({ metric: 'rmse', direction: 'minimize' });
    expect(parseConfig({ dataset: { problemType: 'multiclass' } }).evaluation).toMatchObject({ metric: 'macro_f1', direction: 'maximize' });
  });

  it('accepts the configuration file committed at the repository root', () => {
    const config = loadConfig(join(__dirname, '..', '..', '..', 'retrain.config.json'));

    expect(config.project.name).toMatch(/^[a-z]/);
  });
});

describe('config: one specific message per mistake', () => {
  const cases: Array<[string, RetrainConfigInput | Record<string, unknown>, string]> = [
    ['a non-ml instance type', { training: { instanceType: 'm5.large' } }, 'training.instanceType: expected an ml.* instance type, got "m5.large"'],
    ['an upper-case project name', { project: { name: 'My_Project' } }, 'project.name: expected 3-24 characters'],
    ['a project name with "--"', { project: { name: 'a--b' } }, 'project.name: must not start with "xn--" or contain "--"'],
    ['split ratios that do not sum to 1', { evaluation: { split: { train: 0.8, validation: 0.15, test: 0.15 } } }, 'evaluation.split: expected train + validation + test = 1, got 1.1'],
    ['an out-of-range ratio', { evaluation: { split: { train: 1.2 } } }, 'evaluation.split.train: expected less than 1, got 1.2'],
    ['a bad schedule expression', { triggers: { schedule: 'every day' } }, 'triggers.schedule: expected "rate(<n> <unit>)"'],
    ['a rate with a plural unit for 1', { triggers: { schedule: 'rate(1 hours)' } }, 'triggers.schedule: expected "rate(<n> <unit>)"'],
    ['a string where a number belongs', { training: { instanceCount: '2' } }, 'training.instanceCount: expected a number, got "2"'],
    ['an unknown top-level key', { trainning: {} }, 'trainning: unknown field'],
    ['an unknown nested key', { deployment: { strategy: { kind: 'canary' } } }, 'deployment.strategy.kind: unknown field'],
    ['an unknown problem type', { dataset: { problemType: 'ranking' } }, 'dataset.problemType: expected one of "binary", "multiclass", "regression", got "ranking"'],
    ['a metric of another problem type', { evaluation: { metric: 'rmse' } }, 'evaluation.metric: "rmse" does not apply to binary problems'],
    ['a direction against the metric', { evaluation: { direction: 'minimize' } }, 'evaluation.direction: auc is maximized, got "minimize"'],
    ['a serverless memory size off the steps', { deployment: { serverless: { memorySizeMb: 1000 } } }, 'deployment.serverless.memorySizeMb: expected one of 1024'],
    ['canary on a serverless endpoint', { deployment: { serverless: {}, strategy: { type: 'canary' } } }, 'deployment.strategy.type: serverless endpoints support only "all-at-once", got "canary"'],
    ['a malformed alarm ARN', { triggers: { extraAlarmArns: ['my-alarm'] } }, 'triggers.extraAlarmArns[0]: expected a CloudWatch alarm ARN, got "my-alarm"'],
    ['a malformed e-mail', { notifications: { email: 'ops' } }, 'notifications.email: expected an e-mail address, got "ops"'],
    ['no header and no column list', { dataset: { header: false } }, 'dataset.columns: required when dataset.header is false'],
    ['a categorical feature that is not a feature', { dataset: { features: ['a', 'b'], categoricalFeatures: ['c'] } }, 'dataset.categoricalFeatures[0]: "c" is not a feature'],
    ['the target listed as a feature', { dataset: { features: ['label', 'x'] } }, 'dataset.features: must not contain the target column "label"'],
    ['a raw prefix without a slash', { dataset: { rawPrefix: 'raw' } }, 'dataset.rawPrefix: expected an S3 prefix ending in "/"'],
    ['a spot wait shorter than the runtime', { training: { maxRuntimeSeconds: 7200, spot: { enabled: true, maxWaitSeconds: 3600 } } }, 'training.spot.maxWaitSeconds: expected at least training.maxRuntimeSeconds (7200), got 3600'],
    ['a debounce maximum below the quiet period', { triggers: { newData: { quietPeriodSeconds: 300, maxWaitSeconds: 60 } } }, 'triggers.newData.maxWaitSeconds: expected at least newData.quietPeriodSeconds (300), got 60'],
    ['a retention the logs service does not offer', { retention: { logRetentionDays: 10 } }, 'retention.logRetentionDays: expected one of 1, 3'],
  ];

  it.each(cases)('rejects %s', (_name, input, expected) => {
    const problems = problemsOf(input);

    expect(problems).toContainEqual(expect.stringContaining(expected));
  });

  it('reports every problem of a file, each on its own line, prefixed by the file', () => {
    expect(() => parseConfig({ training: { instanceType: 'x' }, foo: 1 }, 'my.json')).toThrow(
      /^my\.json:\n {2}training\.instanceType: .*\n {2}foo: unknown field$/,
    );
  });
});

describe('config: files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retrain-config-'));

  it('reads JSON with comments and trailing commas', () => {
    const path = join(dir, 'commented.json');
    writeFileSync(path, '{\n  // the project\n  "project": { "name": "churn", },\n}\n');

    expect(loadConfig(path).project.name).toBe('churn');
  });

  it('names the line and column of a syntax error', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{\n  "project": { "name": "churn" \n  "dataset": {}\n}\n');

    expect(() => loadConfig(path)).toThrow(/broken\.json: line 3, column 3: CommaExpected/);
  });

  it('reads a file saved as "UTF-8 with BOM" (EF BB BF before the first brace)', () => {
    const path = join(dir, 'bom.json');
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{ "project": { "name": "churn" } }\n')]));

    expect(loadConfig(path).project.name).toBe('churn');
  });

  it('says a UTF-16 file is UTF-16, naming its byte order mark', () => {
    const path = join(dir, 'utf16.json');
    // U+FEFF then the text, little-endian: what Windows PowerShell 5's `Out-File` writes.
    writeFileSync(path, Buffer.from('\uFEFF{ "project": { "name": "churn" } }', 'utf16le'));

    expect(() => loadConfig(path)).toThrow(new ConfigError(path, ['the file is UTF-16 (byte order mark FF FE): save it as UTF-8']));
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the file \(ENOENT\)/);
  });
});
