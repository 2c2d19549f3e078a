const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * Whether `name` is an IANA time zone the runtime knows: canonical names
 * (`Intl.supportedValuesOf("timeZone")`), `Etc/UTC`, `UTC` and links such as `US/Eastern`.
 * Offsets (`+01:00`) and abbreviations the runtime does not resolve are refused.
 */
export function isTimeZone(name: string): boolean {
  if (!NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
