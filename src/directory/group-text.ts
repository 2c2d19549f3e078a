import { ScimError } from "../scim/errors.js";
import type { Member } from "../store/store.js";
import { type ScimContext, resourceLocation, serveResource } from "./resources.js";
import { isVisible } from "./visibility.js";

/** Members read per query while a group is written out. */
const MEMBER_PAGE = 1_000;
/** Bounds the page loop: no group has more members than this many pages hold. */
const MAX_MEMBER_PAGES = 100_000;

export interface GroupText {
  readonly version: number;
  readonly location: string;
  /** The JSON body in pieces, in order; joined they are one SCIM Group. */
  readonly chunks: readonly string[];
}

/** The member as `memberJson` in resources.ts writes it, built as text (one JSON.stringify per string, not per object). */
function memberText(context: ScimContext, member: Member): string {
  const value = JSON.stringify(member.value);
  const ref = JSON.stringify(resourceLocation(context, member.type, member.value));
  const display = member.display === null ? "" : `,"display":${JSON.stringify(member.display)}`;
  return `{"value":${value},"$ref":${ref}${display},"type":"${member.type}"}`;
}

/**
 * `GET /Groups/{id}` without attributes/excludedAttributes, as JSON text written page by
 * page: the members never exist as one array of objects, only as their text, once
 * (a 100 k-member group: docs/benchmarks.md). Same body as `getResource`; one transaction.
 */
export async function getGroupText(context: ScimContext, id: string): Promise<GroupText> {
  return context.store.transaction(async (session) => {
    const group = await session.findResource(context.tenant.id, "Group", id);
    if (group === undefined || !isVisible(context.visibility, group)) throw new ScimError("notFound", `Group "${id}" not found`);
    const served = serveResource(context, group, undefined, {});
    const head = JSON.stringify(served.body);
    const chunks: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_MEMBER_PAGES; page++) {
      const members = await session.listMembersPage(context.tenant.id, id, { limit: MEMBER_PAGE, ...(after === undefined ? {} : { after }) });
      if (members.length > 0) chunks.push((chunks.length === 0 ? ',"members":[' : ",") + members.map((member) => memberText(context, member)).join(","));
      after = members.at(-1)?.value;
      if (members.length < MEMBER_PAGE) break;
    }
    if (chunks.length === 0) return { version: served.version, location: served.location, chunks: [head] };
    return { version: served.version, location: served.location, chunks: [head.slice(0, -1), ...chunks, "]}"] };
  });
}
