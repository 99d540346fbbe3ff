/**
 * Issue comments kept in place by a hidden marker: one comment per key per pull request, updated on
 * re-runs, never duplicated, and never over GitHub's 65,536-character limit (an over-long body is
 * cut at a line boundary with a pointer to the complete file).
 */
import type { Forge, ForgeComment } from './forge.ts';

/** GitHub refuses a comment body longer than this ("body is too long (maximum is 65536 characters)"). */
export const GITHUB_COMMENT_LIMIT = 65_536;

const KEY_PATTERN = /^[a-z0-9][a-z0-9._/-]*$/i;

/** The hidden first line that identifies a comment: `<!-- taxiway:gate-report -->`. */
export function commentMarker(key: string): string {
  if (!KEY_PATTERN.test(key))
    throw new Error(`comment marker key ${JSON.stringify(key)}: use letters, digits, . _ / -`);
  return `<!-- taxiway:${key} -->`;
}

export interface MarkedBodyOptions {
  /** Maximum length in UTF-16 code units (never fewer than GitHub counts); default GitHub's limit. */
  limit?: number;
  /** Where the complete text lives (the committed report), named in the truncation note. */
  fullText?: { label: string; url?: string };
}

/** The marker line, then `body`, cut to fit `limit` with a note that points at the complete text. */
export function markedBody(key: string, body: string, options: MarkedBodyOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const head = `${commentMarker(key)}\n`;
  const whole = head + body;
  if (whole.length <= limit) return whole;
  const where = options.fullText
    ? options.fullText.url
      ? `[${options.fullText.label}](${options.fullText.url})`
      : `\`${options.fullText.label}\``
    : 'the committed report';
  const note = `\n\n---\n**Truncated**: this report is ${body.length.toLocaleString('en-US')} characters; GitHub keeps at most ${limit.toLocaleString('en-US')} in a comment. The complete report is ${where}.\n`;
  const fence = '\n```';
  const room = limit - head.length - note.length - fence.length;
  if (room <= 0) throw new Error(`comment limit ${limit} leaves no room for the truncation note`);
  let cut = body.slice(0, room);
  const lastNewline = cut.lastIndexOf('\n');
  if (lastNewline > room / 2) cut = cut.slice(0, lastNewline);
  // Never split a surrogate pair.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  // Close a code fence (``` or mermaid block) left open by the cut, so the note renders as text.
  const fences = cut.split('\n').filter((line) => line.trimStart().startsWith('```')).length;
  return head + cut + (fences % 2 === 1 ? fence : '') + note;
}

/** The comment that carries `key`'s marker, if any (the first one, should a person have copied it). */
export function findMarkedComment(comments: ForgeComment[], key: string): ForgeComment | undefined {
  const marker = commentMarker(key);
  return comments.find((comment) => comment.body.startsWith(marker));
}

export interface UpsertResult {
  comment: ForgeComment;
  created: boolean;
}

/** Creates the marked comment on `issueNumber`, or updates it in place when it already exists. */
export async function upsertMarkedComment(
  forge: Forge,
  issueNumber: number,
  key: string,
  body: string,
  options: MarkedBodyOptions = {},
): Promise<UpsertResult> {
  const text = markedBody(key, body, options);
  const existing = findMarkedComment(await forge.listIssueComments(issueNumber), key);
  if (!existing) return { comment: await forge.createIssueComment(issueNumber, text), created: true };
  if (existing.body === text) return { comment: existing, created: false };
  return { comment: await forge.updateIssueComment(existing.id, text), created: false };
}
