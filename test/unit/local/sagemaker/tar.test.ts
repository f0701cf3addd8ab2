import { gunzipSync } from 'node:zlib';
import { createTar, createTarGz, readTar, readTarGz } from '../../../../local/sagemaker/tar';

describe('local sagemaker: tar', () => {
  it('writes ustar entries that read back with their content, time and mode', () => {
    const mtime = new Date('2026-11-27T12:00:00.000Z');
    const archive = createTarGz([
      { name: 'model.json', content: Buffer.from('{"trees":[]}'), mtime },
      { name: 'extra/notes.txt', content: Buffer.alloc(1500, 'x'), mode: 0o600 },
    ]);
    const entries = readTarGz(archive);
    expect(entries.map((e) => [e.name, e.content.length])).toEqual([
      ['model.json', 12],
      ['extra/notes.txt', 1500],
    ]);
    expect(entries[0].content.toString()).toBe('{"trees":[]}');
    expect(entries[0].mtime).toEqual(mtime);
    expect(entries[1].mode).toBe(0o600);
  });

  it('lays the archive out in 512-byte blocks with the ustar magic and two zero blocks at the end', () => {
    const tar = gunzipSync(createTarGz([{ name: 'model.json', content: Buffer.from('abc') }]));
    expect(tar.length).toBe(512 * 4);
    expect(tar.toString('ascii', 257, 263)).toBe('ustar\0');
    expect(tar.toString('ascii', 124, 135)).toBe('00000000003');
    expect(tar.subarray(1024).every((b) => b === 0)).toBe(true);
  });

  it('splits a long name into the prefix field', () => {
    const name = `${'a'.repeat(90)}/${'b'.repeat(50)}/model.json`;
    expect(readTar(createTar([{ name, content: Buffer.from('1') }]))[0].name).toBe(name);
  });

  it('rejects a corrupted header naming its offset', () => {
    const tar = createTar([{ name: 'model.json', content: Buffer.from('abc') }]);
    tar[10] ^= 0xff;
    expect(() => readTar(tar)).toThrow(/tar header at byte 0 has a bad checksum/);
  });

  it('rejects data that is not gzip', () => {
    expect(() => readTarGz(Buffer.from('not gzip'))).toThrow(/expected a gzip-compressed tar archive/);
  });

  it('rejects absolute and parent paths', () => {
    expect(() => createTar([{ name: '../model.json', content: Buffer.from('') }])).toThrow(/relative path without/);
    expect(() => createTar([{ name: '/model.json', content: Buffer.from('') }])).toThrow(/relative path without/);
  });
});
