// Settings problems carry their origin (the settings file, an env var or a CLI flag), so that a user can
// tell at once where to fix them.

export interface Problem {
  /** settings.json path as shown to the user, or the env var / flag name. */
  readonly file: string;
  /** Dotted setting path (`streaming.stallMs`, `webhooks[0].url`); empty for whole-file/argument problems. */
  readonly field: string;
  readonly reason: string;
}

export function formatProblem(p: Problem): string {
  return p.field ? `${p.file}: ${p.field} ${p.reason}` : `${p.file}: ${p.reason}`;
}

/** One line per problem, in the order found. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join('\n');
}

export class SettingsError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(formatProblems(problems));
    this.name = 'SettingsError';
  }
}
