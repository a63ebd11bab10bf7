// `tunerbridge check`: every problem of settings.json, env, flags and tuners/*.json, each with file and field.
import { checkSettings, formatProblems, type Problem } from '../config/check.js';
import { loadSettings } from '../config/settings.js';
import { validateSourceDir } from '../sources/definition.js';

export interface CheckResult {
  readonly code: 0 | 1;
  readonly text: string;
  readonly problems: readonly Problem[];
}

export async function runCheck(opts: {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}): Promise<CheckResult> {
  const problems: Problem[] = await checkSettings(opts);
  // Source files can only be checked once the settings say where they are.
  if (problems.length === 0) {
    const { settings } = await loadSettings(opts);
    problems.push(...(await validateSourceDir(settings.tunersDir)));
  }
  if (problems.length === 0) {
    return { code: 0, problems, text: 'tunerbridge check: settings and tuners/ files are valid\n' };
  }
  // Warnings (e.g. an unknown field, which is ignored) are printed but do not fail the check.
  const blocking = problems.filter((p) => !(p as { warning?: boolean }).warning).length;
  const text = `tunerbridge check: ${blocking} problem(s), ${problems.length - blocking} warning(s)\n${formatProblems(problems)}\n`;
  return { code: blocking > 0 ? 1 : 0, problems, text };
}
