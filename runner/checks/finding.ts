/** One problem a workflow check found, placed like GitHub's parser places errors. */
export interface Finding {
  /** Repository-relative path. */
  file: string;
  line?: number;
  column?: number;
  /** Which check: `actionlint`, `action-validator`, `runner`, or a security rule id. */
  check: string;
  message: string;
}

export function formatFinding(finding: Finding): string {
  const place = finding.line ? `${finding.file}:${finding.line}:${finding.column ?? 1}` : finding.file;
  return `${place} [${finding.check}] ${finding.message}`;
}
