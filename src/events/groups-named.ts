import { tenantSchemas } from "../directory/schemas.js";
import { unwrap } from "../scim/errors.js";
import { parseScimFilter } from "../scim/filter/parse.js";
import { resolveFilter } from "../scim/filter/resolve.js";
import type { StoreSession } from "../store/store.js";

const NAMES_PER_QUERY = 50;
const PAGE = 1000;

/** Ids of the tenant's groups (managed or not) whose displayName is exactly one of `names`. */
export async function groupsNamed(session: StoreSession, tenantId: string, names: readonly string[]): Promise<string[]> {
  const wanted = new Set(names);
  const ids: string[] = [];
  const schema = tenantSchemas().byKind.Group;
  for (let start = 0; start < names.length; start += NAMES_PER_QUERY) {
    const terms = names.slice(start, start + NAMES_PER_QUERY).map((name) => `displayName eq ${JSON.stringify(name)}`);
    // displayName compares ignoring case in SCIM filters; role names match exactly, checked below.
    const filter = unwrap(resolveFilter(unwrap(parseScimFilter(terms.join(" or "))), schema));
    let cursor = "";
    for (;;) {
      const page = await session.queryResources(tenantId, "Group", { filter, count: PAGE, cursor });
      for (const group of page.resources) {
        const name = group.document["displayName"];
        if (typeof name === "string" && wanted.has(name)) ids.push(group.id);
      }
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
  }
  return ids;
}
