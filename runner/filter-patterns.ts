/**
 * GitHub's filter patterns for `branches`, `tags` and `paths` (workflow syntax, "Filter pattern
 * cheat sheet"): `*` matches any characters but `/`, `**` any characters including `/` (`**\/`
 * also matches no folder at all), `?` and `+` make the preceding character optional / repeatable,
 * `[a-z0-9]` is a character class, `\` escapes, and a leading `!` negates the patterns before it;
 * the last pattern that matches decides. Glob libraries (minimatch, picomatch) read `?` as "any one
 * character" and `+` as a literal, so they would trigger different workflows than GitHub does:
 * hence this small translator to a RegExp.
 */

export interface FilterPattern {
  source: string;
  negative: boolean;
  regex: RegExp;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

function isRangeChar(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/** Compiles one pattern; throws naming the pattern and what is wrong with it. */
export function compileFilterPattern(raw: string): FilterPattern {
  const negative = raw.startsWith('!');
  const pattern = negative ? raw.slice(1) : raw;
  let out = '^';
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`invalid filter pattern ${JSON.stringify(raw)}: ${why} at position ${i}`);
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        if (pattern[i + 2] === '/') {
          out += '(?:.+/)?';
          i += 3;
        } else {
          out += '.*';
          i += 2;
        }
      } else {
        out += '[^/]*';
        i += 1;
      }
    } else if (c === '?' || c === '+') {
      out += i === 0 ? escapeRegex(c) : c;
      i += 1;
    } else if (c === '[') {
      i += 1;
      let cls = '';
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
          const [from, to] = [pattern[i], pattern[i + 2]];
          if (!isRangeChar(from) || !isRangeChar(to) || from > to) fail('ranges can only include a-z, A-Z and 0-9');
          cls += `${from}-${to}`;
          i += 3;
        } else {
          if (!isRangeChar(pattern[i])) fail('brackets can only include a-z, A-Z and 0-9');
          cls += pattern[i];
          i += 1;
        }
      }
      if (pattern[i] !== ']') fail("missing closing bracket ']'");
      if (cls === '') fail("empty brackets '[]'");
      out += `[${cls}]`;
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) fail("nothing to escape after '\\'");
      out += escapeRegex(pattern[i + 1]);
      i += 2;
    } else {
      out += escapeRegex(c);
      i += 1;
    }
  }
  return { source: raw, negative, regex: new RegExp(`${out}$`) };
}

/**
 * Whether a list matches a name (branch, tag or path): the last pattern that matches decides, so
 * `['models/**', '!models/**\/*.md']` matches `models/a.onnx` but not `models/README.md`. The same
 * reading serves `branches`/`paths` (matched = selected) and `*-ignore` lists (matched = ignored).
 */
export function matchesPatterns(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns.map(compileFilterPattern)) {
    if (pattern.regex.test(name)) matched = !pattern.negative;
  }
  return matched;
}

/**
 * GitHub's path filter: with `paths`, the workflow runs when at least one changed file is included;
 * with `paths-ignore`, it runs unless every changed file is ignored.
 */
export function pathsSelect(
  filter: { paths?: string[]; 'paths-ignore'?: string[] },
  changed: readonly string[],
): boolean {
  if (filter.paths) return changed.some((file) => matchesPatterns(filter.paths ?? [], file));
  if (filter['paths-ignore']) return changed.some((file) => !matchesPatterns(filter['paths-ignore'] ?? [], file));
  return true;
}

/** GitHub's branch (or tag) filter for one name: `branches` selects, `branches-ignore` deselects. */
export function namesSelect(include: string[] | undefined, ignore: string[] | undefined, name: string): boolean {
  if (include) return matchesPatterns(include, name);
  if (ignore) return !matchesPatterns(ignore, name);
  return true;
}
