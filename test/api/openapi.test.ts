import { describe, expect, it } from 'vitest';
import { createAdminApi } from '../../src/api/router.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { harness } from './fakes.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('OpenAPI document', () => {
  it('documents exactly the routes the router serves', async () => {
    const h = await harness();
    const router = createAdminApi(h.ports) as unknown as { stack: Layer[] };
    const served = new Set<string>();
    for (const layer of router.stack) {
      if (!layer.route) continue;
      const p = layer.route.path.replace(/:(\w+)/g, '{$1}');
      for (const [m, on] of Object.entries(layer.route.methods))
        if (on && m !== '_all') served.add(`${m} ${p}`);
    }
    const doc = openApiDocument('1.0.0');
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths))
      for (const m of Object.keys(ops)) documented.add(`${m} ${p}`);
    expect(served.size).toBeGreaterThan(20);
    expect([...served].sort()).toEqual([...documented].sort());
    await h.cleanup();
  });

  it('is a well-formed OpenAPI 3.1 document whose path parameters are declared', () => {
    const doc = openApiDocument('2.3.4');
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('2.3.4');
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r.split('/').pop()!);
    for (const [p, ops] of Object.entries(doc.paths)) {
      const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops) as { parameters?: { name: string; in: string }[] }[]) {
        const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
        expect(declared, p).toEqual(names);
      }
    }
  });
});
