// `tunerbridge check`, settings part: every problem of settings.json, env and flags, without side effects.
// The CLI combines these with the tuners/ checks and prints them with formatProblems.
import { settingsProblems, type LoadOptions } from './settings.js';
import type { Problem } from './errors.js';

export { formatProblems, type Problem } from './errors.js';

/** All settings problems (not just the first); [] when loadSettings would succeed. Never writes. */
export function checkSettings(opts: LoadOptions): Promise<Problem[]> {
  return settingsProblems(opts);
}
