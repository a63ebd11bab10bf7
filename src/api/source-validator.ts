// Adapts the source-definition parser (src/sources/definition.ts) to the store's validator: the first
// blocking problem becomes an error naming its field; warnings (unknown fields) do not block a save.
import path from 'node:path';
import { parseDefinition } from '../sources/definition.js';
import type { SourceValidator } from './source-store.js';

export function definitionValidator(
  tunersDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SourceValidator {
  return (definition, id) => {
    const r = parseDefinition(JSON.stringify(definition), path.join(tunersDir, `${id}.json`), env);
    const blocking = r.problems.filter((p) => !p.warning);
    const first = blocking[0];
    if (first) {
      throw Object.assign(new Error(first.reason), {
        field: first.field || 'definition',
        problems: blocking,
      });
    }
    return undefined; // store what the admin wrote (keeps ${ENV} references), not the resolved form
  };
}
