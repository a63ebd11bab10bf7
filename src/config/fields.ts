// Field constructors for the settings table. Each field carries its TypeScript value type (through its
// literal shape), its JSON schema and its documentation, so schema, `Settings` type, defaults, --help and
// the README reference are all derived from one table and cannot drift apart.

interface Base {
  readonly description: string;
  /** Never echo the value (errors, help): tokens, and URLs that may carry provider credentials. */
  readonly secret?: boolean;
}

export interface IntField extends Base {
  readonly kind: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}
export interface BoolField extends Base {
  readonly kind: 'boolean';
  readonly default: boolean;
}
export interface StringField extends Base {
  readonly kind: 'string';
  readonly default: string;
  /** Disallow the empty string. */
  readonly required?: boolean;
  readonly pattern?: string;
  /** Human wording of `pattern`, used in error messages. */
  readonly hint?: string;
}
export interface EnumField<V extends string = string> extends Base {
  readonly kind: 'enum';
  readonly default: V;
  readonly values: readonly V[];
}
/** `30m`, `6h`, `1d`, `45s` or a bare number of seconds; see durationMs(). */
export interface DurationField extends Base {
  readonly kind: 'duration';
  readonly default: string;
}
export interface ListField<V extends string = string> extends Base {
  readonly kind: 'list';
  readonly default: readonly V[];
  /** When set, every item must be one of these (and appear at most once). */
  readonly values?: readonly V[];
  readonly pattern?: string;
  readonly hint?: string;
}
export interface Webhook {
  readonly url: string;
  readonly events: readonly string[];
  readonly secret?: string;
}
export interface WebhooksField extends Base {
  readonly kind: 'webhooks';
  readonly default: readonly Webhook[];
}

export type Field =
  IntField | BoolField | StringField | EnumField | DurationField | ListField | WebhooksField;

export const int = (d: number, min: number, max: number, description: string): IntField => ({
  kind: 'integer',
  default: d,
  min,
  max,
  description,
});
export const bool = (d: boolean, description: string): BoolField => ({
  kind: 'boolean',
  default: d,
  description,
});
export const str = (
  d: string,
  description: string,
  extra: Omit<StringField, 'kind' | 'default' | 'description'> = {},
) => ({ kind: 'string', default: d, description, ...extra }) as StringField;
export const oneOf = <const V extends string>(
  d: NoInfer<V>,
  values: readonly V[],
  description: string,
): EnumField<V> => ({
  kind: 'enum',
  default: d,
  values,
  description,
});
export const duration = (d: string, description: string): DurationField => ({
  kind: 'duration',
  default: d,
  description,
});
export const list = (
  d: readonly string[],
  description: string,
  extra: Omit<ListField, 'kind' | 'default' | 'description' | 'values'> = {},
): ListField => ({ kind: 'list', default: d, description, ...extra });
export const enumList = <const V extends string>(
  d: readonly NoInfer<V>[],
  values: readonly V[],
  description: string,
): ListField<V> => ({ kind: 'list', default: d, values, description });
export const webhooks = (description: string): WebhooksField => ({
  kind: 'webhooks',
  default: [],
  description,
  secret: true,
});

/** A section groups fields (and sub-sections) under one camelCase key. */
export interface Section {
  readonly [key: string]: Field | Section;
}

export const isField = (x: Field | Section): x is Field => typeof (x as { kind?: unknown }).kind === 'string';

/** The value type a field produces. */
export type ValueOf<F> =
  F extends EnumField<infer V>
    ? V
    : F extends ListField<infer V>
      ? readonly V[]
      : F extends IntField
        ? number
        : F extends BoolField
          ? boolean
          : F extends StringField | DurationField
            ? string
            : F extends WebhooksField
              ? readonly Webhook[]
              : never;

/** The settings object a section table describes. */
export type ValuesOf<S> = { readonly [K in keyof S]: S[K] extends Field ? ValueOf<S[K]> : ValuesOf<S[K]> };

export const DURATION_PATTERN = '^[1-9][0-9]*[smhd]?$';
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration setting (`30m`, `6h`, `1d`, `45s`, or seconds as digits). */
export function durationMs(value: string): number {
  const m = /^([1-9][0-9]*)([smhd]?)$/.exec(value);
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(value)}`);
  return Number(m[1]) * UNIT_MS[(m[2] || 's') as keyof typeof UNIT_MS];
}
