/** Workflow commands and file commands, parsed the way actions/runner parses them. */
import { describe, expect, it } from 'vitest';
import { parseEnvFile, parsePathFile, parseWorkflowCommand } from './commands.ts';

describe('workflow commands', () => {
  it('parses name, properties and data with GitHub escapes', () => {
    expect(
      parseWorkflowCommand('::error file=a%3Ab.ts,line=3,title=Bad%2C really::line one%0Aline two 100%25'),
    ).toEqual({
      name: 'error',
      properties: { file: 'a:b.ts', line: '3', title: 'Bad, really' },
      data: 'line one\nline two 100%',
    });
    expect(parseWorkflowCommand('  ::group::Build')).toEqual({ name: 'group', properties: {}, data: 'Build' });
    expect(parseWorkflowCommand('::endgroup::')).toEqual({ name: 'endgroup', properties: {}, data: '' });
  });

  it('leaves ordinary output and unknown commands alone', () => {
    expect(parseWorkflowCommand('hello ::error::x')).toBeUndefined();
    expect(parseWorkflowCommand('::not-a-command::x')).toBeUndefined();
    expect(parseWorkflowCommand('::error')).toBeUndefined();
    expect(parseWorkflowCommand('::resume-token::', new Set(['resume-token']))?.name).toBe('resume-token');
  });
});

describe('file commands', () => {
  it('reads NAME=value lines and NAME<<DELIMITER heredocs', () => {
    const text = ['a=1', 'b=x=y', '', 'multi<<EOF', 'one', 'two=2', 'EOF', 'empty<<END', 'END', 'last=z', ''].join(
      '\n',
    );
    expect(parseEnvFile(text)).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
      ['multi', 'one\ntwo=2'],
      ['empty', ''],
      ['last', 'z'],
    ]);
  });

  it('uses the first of = and << to tell the forms apart', () => {
    expect(parseEnvFile('a=b<<c\n')).toEqual([['a', 'b<<c']]);
    expect(parseEnvFile('a<<=\nx\n=\n')).toEqual([['a', 'x']]);
  });

  it("fails with the runner's messages on malformed files", () => {
    expect(() => parseEnvFile('novalue\n')).toThrow("Invalid format 'novalue'");
    expect(() => parseEnvFile('=x\n')).toThrow('Name must not be empty');
    expect(() => parseEnvFile('a<<EOF\nnever closed\n')).toThrow("Matching delimiter not found 'EOF'");
    expect(() => parseEnvFile('<<EOF\nEOF\n')).toThrow('Name must not be empty and delimiter must not be empty');
  });

  it('reads GITHUB_PATH one folder a line', () => {
    expect(parsePathFile('/a\n\n/b\n')).toEqual(['/a', '/b']);
  });
});
