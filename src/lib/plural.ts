// A count with its noun in the right number, for what the CLI and the bench say.

/** "1 session", "2 sessions". */
export function plural(count: number | bigint, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${BigInt(count) === 1n ? singular : pluralForm}`;
}
