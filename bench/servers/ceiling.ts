import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import Fastify, { type FastifyReply } from "fastify";
import { MEMBER_GROUP_INDEX, TENANT_KEYS, type SeedSizes, type TenantKey, groupId, oktaUser, userId, userName, usersOf } from "../sizes.js";
import { announce, type ServerStart } from "./protocol.js";

// The ceiling: Fastify + better-sqlite3 (WAL, synchronous=FULL as Roster) doing only the
// essential work of each operation and answering a SCIM-shaped body. No validation, no
// projection, no request log: what any SCIM server on this stack must at least pay.

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const TOKEN = "ceiling-token";
const NOW = "2026-01-01T00:00:00.000Z";

function open(path: string, sizes: SeedSizes): Database.Database {
  const marker = `${path}.seeded`;
  if (!existsSync(marker)) for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  if (existsSync(marker)) return db;
  db.exec(`
    create table users (tenant text not null, id text not null, user_name_ci text not null, data text not null, primary key (tenant, id));
    create unique index users_name on users (tenant, user_name_ci);
    create table groups (tenant text not null, id text not null, display text not null, data text not null, primary key (tenant, id));
    create table members (tenant text not null, group_id text not null, member_id text not null, primary key (tenant, group_id, member_id));
  `);
  const user = db.prepare("insert into users values (?, ?, ?, ?)");
  const group = db.prepare("insert into groups values (?, ?, ?, ?)");
  const member = db.prepare("insert into members values (?, ?, ?)");
  const seed = db.transaction((key: TenantKey, from: number, to: number) => {
    for (let i = from; i < to; i++) user.run(key, userId(key, i), userName(key, i).toLowerCase(), JSON.stringify(oktaUser(userName(key, i), i)));
  });
  for (const key of TENANT_KEYS) {
    const total = usersOf(sizes, key);
    for (let from = 0; from < total; from += 10_000) seed(key, from, Math.min(total, from + 10_000));
  }
  db.transaction(() => {
    for (let i = 0; i < sizes.smallUsers; i++) group.run("small", groupId("small", i), `small group ${i}`, JSON.stringify({ displayName: `small group ${i}` }));
    group.run("large", groupId("large", 0), "large group 0", JSON.stringify({ displayName: "large group 0" }));
    for (let i = 0; i < sizes.smallGroupMembers; i++) member.run("small", groupId("small", MEMBER_GROUP_INDEX), userId("small", i));
    for (let i = 0; i < sizes.bigGroupMembers; i++) member.run("large", groupId("large", MEMBER_GROUP_INDEX), userId("large", i));
  })();
  db.close();
  rmSync(marker, { force: true });
  writeFileSync(marker, JSON.stringify(sizes));
  return open(path, sizes);
}

type Row = { id: string; data: string };

export async function startCeiling(start: ServerStart): Promise<void> {
  const db = open(start.database, start.sizes);
  const insertUser = db.prepare("insert into users values (?, ?, ?, ?)");
  const byName = db.prepare<[string, string], Row>("select id, data from users where tenant = ? and user_name_ci = ?");
  const byId = db.prepare<[string, string], Row>("select id, data from users where tenant = ? and id = ?");
  const page = db.prepare<[string, number, number], Row>("select id, data from users where tenant = ? order by id limit ? offset ?");
  const countUsers = db.prepare<[string], { n: number }>("select count(*) as n from users where tenant = ?");
  const update = db.prepare("update users set user_name_ci = ?, data = ? where tenant = ? and id = ?");
  const groupById = db.prepare<[string, string], Row>("select id, data from groups where tenant = ? and id = ?");
  const groupPage = db.prepare<[string, number, number], Row>("select id, data from groups where tenant = ? order by id limit ? offset ?");
  const countGroups = db.prepare<[string], { n: number }>("select count(*) as n from groups where tenant = ?");
  const membersOf = db.prepare<[string, string], { member_id: string; display: string }>(
    "select m.member_id, u.user_name_ci as display from members m join users u on u.tenant = m.tenant and u.id = m.member_id where m.tenant = ? and m.group_id = ?",
  );
  const addMember = db.prepare("insert or ignore into members values (?, ?, ?)");
  const removeMember = db.prepare("delete from members where tenant = ? and group_id = ? and member_id = ?");

  const app = Fastify({ logger: false });
  app.addContentTypeParser("application/scim+json", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  app.addHook("onRequest", async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return reply.code(401).send({ status: "401" });
    return undefined;
  });
  const user = (base: string, row: Row) => ({
    ...(JSON.parse(row.data) as object),
    id: row.id,
    meta: { resourceType: "User", created: NOW, lastModified: NOW, location: `${base}/Users/${row.id}`, version: 'W/"1"' },
  });
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type("application/scim+json").send(JSON.stringify(body));
  type P = { Params: { tenant: string; id: string }; Querystring: Record<string, string>; Body: Record<string, unknown> };
  const base = (tenant: string) => `${url}/scim/v2/${tenant}`;

  app.post<P>("/scim/v2/:tenant/Users", async (request, reply) => {
    const id = randomUUID();
    const body = request.body;
    const data = JSON.stringify(body);
    try {
      insertUser.run(request.params.tenant, id, String(body["userName"]).toLowerCase(), data);
    } catch {
      return send(reply, 409, { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "409", scimType: "uniqueness" });
    }
    return send(reply, 201, user(base(request.params.tenant), { id, data }));
  });
  app.get<P>("/scim/v2/:tenant/Users", async (request, reply) => {
    const tenant = request.params.tenant;
    const filter = /^userName eq "(.*)"$/.exec(request.query["filter"] ?? "");
    if (filter !== null) {
      const row = byName.get(tenant, (filter[1] ?? "").toLowerCase());
      const resources = row === undefined ? [] : [user(base(tenant), row)];
      return send(reply, 200, { schemas: [LIST], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources });
    }
    const startIndex = Math.max(1, Number(request.query["startIndex"] ?? 1));
    const count = Math.min(1000, Number(request.query["count"] ?? 100));
    const rows = page.all(tenant, count, startIndex - 1).map((row) => user(base(tenant), row));
    const total = countUsers.get(tenant)?.n ?? 0;
    return send(reply, 200, { schemas: [LIST], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: rows });
  });
  app.get<P>("/scim/v2/:tenant/Users/:id", async (request, reply) => {
    const row = byId.get(request.params.tenant, request.params.id);
    return row === undefined ? send(reply, 404, { status: "404" }) : send(reply, 200, user(base(request.params.tenant), row));
  });
  app.put<P>("/scim/v2/:tenant/Users/:id", async (request, reply) => {
    const { tenant, id } = request.params;
    if (byId.get(tenant, id) === undefined) return send(reply, 404, { status: "404" });
    const data = JSON.stringify(request.body);
    update.run(String(request.body["userName"]).toLowerCase(), data, tenant, id);
    return send(reply, 200, user(base(tenant), { id, data }));
  });
  app.patch<P>("/scim/v2/:tenant/Users/:id", async (request, reply) => {
    const { tenant, id } = request.params;
    const row = byId.get(tenant, id);
    if (row === undefined) return send(reply, 404, { status: "404" });
    const document = JSON.parse(row.data) as Record<string, unknown>;
    document["active"] = false;
    const data = JSON.stringify(document);
    update.run(String(document["userName"]).toLowerCase(), data, tenant, id);
    return send(reply, 200, user(base(tenant), { id, data }));
  });
  app.patch<P>("/scim/v2/:tenant/Groups/:id", async (request, reply) => {
    const { tenant, id } = request.params;
    if (groupById.get(tenant, id) === undefined) return send(reply, 404, { status: "404" });
    const operations = (request.body["Operations"] ?? []) as { op: string; path?: string; value?: { value: string }[] }[];
    for (const operation of operations) {
      if (operation.op.toLowerCase() === "add") for (const value of operation.value ?? []) addMember.run(tenant, id, value.value);
      const removed = /members\[value eq "(.*)"\]/.exec(operation.path ?? "")?.[1];
      if (operation.op.toLowerCase() === "remove" && removed !== undefined) removeMember.run(tenant, id, removed);
    }
    return reply.code(204).send();
  });
  app.get<P>("/scim/v2/:tenant/Groups/:id", async (request, reply) => {
    const { tenant, id } = request.params;
    const row = groupById.get(tenant, id);
    if (row === undefined) return send(reply, 404, { status: "404" });
    const members = membersOf.all(tenant, id).map((m) => ({ value: m.member_id, $ref: `${base(tenant)}/Users/${m.member_id}`, display: m.display, type: "User" }));
    return send(reply, 200, { schemas: [GROUP], id, ...(JSON.parse(row.data) as object), members, meta: { resourceType: "Group", location: `${base(tenant)}/Groups/${id}` } });
  });
  app.get<P>("/scim/v2/:tenant/Groups", async (request, reply) => {
    const tenant = request.params.tenant;
    const startIndex = Math.max(1, Number(request.query["startIndex"] ?? 1));
    const count = Math.min(1000, Number(request.query["count"] ?? 100));
    const rows = groupPage.all(tenant, count, startIndex - 1).map((row) => ({ schemas: [GROUP], id: row.id, ...(JSON.parse(row.data) as object) }));
    return send(reply, 200, { schemas: [LIST], totalResults: countGroups.get(tenant)?.n ?? 0, startIndex, itemsPerPage: rows.length, Resources: rows });
  });

  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  announce({
    url,
    tenants: Object.fromEntries(TENANT_KEYS.map((key) => [key, { base: `${url}/scim/v2/${key}`, token: TOKEN }])),
  });
}
