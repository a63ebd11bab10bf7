import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Conf from 'conf';
import { describe, expect, it, vi } from 'vitest';
import {
  defaultSettings,
  durationMs,
  LEAVES,
  settingsJsonSchema,
  settingsSchema,
} from '../../src/config/schema.js';
import { validateSettings } from '../../src/config/validate.js';
import { tempCwd } from './helpers.js';

describe('settings table', () => {
  it('gives every setting a description, a default and distinct env/flag names', () => {
    for (const l of LEAVES) {
      expect(l.field.description.length, l.key).toBeGreaterThan(10);
      expect(l.field.default, l.key).toBeDefined();
    }
    expect(new Set(LEAVES.map((l) => l.env)).size).toBe(LEAVES.length);
    expect(new Set(LEAVES.map((l) => l.flag)).size).toBe(LEAVES.length);
  });

  it('names env vars and flags after the JSON path', () => {
    const stall = LEAVES.find((l) => l.key === 'streaming.stallMs');
    expect(stall).toMatchObject({ env: 'TUNERBRIDGE_STREAMING_STALL_MS', flag: '--streaming-stall-ms' });
    const dvr = LEAVES.find((l) => l.key === 'integrations.channelsDvr.url');
    expect(dvr).toMatchObject({
      env: 'TUNERBRIDGE_INTEGRATIONS_CHANNELS_DVR_URL',
      flag: '--integrations-channels-dvr-url',
    });
  });

  it('has defaults that satisfy its own schema', () => {
    expect(validateSettings(defaultSettings())).toEqual([]);
  });

  it('returns fresh default objects', () => {
    const a = defaultSettings();
    (a.interfaces as string[]).push('eth0');
    expect(defaultSettings().interfaces).toEqual([]);
  });

  it('mirrors the table in the JSON schema', () => {
    const props = settingsSchema.properties as Record<string, Record<string, unknown>>;
    const streaming = props.streaming!.properties as Record<string, Record<string, unknown>>;
    const stall = LEAVES.find((l) => l.key === 'streaming.stallMs')!.field;
    expect(streaming.stallMs).toMatchObject({
      type: 'integer',
      default: stall.default,
      description: stall.description,
    });
    expect(settingsJsonSchema().$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('is accepted by conf without warnings and conf enforces it', async () => {
    const dir = await tempCwd();
    const warn = vi.spyOn(console, 'warn');
    const make = () =>
      new Conf({
        cwd: dir,
        configName: 'settings',
        schema: settingsSchema.properties as never,
        rootSchema: { additionalProperties: false },
        ajvOptions: { useDefaults: false },
      });
    await writeFile(path.join(dir, 'settings.json'), '{"port": 6000}');
    expect(make().store).toEqual({ port: 6000 });
    await writeFile(path.join(dir, 'settings.json'), '{"port": -1}');
    expect(make).toThrow(/port/);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe('validateSettings', () => {
  it('reports every problem with path, reason and value', () => {
    const issues = validateSettings({
      port: 'x',
      streaming: { stallMs: -5, nope: 1 },
      lineup: { hlsVariant: 'best', refreshInterval: '3x' },
      guide: { precedence: ['files', 'files'] },
    });
    expect(issues.map((i) => `${i.field} ${i.reason}`).sort()).toEqual(
      [
        'port must be an integer (got "x")',
        'streaming.stallMs must be >= 100 (got -5)',
        'streaming.nope is not a known setting',
        'lineup.hlsVariant must be one of: lowest, highest (got "best")',
        'lineup.refreshInterval must be a duration such as 30m, 6h, 1d or a number of seconds (got "3x")',
        'guide.precedence must not repeat an item (got ["files","files"])',
      ].sort(),
    );
  });

  it('never echoes secret values', () => {
    const issues = validateSettings({
      admin: { token: 12345 },
      guide: { urls: ['ftp://u:hunter2@h/'] },
      webhooks: [{ url: 'ftp://u:pw9876@h/', events: [] }],
    });
    expect(issues).toHaveLength(3);
    const text = JSON.stringify(issues.map((i) => i.reason));
    expect(text).not.toMatch(/12345|hunter2|pw9876/);
  });

  it('checks the DeviceID check digit', async () => {
    const { generateDeviceId } = await import('../../src/hdhr/device-id.js');
    const good = generateDeviceId(() => 0.5);
    expect(validateSettings({ device: { deviceId: good } })).toEqual([]);
    const bad = good.slice(0, 7) + ((Number.parseInt(good[7]!, 16) + 1) % 16).toString(16).toUpperCase();
    const [issue] = validateSettings({ device: { deviceId: bad } });
    expect(issue?.field).toBe('device.deviceId');
    expect(issue?.reason).toMatch(/check digit/);
    expect(validateSettings({ device: { deviceId: '123' } })[0]?.reason).toBe(
      'must be empty or 8 hex digits (got "123")',
    );
  });

  it('requires url and events in webhooks', () => {
    const issues = validateSettings({ webhooks: [{ secret: 's' }] });
    expect(issues.map((i) => `${i.field} ${i.reason}`).sort()).toEqual([
      'webhooks[0].events is required',
      'webhooks[0].url is required',
    ]);
  });
});

describe('durationMs', () => {
  it('converts units and bare seconds', () => {
    expect(durationMs('45s')).toBe(45 * 1000);
    expect(durationMs('30m')).toBe(30 * 60 * 1000);
    expect(durationMs('6h')).toBe(6 * 3600 * 1000);
    expect(durationMs('1d')).toBe(24 * 3600 * 1000);
    expect(durationMs('90')).toBe(90 * 1000);
  });

  it('rejects malformed durations', () => {
    for (const bad of ['', '0', '6H', '1.5h', '-1m', 'h', '6 h'])
      expect(() => durationMs(bad), bad).toThrow(RangeError);
  });
});
