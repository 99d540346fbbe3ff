/**
 * GitHub's own parsers for workflow and action files (`@actions/workflow-parser`: YAML, the
 * schemas, expression syntax), imported after the JSON import hook is in place.
 *
 * One correction: for a multi-line scalar that contains `${{ }}`, the library builds the expression
 * from the scalar's raw YAML source (a language-service choice that keeps editor positions), so a
 * `run: |` block evaluates with its indentation kept and `>` folding ignored — a heredoc in such a
 * script would never find its terminator. The reader below hands the parser the scalar's YAML value
 * instead, as GitHub's service evaluates it; errors inside such a block keep their line.
 */
import type { TemplateParseResult } from '@actions/workflow-parser/templates/template-parse-result';
import type { ObjectReader } from '@actions/workflow-parser/templates/object-reader';
import type { LiteralToken } from '@actions/workflow-parser/templates/tokens/literal-token';
import { registerJsonImportHook } from './json-import-hook.ts';

async function load() {
  registerJsonImportHook();
  const [workflowParser, actions, reader, templates, context, workflowSchema, workflowConstants, tokens] =
    await Promise.all([
      import('@actions/workflow-parser'),
      import('@actions/workflow-parser/actions/index'),
      import('@actions/workflow-parser/workflows/yaml-object-reader'),
      import('@actions/workflow-parser/templates/template-reader'),
      import('@actions/workflow-parser/templates/template-context'),
      import('@actions/workflow-parser/workflows/workflow-schema'),
      import('@actions/workflow-parser/workflows/workflow-constants'),
      import('@actions/workflow-parser/templates/tokens/index'),
    ]);

  /** Multi-line string scalars lose their raw source, so expressions are built from the YAML value. */
  class ValueReader implements ObjectReader {
    private readonly inner: ObjectReader;
    constructor(inner: ObjectReader) {
      this.inner = inner;
    }
    allowLiteral(): LiteralToken | undefined {
      const token = this.inner.allowLiteral();
      if (!token || !workflowParser.isString(token) || token.source === undefined) return token;
      const range = token.range;
      if (!range || range.start.line === range.end.line) return token;
      return new tokens.StringToken(
        token.file,
        range,
        token.value,
        token.definitionInfo,
        undefined,
        token.blockScalarHeader,
      );
    }
    allowSequenceStart = () => this.inner.allowSequenceStart();
    allowSequenceEnd = () => this.inner.allowSequenceEnd();
    allowMappingStart = () => this.inner.allowMappingStart();
    allowMappingEnd = () => this.inner.allowMappingEnd();
    validateStart = () => this.inner.validateStart();
    validateEnd = () => this.inner.validateEnd();
  }

  const parse = (
    file: { name: string; content: string },
    schema: ReturnType<typeof workflowSchema.getWorkflowSchema>,
    root: string,
  ): TemplateParseResult => {
    const ctx = new context.TemplateContext(
      new context.TemplateValidationErrors(),
      schema,
      new workflowParser.NoOperationTraceWriter(),
    );
    const fileId = ctx.getFileId(file.name);
    const yaml = new reader.YamlObjectReader(fileId, file.content);
    if (yaml.errors.length > 0) {
      for (const error of yaml.errors) ctx.error(fileId, error.message, error.range);
      return { context: ctx, value: undefined };
    }
    return { context: ctx, value: templates.readTemplate(ctx, root, new ValueReader(yaml), fileId) };
  };

  return {
    convertWorkflowTemplate: workflowParser.convertWorkflowTemplate,
    convertActionTemplate: actions.convertActionTemplate,
    parseWorkflow: (file: { name: string; content: string }) =>
      parse(file, workflowSchema.getWorkflowSchema(), workflowConstants.WORKFLOW_ROOT),
    parseAction: (file: { name: string; content: string }) =>
      parse(file, actions.getActionSchema(), actions.ACTION_ROOT),
  };
}

let loaded: ReturnType<typeof load> | undefined;

export function githubParser(): ReturnType<typeof load> {
  loaded ??= load();
  return loaded;
}
