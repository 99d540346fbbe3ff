/**
 * Evaluates the parser's template tokens with GitHub's own expression library: a `${{ }}` value is
 * a BasicExpressionToken (the parser already folded `a ${{ b }} c` into `format('a {0} c', b)`),
 * which `@actions/expressions` lexes, parses and evaluates against the contexts. This module only
 * walks the token tree and converts values; it interprets no expression syntax itself.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { SequenceToken } from '@actions/workflow-parser/templates/tokens/sequence-token';
import type { StringToken } from '@actions/workflow-parser/templates/tokens/string-token';
import { errorMessage } from '../lib/util/errors.ts';

/** The parser's token type numbers (`TokenType` in @actions/workflow-parser, a const enum we cannot import). */
const TOKEN = {
  string: 0,
  sequence: 1,
  mapping: 2,
  basicExpression: 3,
  insertExpression: 4,
  boolean: 5,
  number: 6,
  null: 7,
} as const;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What an expression can see: named contexts (plain JSON) and functions beyond GitHub's built-ins. */
export interface ExpressionScope {
  contexts: Record<string, JsonValue | undefined>;
  functions?: FunctionDefinition[];
}

/** An expression that failed to parse or evaluate, named by file, line and column. */
export class ExpressionFailure extends Error {}

/** `file (Line: n, Col: m)` for a token, the way GitHub's parser names places. */
export function tokenPlace(token: TemplateToken | undefined, fileName: string): string {
  if (token?.range) return `${fileName} (Line: ${token.range.start.line}, Col: ${token.range.start.column})`;
  return fileName;
}

function tokenType(token: TemplateToken): number {
  return token.templateTokenType;
}

/** Evaluates one expression string to GitHub's expression data. */
export function evaluateExpression(expression: string, scope: ExpressionScope): data.ExpressionData {
  const contexts = Object.entries(scope.contexts).filter(([, value]) => value !== undefined);
  const functions = scope.functions ?? [];
  const lexed = new Lexer(expression).lex();
  const tree = new Parser(
    lexed.tokens,
    contexts.map(([name]) => name),
    functions,
  ).parse();
  const root = new data.Dictionary(
    ...contexts.map(([key, value]) => ({ key, value: toExpressionData(value ?? null) })),
  );
  const byName = new Map(functions.map((f) => [f.name.toLowerCase(), f]));
  return new Evaluator(tree, root, byName).evaluate();
}

export function toExpressionData(value: JsonValue): data.ExpressionData {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

export function fromExpressionData(value: data.ExpressionData): JsonValue {
  return JSON.parse(JSON.stringify(value, data.replacer)) as JsonValue;
}

export class TokenEvaluator {
  private readonly fileName: string;

  constructor(fileName: string) {
    this.fileName = fileName;
  }

  private expression(token: BasicExpressionToken, scope: ExpressionScope): data.ExpressionData {
    try {
      return evaluateExpression(token.expression, scope);
    } catch (error) {
      const written = token.originalExpressions?.length ? token.originalExpressions : [token];
      const shown = written.map((t) => `\${{ ${t.expression} }}`).join(' … ');
      throw new ExpressionFailure(`${tokenPlace(token, this.fileName)}: ${errorMessage(error)} (in ${shown})`);
    }
  }

  /** Any token to plain JSON, evaluating every expression inside it. */
  value(token: TemplateToken, scope: ExpressionScope): JsonValue {
    switch (tokenType(token)) {
      case TOKEN.string:
        return (token as StringToken).value;
      case TOKEN.boolean:
      case TOKEN.number:
        return (token as unknown as { value: boolean | number }).value;
      case TOKEN.null:
        return null;
      case TOKEN.basicExpression:
        return fromExpressionData(this.expression(token as BasicExpressionToken, scope));
      case TOKEN.sequence:
        return [...(token as SequenceToken)].map((item) => this.value(item, scope));
      case TOKEN.mapping: {
        const result: Record<string, JsonValue> = {};
        for (const pair of token as MappingToken) result[this.string(pair.key, scope)] = this.value(pair.value, scope);
        return result;
      }
      default:
        throw new ExpressionFailure(`${tokenPlace(token, this.fileName)}: \${{ insert }} is not supported`);
    }
  }

  /** A scalar token as the string GitHub would pass on (null → '', true → 'true', 1.0 → '1'). */
  string(token: TemplateToken, scope: ExpressionScope): string {
    switch (tokenType(token)) {
      case TOKEN.basicExpression: {
        const result = this.expression(token as BasicExpressionToken, scope);
        if (!result.primitive) {
          throw new ExpressionFailure(
            `${tokenPlace(token, this.fileName)}: expected a string, the expression gave ${result.coerceString()}`,
          );
        }
        return result.kind === data.Kind.Null ? '' : result.coerceString();
      }
      case TOKEN.sequence:
      case TOKEN.mapping:
        throw new ExpressionFailure(
          `${tokenPlace(token, this.fileName)}: expected a string, found a ${token.typeName()}`,
        );
      case TOKEN.null:
        return '';
      default:
        return String((token as unknown as { value: unknown }).value);
    }
  }

  /** A mapping of names to strings (env, with, outputs). */
  stringMap(token: TemplateToken | undefined, scope: ExpressionScope): Record<string, string> {
    if (!token) return {};
    if (tokenType(token) === TOKEN.basicExpression) {
      const evaluated = this.value(token, scope);
      if (evaluated === null) return {};
      if (typeof evaluated !== 'object' || Array.isArray(evaluated)) {
        throw new ExpressionFailure(`${tokenPlace(token, this.fileName)}: expected a mapping`);
      }
      return Object.fromEntries(Object.entries(evaluated).map(([key, value]) => [key, scalarText(value)]));
    }
    if (tokenType(token) !== TOKEN.mapping) {
      throw new ExpressionFailure(
        `${tokenPlace(token, this.fileName)}: expected a mapping, found a ${token.typeName()}`,
      );
    }
    const result: Record<string, string> = {};
    for (const pair of token as MappingToken) result[this.string(pair.key, scope)] = this.string(pair.value, scope);
    return result;
  }

  /** An `if:` condition (already wrapped in `success() && (…)` by the parser when it has no status function). */
  condition(token: TemplateToken, scope: ExpressionScope): boolean {
    if (tokenType(token) !== TOKEN.basicExpression) return truthy(toExpressionData(this.value(token, scope)));
    return truthy(this.expression(token as BasicExpressionToken, scope));
  }
}

function scalarText(value: JsonValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A function for the evaluator, e.g. `success()`, answering from the runner's state. */
export function expressionFunction(
  name: string,
  args: { min: number; max: number },
  call: (...values: data.ExpressionData[]) => data.ExpressionData,
): FunctionDefinition {
  return { name, minArgs: args.min, maxArgs: args.max, call };
}

export function booleanData(value: boolean): data.ExpressionData {
  return new data.BooleanData(value);
}

export function stringData(value: string): data.ExpressionData {
  return new data.StringData(value);
}

/** success(), failure(), cancelled() and always(), answering from the caller's state when called. */
export function statusFunctions(state: {
  success: () => boolean;
  failure: () => boolean;
  cancelled: () => boolean;
}): FunctionDefinition[] {
  return [
    expressionFunction('success', { min: 0, max: 0 }, () => booleanData(state.success())),
    expressionFunction('failure', { min: 0, max: 0 }, () => booleanData(state.failure())),
    expressionFunction('cancelled', { min: 0, max: 0 }, () => booleanData(state.cancelled())),
    expressionFunction('always', { min: 0, max: 0 }, () => booleanData(true)),
  ];
}
