/** GitHub's filter pattern cheat sheet, as examples that must match or must not. */
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, matchesPatterns, namesSelect, pathsSelect } from './filter-patterns.ts';

const cases: [pattern: string, matches: string[], misses: string[]][] = [
  ['feature/*', ['feature/my-branch', 'feature/your-branch'], ['feature/a/b', 'feature']],
  ['feature/**', ['feature/beta-a/my-branch', 'feature/your-branch', 'feature/mona/the/octocat'], ['features/x']],
  ['main', ['main'], ['main2', 'xmain']],
  ['releases/mona-the-octocat', ['releases/mona-the-octocat'], ['releases/mona']],
  ['*', ['main', 'releases'], ['releases/v1']],
  ['**', ['all/the/branches', 'every/tag'], []],
  ['*feature', ['mona-feature', 'feature', 'ver-10-feature'], ['a/feature']],
  ['v2*', ['v2', 'v2.0', 'v2.9'], ['v1']],
  ['v[12].[0-9]+.[0-9]+', ['v1.10.1', 'v2.0.0'], ['v3.0.0', 'v1.x.0']],
  ['*.js', ['app.js', 'index.js'], ['js/index.js']],
  ['**.js', ['index.js', 'js/index.js', 'src/js/app.js'], ['index.ts']],
  ['docs/*', ['docs/README.md', 'docs/file.txt'], ['docs/mona/octocat.txt']],
  ['docs/**', ['docs/README.md', 'docs/mona/octocat.txt'], ['README.md']],
  ['docs/**/*.md', ['docs/README.md', 'docs/mona/hello-world.md', 'docs/a/markdown/file.md'], ['docs/a.txt']],
  ['**/docs/**', ['docs/hello.md', 'dir/docs/my-file.txt', 'space/docs/plan/space.doc'], ['documents/x']],
  ['**/README.md', ['README.md', 'js/README.md'], ['README.txt']],
  ['**/*src/**', ['a/src/app.js', 'my-src/code/js/app.js'], ['source/app.js']],
  ['**/*-post.md', ['my-post.md', 'path/their-post.md'], ['post.md']],
  ['**/migrate-*.sql', ['migrate-10909.sql', 'db/migrate-v1.0.sql', 'db/sept/migrate-v1.sql'], ['migrate.sql']],
  ['*.jsx?', ['page.js', 'page.jsx'], ['page.jsxx', 'page.ts']],
  ['v1.+', ['v1.', 'v1...'], ['v1']],
  ['[CB]at', ['Cat', 'Bat'], ['Rat']],
];

describe('GitHub filter patterns', () => {
  for (const [pattern, matches, misses] of cases) {
    it(pattern, () => {
      const { regex } = compileFilterPattern(pattern);
      for (const name of matches) expect(regex.test(name), `${pattern} should match ${name}`).toBe(true);
      for (const name of misses) expect(regex.test(name), `${pattern} should not match ${name}`).toBe(false);
    });
  }

  it('lets the last matching pattern decide, so ! excludes what came before', () => {
    const patterns = ['sub-project/**', '!sub-project/docs/**'];
    expect(matchesPatterns(patterns, 'sub-project/app.js')).toBe(true);
    expect(matchesPatterns(patterns, 'sub-project/docs/readme.md')).toBe(false);
    expect(matchesPatterns(['!docs/**', 'docs/**'], 'docs/a.md')).toBe(true);
  });

  it('runs with paths when one changed file is selected, with paths-ignore unless every file is ignored', () => {
    expect(pathsSelect({ paths: ['models/**'] }, ['README.md', 'models/a.onnx'])).toBe(true);
    expect(pathsSelect({ paths: ['models/**'] }, ['README.md'])).toBe(false);
    expect(pathsSelect({ 'paths-ignore': ['docs/**'] }, ['docs/a.md'])).toBe(false);
    expect(pathsSelect({ 'paths-ignore': ['docs/**'] }, ['docs/a.md', 'src/a.ts'])).toBe(true);
    expect(pathsSelect({}, [])).toBe(true);
  });

  it('selects branches with branches or branches-ignore', () => {
    expect(namesSelect(['main', 'releases/**'], undefined, 'releases/v1')).toBe(true);
    expect(namesSelect(undefined, ['promote/**'], 'promote/v2')).toBe(false);
    expect(namesSelect(undefined, ['promote/**'], 'main')).toBe(true);
  });

  it('refuses malformed patterns, naming them', () => {
    expect(() => compileFilterPattern('v[1-')).toThrow(/invalid filter pattern "v\[1-"/);
    expect(() => compileFilterPattern('a[]')).toThrow(/empty brackets/);
    expect(() => compileFilterPattern('a\\')).toThrow(/nothing to escape/);
  });
});
