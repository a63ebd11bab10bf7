// Regenerates the README's configuration reference from the settings table (run: npm run docs).
// test/config/readme.test.ts fails when the README and the table disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { spliceConfigReference } from '../dist/src/config/reference.js';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, spliceConfigReference(readFileSync(file, 'utf8')));
