/**
 * Secret masking as GitHub does it in logs, summaries and outputs: every registered value (secrets,
 * tokens, `::add-mask::` values) is replaced by `***`. A multi-line value also registers each of its
 * lines, since logs are written line by line.
 */
export class SecretMasker {
  private values: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    const candidates = [value, ...value.split(/\r?\n/)].filter((v) => v.trim() !== '');
    for (const candidate of candidates) {
      if (!this.values.includes(candidate)) this.values.push(candidate);
    }
    // Longest first, so a value that contains another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let masked = text;
    for (const value of this.values) masked = masked.split(value).join('***');
    return masked;
  }

  /** Whether a text carries any registered value (GitHub drops such job outputs). */
  reveals(text: string): boolean {
    return this.values.some((value) => text.includes(value));
  }
}
