import { fields, formatDuration, formatMetric, formatTime, oneLine, packageLabel, secondsBetween, table } from '../../../cli/format';

describe('format: tables', () => {
  it('lines up columns two spaces apart, right-aligning the columns asked for, without trailing spaces', () => {
    const text = table(
      ['name', { header: 'n', align: 'right' }, 'note'],
      [
        ['a', '1', ''],
        ['longer', '100', 'x'],
      ],
    );

    expect(text).toBe(['name      n  note', 'a         1', 'longer  100  x'].join('\n'));
  });

  it('indents every line of a table', () => {
    expect(table(['a'], [['b']], '  ')).toBe('  a\n  b');
  });

  it('lines up the values of label/value lines', () => {
    expect(fields([['Run', 'r1'], ['Execution', 'e1']])).toBe('Run        r1\nExecution  e1');
  });
});

describe('format: values', () => {
  it.each([
    [0, '0s'],
    [45.4, '45s'],
    [59.6, '1m 00s'],
    [725, '12m 05s'],
    [3600, '1h 00m'],
    [3 * 3600 + 125, '3h 02m'],
    [2 * 86_400 + 4 * 3600 + 59, '2d 04h'],
    [-1, '-'],
    [undefined, '-'],
  ])('formats %p seconds as %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('formats times in UTC to the second, and unknown times as -', () => {
    expect(formatTime('2026-11-27T12:00:01.999Z')).toBe('2026-11-27 12:00:01 UTC');
    expect(formatTime(new Date('2026-11-27T12:00:01+02:00'))).toBe('2026-11-27 10:00:01 UTC');
    expect(formatTime('yesterday')).toBe('-');
    expect(formatTime(undefined)).toBe('-');
  });

  it('measures seconds between two ISO times', () => {
    expect(secondsBetween('2026-11-27T12:00:00Z', '2026-11-27T12:01:30Z')).toBe(90);
    expect(secondsBetween('2026-11-27T12:00:00Z', undefined)).toBeUndefined();
  });

  it('shows metrics with four decimals', () => {
    expect(formatMetric(0.91238)).toBe('0.9124');
    expect(formatMetric(undefined)).toBe('-');
  });

  it('names packages group/version', () => {
    expect(packageLabel('arn:aws:sagemaker:eu-west-1:123456789012:model-package/retrain/12')).toBe('retrain/12');
    expect(packageLabel('something-else')).toBe('something-else');
    expect(packageLabel(undefined)).toBe('-');
  });

  it('flattens and shortens long causes', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(300), 10)).toBe('xxxxxxx...');
  });
});
