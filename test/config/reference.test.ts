import { describe, expect, it } from 'vitest';
import {
  renderConfigReference,
  spliceConfigReference,
  REFERENCE_END,
  REFERENCE_START,
} from '../../src/config/reference.js';
import { LEAVES } from '../../src/config/schema.js';

/** Cells of a Markdown row, honouring escaped pipes. */
const cells = (row: string): string[] =>
  row
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((c) => c.replace(/\\\|/g, '|'));

describe('renderConfigReference', () => {
  const table = renderConfigReference();
  const rows = table.split('\n');

  it('has a header and one row per setting, in table order', () => {
    expect(cells(rows[0]!)).toEqual(['Setting', 'Flag', 'Env var', 'Default', 'Description']);
    expect(rows).toHaveLength(LEAVES.length + 2);
    rows.slice(2).forEach((row, i) => {
      const leaf = LEAVES[i]!;
      const [setting, flag, env, , description] = cells(row);
      expect(setting).toBe(`\`${leaf.key}\``);
      expect(flag).toContain(leaf.flag);
      expect(env).toBe(`\`${leaf.env}\``);
      expect(description).toContain(leaf.field.description);
    });
  });

  it('shows defaults, limits, enums and negated booleans', () => {
    const row = (key: string) => cells(rows.find((r) => r.startsWith(`| \`${key}\` |`))!);
    expect(row('streaming.stallMs')).toEqual([
      '`streaming.stallMs`',
      '`--streaming-stall-ms <n>`',
      '`TUNERBRIDGE_STREAMING_STALL_MS`',
      '`2500`',
      expect.stringMatching(/\(100–60000\)$/),
    ]);
    expect(row('ssdp')[1]).toBe('`--ssdp, --no-ssdp`');
    expect(row('lineup.hlsVariant')[1]).toBe('`--lineup-hls-variant <lowest|highest>`');
    expect(row('lineup.qualityPreference')[3]).toBe('`FHD,HD,SD,4K`');
    expect(row('admin.token')[3]).toBe('`(empty)`');
    expect(row('interfaces')[3]).toBe('`(none)`');
  });
});

describe('spliceConfigReference', () => {
  it('replaces only the text between the markers', () => {
    const readme = `# T\n\n${REFERENCE_START}\nold table\n${REFERENCE_END}\n\nafter\n`;
    expect(spliceConfigReference(readme)).toBe(
      `# T\n\n${REFERENCE_START}\n${renderConfigReference()}\n${REFERENCE_END}\n\nafter\n`,
    );
    expect(() => spliceConfigReference('# no markers')).toThrow(/markers/);
  });
});
