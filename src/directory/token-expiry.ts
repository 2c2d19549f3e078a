/** The longest a SCIM token may be issued for: ten years (docs/management-api.md#scim-tokens). */
export const MAX_TOKEN_LIFETIME_DAYS = 3650;

const DAY_MS = 86_400_000;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const DAYS = /^([1-9]\d{0,4})d$/;

export type ExpiryResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly issue: string };

/**
 * A token's expiry from untrusted input: an ISO 8601 time with its zone (`2027-06-30T00:00:00Z`),
 * or with `relative` also a number of days from `now` (`90d`, the CLI's `--expires`). It must
 * lie in the future and at most MAX_TOKEN_LIFETIME_DAYS ahead; the value is UTC ISO 8601.
 * The issue names `where` and the rule broken.
 */
export function parseTokenExpiry(text: string, now: Date, where: string, relative = false): ExpiryResult {
  const example = relative ? "an ISO 8601 time such as 2027-06-30T00:00:00Z, or a number of days such as 90d" : "an ISO 8601 time with its zone, such as 2027-06-30T00:00:00Z";
  const days = relative ? DAYS.exec(text) : null;
  let millis: number;
  if (days !== null) {
    millis = now.getTime() + Number(days[1]) * DAY_MS;
  } else {
    const parts = ISO_TIME.exec(text);
    if (parts === null || text.length > 40) return { ok: false, issue: `${where}: ${JSON.stringify(text.slice(0, 40))} is not ${example}` };
    const [year, month, day, hour, minute, second] = parts.slice(1, 7).map((p) => Number(p ?? "0")) as [number, number, number, number, number, number];
    // Date.parse rolls 2027-02-30 over to March 2: the calendar date must exist as written.
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
      return { ok: false, issue: `${where}: ${JSON.stringify(text)} is not a date and time that exists` };
    }
    millis = Date.parse(text);
    if (Number.isNaN(millis)) return { ok: false, issue: `${where}: ${JSON.stringify(text)} is not ${example}` };
  }
  if (millis <= now.getTime()) return { ok: false, issue: `${where}: ${JSON.stringify(text)} is not in the future; a token must expire after it is created` };
  if (millis > now.getTime() + MAX_TOKEN_LIFETIME_DAYS * DAY_MS) {
    return { ok: false, issue: `${where}: ${JSON.stringify(text)} is more than ${MAX_TOKEN_LIFETIME_DAYS} days (ten years) ahead; choose an earlier expiry, or none` };
  }
  return { ok: true, value: new Date(millis).toISOString() };
}
