/**
 * GitHub's `@actions/workflow-parser` imports its schema JSON without an import attribute, which
 * Node refuses (`needs an import attribute of "type: json"`). This resolve hook adds the attribute
 * for that package's JSON files only. Module graphs are linked before they run, so the hook must be
 * registered before the parser is imported: `github-parser.ts` registers it, then imports lazily.
 */
import { registerHooks } from 'node:module';

let registered = false;

export function registerJsonImportHook(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (resolved.url.includes('/@actions/workflow-parser/') && resolved.url.endsWith('.json')) {
        return { ...resolved, format: 'json', importAttributes: { ...context.importAttributes, type: 'json' } };
      }
      return resolved;
    },
  });
}
