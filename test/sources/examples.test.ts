// The example definitions shipped in tuners/ must stay valid as the schema evolves.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDefinition } from '../../src/sources/definition.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tuners');
const env = { ACME_USER: 'u', ACME_PASS: 'p', BACKUP_USER: 'bu', BACKUP_PASS: 'bp' };

describe('tuners/*.json.example', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json.example'));

  it('ships an example of each source type', () => {
    const types = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).type).sort();
    expect(new Set(types)).toEqual(new Set(['m3u', 'xtream']));
  });

  for (const f of files) {
    it(`${f} is a valid definition`, () => {
      const r = parseDefinition(
        readFileSync(path.join(dir, f), 'utf8'),
        path.join(dir, f.replace(/\.example$/, '')),
        env,
      );
      expect(r.problems).toEqual([]);
      expect(r.definition).toBeDefined();
    });
  }
});
