import { fail, ok, type Result } from "../errors.js";
import type { ResolvedPath } from "../filter/ast.js";
import { parseAttributePath, resolveAttributePath } from "../path.js";
import type { ResourceSchema } from "../schema/types.js";
import { attributeContainers, sameUrn } from "./document.js";

/**
 * Parses the `attributes` / `excludedAttributes` query parameter (RFC 7644 §3.4.2.5): a
 * comma-separated list of attribute paths, whitespace and empty entries tolerated. A bare
 * schema URN (`urn:…:enterprise:2.0:User`) stands for every attribute of that schema.
 *
 * An unknown attribute is `invalidValue`: the RFC is silent, and its §3.12 table allows
 * invalidValue (not invalidPath, which is PATCH-only) for GET queries. Undefined or empty
 * text gives an empty list.
 */
export function parseAttributeList(
  text: string | undefined,
  schema: ResourceSchema,
  parameter: "attributes" | "excludedAttributes" = "attributes",
): Result<readonly ResolvedPath[]> {
  if (text === undefined) return ok([]);
  const paths: ResolvedPath[] = [];
  for (const entry of text.split(",")) {
    const name = entry.trim();
    if (name.length === 0) continue;
    const container = attributeContainers(schema).find((candidate) => sameUrn(candidate.schema.id, name));
    if (container !== undefined) {
      for (const attribute of container.attributes) {
        paths.push({ schema: container.schema.id, extension: container.extension, attribute });
      }
      continue;
    }
    const parsed = parseAttributePath(name);
    const resolved = parsed.ok ? resolveAttributePath(parsed.value, schema, { errorCode: "invalidValue" }) : parsed;
    if (!resolved.ok) return fail("invalidValue", `${parameter}: ${resolved.issue.detail.replace(/^path: /, "")}`);
    paths.push(resolved.value);
  }
  return ok(paths);
}
