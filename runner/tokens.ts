/** Small readers over the parser's token tree: a mapping's entry by key, a sequence's items. */
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { SequenceToken } from '@actions/workflow-parser/templates/tokens/sequence-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

/** The parser's token type numbers for the two containers (`TokenType` is a const enum). */
const SEQUENCE = 1;
const MAPPING = 2;

export function entry(
  mapping: TemplateToken | undefined,
  key: string,
): { key: TemplateToken; value: TemplateToken } | undefined {
  if (!mapping || mapping.templateTokenType !== MAPPING) return undefined;
  for (const pair of mapping as MappingToken) {
    if (pair.key.toString() === key) return pair;
  }
  return undefined;
}

export function field(mapping: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return entry(mapping, key)?.value;
}

export function sequenceItems(token: TemplateToken | undefined): TemplateToken[] {
  return token && token.templateTokenType === SEQUENCE ? [...(token as SequenceToken)] : [];
}

/** A mapping's entries (`jobs:`, `with:`), or none when the token is not a mapping. */
export function mappingEntries(token: TemplateToken | undefined): { key: TemplateToken; value: TemplateToken }[] {
  return token && token.templateTokenType === MAPPING ? [...(token as MappingToken)] : [];
}

/** A scalar token's literal text, or undefined for expressions and containers. */
export function literalText(token: TemplateToken | undefined): string | undefined {
  if (!token || token.isExpression || !token.isScalar) return undefined;
  return String((token as unknown as { value: unknown }).value);
}
