// Fails until README.md carries the current reference: regenerate it with spliceConfigReference.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { renderConfigReference, REFERENCE_END, REFERENCE_START } from '../../src/config/reference.js';

it('README.md contains the current configuration reference', async () => {
  const readmePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');
  const readme = await readFile(readmePath, 'utf8').catch(() => '(README.md is missing)');
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  expect(start, `README.md lacks ${REFERENCE_START}`).toBeGreaterThanOrEqual(0);
  expect(end, `README.md lacks ${REFERENCE_END}`).toBeGreaterThan(start);
  expect(readme.slice(start + REFERENCE_START.length, end).trim()).toBe(renderConfigReference());
});
