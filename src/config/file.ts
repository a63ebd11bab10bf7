// Reading <dataDir>/settings.json without side effects: a missing file is not created, an invalid one is
// reported in full (every problem) and left untouched.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from './errors.js';
import { validateSettings } from './validate.js';

export const SETTINGS_FILE = 'settings.json';

export interface FileRead {
  /** Absolute path. */
  readonly path: string;
  /** The path as shown in messages: relative to cwd when inside it. */
  readonly display: string;
  readonly exists: boolean;
  /** The parsed object (empty when missing or unreadable). */
  readonly values: Record<string, unknown>;
  readonly problems: Problem[];
}

export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** `Unexpected token … in JSON at position 12` → `line 2, column 3`; never echoes file text (secrets). */
function jsonPosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

export async function readSettingsFile(dataDir: string, cwd: string): Promise<FileRead> {
  const file = path.join(dataDir, SETTINGS_FILE);
  const display = displayPath(file, cwd);
  const base = { path: file, display, values: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ...base, exists: false, problems: [] };
    return {
      ...base,
      exists: true,
      problems: [{ file: display, field: '', reason: `cannot be read (${code ?? String(err)})` }],
    };
  }
  text = text.replace(/^\uFEFF/, '');
  let parsed: unknown = {};
  if (text.trim()) {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const reason = `is not valid JSON${jsonPosition(text, (err as Error).message)}`;
      return { ...base, exists: true, problems: [{ file: display, field: '', reason }] };
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      ...base,
      exists: true,
      problems: [{ file: display, field: '', reason: 'must hold a JSON object' }],
    };
  }
  return {
    ...base,
    exists: true,
    values: parsed as Record<string, unknown>,
    problems: fileProblems(parsed, display),
  };
}

/** Problems of a settings-file object, attributed to `display`. */
export function fileProblems(values: object, display: string): Problem[] {
  const problems: Problem[] = [];
  if ('dataDir' in values) {
    problems.push({
      file: display,
      field: 'dataDir',
      reason: 'cannot be set in the settings file it locates; use --data-dir or TUNERBRIDGE_DATA_DIR',
    });
  }
  for (const i of validateSettings(values)) {
    if (i.field !== 'dataDir') problems.push({ file: display, field: i.field, reason: i.reason });
  }
  return problems;
}
