/**
 * Whole-number settings read from environment variables (ROSTER_WEBHOOK_*, ROSTER_*_TIMEOUT_MS,
 * ROSTER_MAX_CONNECTIONS): each variable that is set must be an integer within its range;
 * the others keep their defaults. Returns the one-line reason for the first bad one instead
 * of throwing, so each caller raises its own error type.
 */
export function readIntegerVariables<K extends string>(
  env: Readonly<Record<string, string | undefined>>,
  variables: Readonly<Record<K, string>>,
  ranges: Readonly<Record<K, readonly [number, number]>>,
): { readonly values: Partial<Record<K, number>> } | { readonly error: string } {
  const values: Partial<Record<K, number>> = {};
  for (const [name, variable] of Object.entries(variables) as [K, string][]) {
    const text = env[variable]?.trim();
    if (text === undefined || text === "") continue;
    const [min, max] = ranges[name];
    if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
      return { error: `${variable} ${JSON.stringify(text)} is not an integer from ${min} to ${max}` };
    }
    values[name] = Number(text);
  }
  return { values };
}
