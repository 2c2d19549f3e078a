import { ScimError, unwrap } from "../scim/errors.js";
import { matchesVersion, parseETagList } from "../scim/resource/etag.js";
import { formatVersion } from "../scim/resource/serialize.js";

/** The weak ETag of a version: `W/"3"`. */
export const formatETag = formatVersion;

/** RFC 9110 §13.1.1 with SCIM's weak tags: throws 412 unless the header names the current version. */
export function assertIfMatch(header: string | undefined, version: number): void {
  if (header === undefined) return;
  if (matchesVersion(unwrap(parseETagList(header, "If-Match")), version)) return;
  throw new ScimError(
    "preconditionFailed",
    `If-Match ${header} does not match the current version ${formatETag(version)}; fetch the resource again`,
  );
}

/** True when an If-None-Match header names the current version (the GET answers 304). */
export function matchesIfNoneMatch(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  return matchesVersion(unwrap(parseETagList(header, "If-None-Match")), version);
}
