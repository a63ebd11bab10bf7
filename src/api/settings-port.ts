// Adapts the settings module (src/config) to the admin API's SettingsPort: reads show the running
// settings with every edit saved since start-up applied (they take effect when the service restarts,
// which `apply` does in-process), writes go through saveSettings (validated first, written by conf),
// and secret paths come from the settings table so tokens and credential-bearing URLs are masked.
import { saveSettings } from '../config/settings.js';
import { LEAVES, settingsSchema, type Settings, type SettingsPatch } from '../config/schema.js';
import type { SettingsPort } from './ports.js';

type Obj = Record<string, unknown>;

function applyPatch(target: Obj, patch: Obj): void {
  for (const [k, v] of Object.entries(patch)) {
    const cur = target[k];
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    )
      applyPatch(cur as Obj, v as Obj);
    else if (v !== null) target[k] = v;
  }
}

export const SECRET_SETTING_PATHS: readonly string[] = LEAVES.filter((l) => l.field.secret).map((l) => l.key);

export function createSettingsPort(opts: {
  readonly settings: Settings;
  readonly dataDir: string;
  /** Restarts the service in its process (see supervisor.ts). */
  readonly apply?: () => void;
}): SettingsPort {
  const view = structuredClone(opts.settings) as unknown as Obj;
  const running = JSON.stringify(opts.settings);
  return {
    secretPaths: SECRET_SETTING_PATHS,
    get: () => view,
    pending: () => JSON.stringify(view) !== running,
    ...(opts.apply ? { apply: opts.apply } : {}),
    async update(patch) {
      await saveSettings(opts.dataDir, patch as SettingsPatch);
      applyPatch(view, patch);
      return view;
    },
    schema: () => settingsSchema,
  };
}
