import { ScimError } from "../scim/errors.js";
import type { Member, ReadSession } from "../store/store.js";
import { type ScimContext, resourceLocation, serveResource } from "./resources.js";
import { isVisible } from "./visibility.js";

/** Members read per query while a group is written out. */
const MEMBER_PAGE = 1_000;
/** Bounds the page loop: no group has more members than this many pages hold. */
const MAX_MEMBER_PAGES = 100_000;

/** Where a group's JSON text goes, piece by piece; `write` resolves when the reader is ready for more. */
export interface TextSink {
  write(chunk: string): Promise<void>;
  end(chunk: string): void;
}

/** What is known of the group before its body: what the response's headers say. */
export interface GroupHead {
  readonly version: number;
  readonly location: string;
}

/**
 * Writes members as `memberJson` in resources.ts does, as text: each `$ref` is the escaped
 * location of the member's resource type followed by the escaped id, so a member costs one
 * JSON.stringify of its id (and one of its display), not one of its whole URL as well.
 */
function memberWriter(context: ScimContext): (member: Member) => string {
  const prefixes = new Map<string, string>();
  return (member) => {
    let prefix = prefixes.get(member.type);
    if (prefix === undefined) {
      // The location with an empty id: the JSON string of `<base>/<Users|Groups>/`, without its closing quote.
      prefix = JSON.stringify(resourceLocation(context, member.type, "")).slice(0, -1);
      prefixes.set(member.type, prefix);
    }
    const value = JSON.stringify(member.value);
    const display = member.display === null ? "" : `,"display":${JSON.stringify(member.display)}`;
    return `{"value":${value},"$ref":${prefix}${value.slice(1)}${display},"type":"${member.type}"}`;
  };
}

/**
 * `GET /Groups/{id}` without attributes/excludedAttributes, written to `open(head)` as JSON
 * text. Same body as `getResource`, read from one snapshot (`Store.snapshot`, blocking no
 * writer). A group that does not exist throws before `open` is called.
 *
 * A group whose members fit one page is read in a brief snapshot on the shared read
 * connection and written at once. A larger one is read again in a long snapshot of its own
 * and written one page at a time, each page only when the client has taken the one
 * before: a 100 k-member group never exists whole in memory, as objects or as text
 * (docs/benchmarks.md).
 */
export async function writeGroupText(context: ScimContext, id: string, open: (head: GroupHead) => TextSink): Promise<void> {
  const small = await context.store.snapshot(async (session) => {
    const { head, served } = await readHead(context, session, id);
    const members = await session.listMembersPage(context.tenant.id, id, { limit: MEMBER_PAGE });
    if (members.length >= MEMBER_PAGE) return undefined;
    return { served, text: members.length === 0 ? head : `${head.slice(0, -1)},"members":[${membersText(context, members)}]}` };
  });
  if (small !== undefined) {
    open({ version: small.served.version, location: small.served.location }).end(small.text);
    return;
  }
  await context.store.snapshot(
    async (session) => {
      const { head, served } = await readHead(context, session, id);
      const sink = open({ version: served.version, location: served.location });
      let opened = false;
      let after: string | undefined;
      for (let page = 0; page < MAX_MEMBER_PAGES; page++) {
        const members = await session.listMembersPage(context.tenant.id, id, { limit: MEMBER_PAGE, ...(after === undefined ? {} : { after }) });
        if (members.length > 0) {
          await sink.write(opened ? `,${membersText(context, members)}` : `${head.slice(0, -1)},"members":[${membersText(context, members)}`);
          opened = true;
        }
        after = members.at(-1)?.value;
        if (members.length < MEMBER_PAGE) break;
      }
      sink.end(opened ? "]}" : head);
    },
    { long: true },
  );
}

/** The group without its members, as JSON text; notFound when it does not exist or is not visible. */
async function readHead(context: ScimContext, session: ReadSession, id: string): Promise<{ head: string; served: GroupHead }> {
  const group = await session.findResource(context.tenant.id, "Group", id);
  if (group === undefined || !isVisible(context.visibility, group)) throw new ScimError("notFound", `Group "${id}" not found`);
  const served = serveResource(context, group, undefined, {});
  return { head: JSON.stringify(served.body), served };
}

function membersText(context: ScimContext, members: readonly Member[]): string {
  return members.map(memberWriter(context)).join(",");
}
