import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT, commentMarker, findMarkedComment, markedBody } from './comments.ts';
import type { ForgeComment } from './forge.ts';

const comment = (id: number, body: string): ForgeComment => ({
  id,
  body,
  htmlUrl: `https://example.test/c/${id}`,
  createdAt: '2001-05-01T00:00:00Z',
  updatedAt: '2001-05-01T00:00:00Z',
});

describe('marked comments', () => {
  it('starts with a hidden marker and keeps a short body whole', () => {
    expect(markedBody('gate-report', '# Gate\nok')).toBe('<!-- taxiway:gate-report -->\n# Gate\nok');
  });

  it('refuses a key that could break out of the HTML comment', () => {
    expect(() => commentMarker('x -->')).toThrow(/marker key/);
  });

  it('cuts an over-long report at a line, within the limit, pointing at the committed file', () => {
    const body = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ${'x'.repeat(20)} |`).join('\n');
    const text = markedBody('gate-report', body, {
      fullText: { label: 'models/flight-delay/v1/gate-report.md', url: 'https://example.test/blob/x' },
    });
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(text).toContain('[models/flight-delay/v1/gate-report.md](https://example.test/blob/x)');
    const kept = text.slice(text.indexOf('\n') + 1, text.indexOf('\n\n---\n**Truncated**'));
    expect(body.startsWith(kept)).toBe(true);
    expect(body[kept.length]).toBe('\n');
  });

  it('closes a code fence the cut left open', () => {
    const body = 'intro\n```mermaid\n' + 'A-->B\n'.repeat(20_000) + '```\n';
    const text = markedBody('k', body);
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const fences = text.split('\n').filter((line) => line.startsWith('```')).length;
    expect(fences % 2).toBe(0);
  });

  it('never exceeds the limit nor splits a surrogate pair (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 3000 }),
        fc.integer({ min: 400, max: 2000 }),
        (body, limit) => {
          const text = markedBody('k', body, { limit });
          expect(text.length).toBeLessThanOrEqual(limit);
          // A lone surrogate would not survive a UTF-8 round trip.
          expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
        },
      ),
    );
  });

  it('finds the comment by its marker, not by similar text', () => {
    const comments = [
      comment(1, 'mentions <!-- taxiway:gate-report --> later'),
      comment(2, markedBody('gate-report', 'x')),
    ];
    expect(findMarkedComment(comments, 'gate-report')?.id).toBe(2);
    expect(findMarkedComment(comments, 'other')).toBeUndefined();
  });
});
