import { DOC_END, DOC_START, money, replaceGenerated } from '../../../bench/report';

describe('bench report', () => {
  it('replaces only the generated part of the document', () => {
    const document = `# Performance\n\nWritten by hand.\n\n${DOC_START}\n\nold tables\n\n${DOC_END}\n\n## Analysis\n`;

    const updated = replaceGenerated(document, 'new tables\n');

    expect(updated).toBe(`# Performance\n\nWritten by hand.\n\n${DOC_START}\n\nnew tables\n\n${DOC_END}\n\n## Analysis\n`);
  });

  it('appends the generated part to a document that has none', () => {
    expect(replaceGenerated('# Performance\n', 'tables')).toBe(`# Performance\n\n${DOC_START}\n\ntables\n\n${DOC_END}\n`);
  });

  it('shows dollars with two significant digits below one dollar', () => {
    expect(money(0.000123)).toBe('$0.00012');
    expect(money(0.4567)).toBe('$0.46');
    expect(money(83.95)).toBe('$83.95');
    expect(money(undefined)).toBe('no price');
  });
});
