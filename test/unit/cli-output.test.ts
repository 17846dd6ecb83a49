import { colorEnabled, paint, progressBar } from '../../src/cli/output';

describe('cli output', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  it('colours only a terminal, and not when NO_COLOR is set', () => {
    delete process.env.NO_COLOR;
    expect([colorEnabled(tty), colorEnabled(pipe)]).toEqual([true, false]);
    process.env.NO_COLOR = '1';
    expect(colorEnabled(tty)).toBe(false);
    expect(paint('sent', 'green', false)).toBe('sent');
    expect(paint('sent', 'green', true)).toBe('\x1b[32msent\x1b[0m');
  });

  it('draws a progress bar', () => {
    expect(progressBar(3, 6, 10)).toBe('[#####-----] 3/6');
    expect(progressBar(0, 0, 4)).toBe('[----] 0/0');
  });
});
