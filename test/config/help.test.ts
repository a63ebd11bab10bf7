import { describe, expect, it } from 'vitest';
import { defaultText } from '../../src/config/describe.js';
import { LEAVES } from '../../src/config/schema.js';
import { loadSettings, settingsHelp } from '../../src/config/settings.js';
import { tempCwd } from './helpers.js';

describe('settingsHelp', () => {
  const help = settingsHelp();

  it('lists the named flags with their defaults', () => {
    expect(help).toMatch(/^ {2}--port <n> +.*\[0–65535; default: 5004\]$/m);
    for (const flag of [
      '--data-dir <text>',
      '--tuners-dir <text>',
      '--epg-dir <text>',
      '--advertise-address <text>',
    ]) {
      expect(help).toContain(`  ${flag} `);
    }
    expect(help).toContain('  --[no-]ssdp ');
    expect(help).toContain('  --[no-]udp-discovery ');
    expect(help).toMatch(/--lineup-hls-variant <lowest\|highest> +.*default: lowest/);
    expect(help).toMatch(/--native-channel-map <value> +.*us-cable, us-bcast.*default: us-cable/);
  });

  it('has one entry per setting, grouped by section', () => {
    for (const l of LEAVES) {
      const usage = l.field.kind === 'boolean' ? `--[no-]${l.flag.slice(2)}` : `${l.flag} <`;
      expect(help, l.key).toContain(`  ${usage}`);
      expect(help, l.key).toContain(l.field.description);
    }
    expect(help).toMatch(/^streaming:$/m);
    expect(help).toMatch(/^integrations\.channelsDvr:$/m);
    expect(help.match(/^general:$/gm)).toHaveLength(1);
    expect(help).toMatch(/^webhooks:\n {2}--webhooks <json> /m);
  });

  it('documents flags that the parser accepts with the documented defaults', async () => {
    const cwd = await tempCwd();
    const argv = LEAVES.flatMap((l) =>
      l.field.kind === 'boolean' ? [l.flag] : [`${l.flag}=${defaultText(l.field)}`],
    );
    const argvForBools = LEAVES.filter((l) => l.field.kind === 'boolean' && l.field.default === false).map(
      (l) => `--no-${l.flag.slice(2)}`,
    );
    const { settings, sources } = await loadSettings({ argv: [...argv, ...argvForBools], env: {}, cwd });
    expect(new Set(Object.values(sources))).toEqual(new Set(['flag']));
    for (const l of LEAVES) {
      if (['dataDir', 'tunersDir', 'epgDir'].includes(l.key)) continue; // resolved to absolute paths
      const value = l.path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], settings);
      expect(value, l.key).toEqual(l.field.default);
    }
  });
});
