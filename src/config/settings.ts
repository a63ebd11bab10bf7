// Effective settings: defaults ← <dataDir>/settings.json ← TUNERBRIDGE_* env ← CLI flags.
//
// conf rewrites the file on load whenever schema defaults fill in missing keys (a missing file gets created
// with every default), and its errors name neither the file nor the value. So the file is first read and
// validated here with the same Ajv engine; conf is opened only on a file already known to be valid (with
// Ajv's useDefaults off, so nothing is written) and for atomic saves.
import path from 'node:path';
import Conf from 'conf';
import { registerSecret } from '../util/redact.js';
import { SettingsError, type Problem } from './errors.js';
import { fileProblems, readSettingsFile, SETTINGS_FILE } from './file.js';
import { fromArgv, fromEnv, type Override } from './overrides.js';
import {
  defaultSettings,
  LEAVES,
  settingsSchema,
  type Leaf,
  type Settings,
  type SettingsPatch,
} from './schema.js';
import { validateSettings } from './validate.js';

export { settingsHelp } from './help.js';
export { SettingsError, type Problem } from './errors.js';

export type Origin = 'default' | 'file' | 'env' | 'flag';

export interface LoadOptions {
  /** Options only (no command); --help must be handled by the caller. */
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Base of relative directories; default process.cwd(). */
  readonly cwd?: string;
}

export interface LoadedSettings {
  /** dataDir, tunersDir and epgDir are absolute. */
  readonly settings: Settings;
  /** Where each setting (dotted key, e.g. `streaming.stallMs`) came from. */
  readonly sources: Record<string, Origin>;
  /** Absolute path of settings.json (it may not exist). */
  readonly file: string;
}

interface Gathered extends LoadedSettings {
  readonly cwd: string;
  readonly display: string;
  readonly exists: boolean;
  readonly fileValues: Obj;
  readonly overrides: readonly Override[];
  readonly problems: Problem[];
}

type Obj = Record<string, unknown>;

function getAt(root: unknown, p: readonly string[]): unknown {
  let v = root;
  for (const s of p) v = v !== null && typeof v === 'object' ? (v as Obj)[s] : undefined;
  return v;
}

function setAt(root: Obj, p: readonly string[], value: unknown): void {
  let o = root;
  for (const s of p.slice(0, -1)) o = (o[s] ??= {}) as Obj;
  o[p[p.length - 1]!] = value;
}

/** Where dataDir comes from: a flag, then env, then ./data. Needed before the file can be read. */
function dataDirOverride(flags: readonly Override[], env: readonly Override[]): Override | undefined {
  const pick = (list: readonly Override[]) => list.filter((o) => o.leaf.key === 'dataDir').at(-1);
  return pick(flags) ?? pick(env);
}

function merge(fileValues: Obj, overrides: readonly Override[], cwd: string) {
  const settings = defaultSettings() as unknown as Obj;
  const sources: Record<string, Origin> = {};
  const owner = new Map<string, Override>();
  for (const leaf of LEAVES) {
    sources[leaf.key] = 'default';
    const v = leaf.key === 'dataDir' ? undefined : getAt(fileValues, leaf.path);
    if (v !== undefined) {
      setAt(settings, leaf.path, structuredClone(v));
      sources[leaf.key] = 'file';
    }
  }
  for (const o of overrides) {
    setAt(settings, o.leaf.path, o.value);
    sources[o.leaf.key] = o.origin;
    owner.set(o.leaf.key, o);
  }
  // Limits of env/flag values are checked on the merged result; file values were checked on the file.
  const problems: Problem[] = validateSettings(settings)
    .filter((i) => i.leaf && owner.has(i.leaf.key))
    .map((i) => ({ file: owner.get((i.leaf as Leaf).key)!.name, field: i.field, reason: i.reason }));
  for (const key of ['dataDir', 'tunersDir', 'epgDir'] as const) {
    if (typeof settings[key] === 'string') settings[key] = path.resolve(cwd, settings[key]);
  }
  return { settings: settings as unknown as Settings, sources, problems };
}

async function gather(opts: LoadOptions): Promise<Gathered> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const env = fromEnv(opts.env);
  const flags = fromArgv(opts.argv);
  const dirValue = dataDirOverride(flags.overrides, env.overrides)?.value;
  const dataDir = path.resolve(cwd, typeof dirValue === 'string' && dirValue ? dirValue : './data');
  const file = await readSettingsFile(dataDir, cwd);
  const overrides = [...env.overrides, ...flags.overrides];
  const merged = merge(file.values, overrides, cwd);
  return {
    settings: merged.settings,
    sources: merged.sources,
    file: file.path,
    cwd,
    display: file.display,
    exists: file.exists,
    fileValues: file.values,
    overrides,
    problems: [...file.problems, ...env.problems, ...flags.problems, ...merged.problems],
  };
}

function openConf(dataDir: string): Conf<Obj> {
  return new Conf<Obj>({
    cwd: dataDir,
    configName: 'settings',
    schema: settingsSchema.properties as never,
    rootSchema: { additionalProperties: false },
    ajvOptions: { useDefaults: false },
    clearInvalidConfig: false,
    configFileMode: 0o600, // may hold the admin token
  });
}

/** Secrets in settings must be masked in every log line from now on. */
function registerSecrets(s: Settings): void {
  registerSecret(s.admin.token);
  registerSecret(s.device.deviceAuth);
  for (const w of s.webhooks) registerSecret(w.secret);
}

/** Reads, merges and validates all settings; throws SettingsError listing every problem. Never writes. */
export async function loadSettings(opts: LoadOptions): Promise<LoadedSettings> {
  const g = await gather(opts);
  if (g.problems.length) throw new SettingsError(g.problems);
  let result: LoadedSettings = { settings: g.settings, sources: g.sources, file: g.file };
  if (g.exists && Object.keys(g.fileValues).length) {
    let stored: Obj;
    try {
      stored = openConf(path.dirname(g.file)).store;
    } catch (err) {
      // Only if the file changed between the two reads.
      throw new SettingsError([{ file: g.display, field: '', reason: (err as Error).message }]);
    }
    const m = merge(stored, g.overrides, g.cwd);
    result = { settings: m.settings, sources: m.sources, file: g.file };
  }
  registerSecrets(result.settings);
  return result;
}

/** Problems of the effective settings (file, env and flags), every one of them; [] when all is well. */
export async function settingsProblems(opts: LoadOptions): Promise<Problem[]> {
  return (await gather(opts)).problems;
}

function applyPatch(target: Obj, patch: Obj, at: string[] = []): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete target[k];
    else if (
      typeof v === 'object' &&
      !Array.isArray(v) &&
      LEAVES.every((l) => l.key !== [...at, k].join('.'))
    ) {
      const sub = (target[k] !== null && typeof target[k] === 'object' ? target[k] : {}) as Obj;
      applyPatch(sub, v as Obj, [...at, k]);
      if (Object.keys(sub).length) target[k] = sub;
      else delete target[k];
    } else target[k] = structuredClone(v);
  }
}

/**
 * Merges `patch` into <dataDir>/settings.json (`null` removes a key, restoring its default), validates the
 * result, then writes it atomically. An invalid file or patch throws SettingsError and writes nothing.
 * Returns the new file content.
 */
export async function saveSettings(dataDir: string, patch: SettingsPatch): Promise<Obj> {
  const cwd = process.cwd();
  const current = await readSettingsFile(path.resolve(dataDir), cwd);
  if (current.problems.length) throw new SettingsError(current.problems);
  const next = structuredClone(current.values);
  applyPatch(next, patch as Obj);
  const problems = fileProblems(next, current.display);
  if (problems.length) throw new SettingsError(problems);
  openConf(path.dirname(current.path)).store = next;
  return next;
}

export { SETTINGS_FILE };
