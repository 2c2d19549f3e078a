import { describe, expect, it } from "vitest";
import type { ResolvedPath } from "../../../src/scim/filter/ast.js";
import { projectResource } from "../../../src/scim/resource/project.js";
import { COMMON_ATTRIBUTES } from "../../../src/scim/schema/core-schemas.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";
import { DEVICE, DEVICE_SCHEMA_ID, USER } from "./schemas.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Builds a resolved path by hand: "name.givenName" or "urn:…:User:manager.value" (extension). */
function path(schema: ResourceSchema, text: string): ResolvedPath {
  const extension = schema.extensions.find((e) => text.startsWith(`${e.id}:`));
  const local = extension === undefined ? text : text.slice(extension.id.length + 1);
  const [name, subName] = local.split(".");
  const attributes = extension?.attributes ?? [...COMMON_ATTRIBUTES, ...schema.core.attributes];
  const attribute = attributes.find((a) => a.name === name);
  if (attribute === undefined) throw new Error(`test path ${text} is unknown`);
  const subAttribute = attribute.subAttributes?.find((s) => s.name === subName);
  return {
    schema: extension?.id ?? schema.core.id,
    extension: extension !== undefined,
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
  };
}
const paths = (schema: ResourceSchema, ...texts: string[]) => texts.map((text) => path(schema, text));

const meta = { resourceType: "User", created: "2024-01-01T00:00:00Z", lastModified: "2024-01-02T00:00:00Z", location: "https://x/Users/u1", version: 'W/"3"' };
const user = {
  schemas: [CORE, ENT],
  id: "u1",
  externalId: "e1",
  userName: "bjensen",
  name: { givenName: "Barbara", familyName: "Jensen" },
  active: true,
  password: "leaked?",
  emails: [
    { value: "b@work.example", type: "work", primary: true },
    { value: "b@home.example", type: "home" },
  ],
  groups: [{ value: "g1", display: "Admins" }],
  [ENT]: { department: "Sales", manager: { value: "m1", displayName: "Boss" } },
  meta,
};
const { password: _password, ...userWithoutPassword } = user;

const cases: readonly {
  readonly name: string;
  readonly attributes?: readonly string[];
  readonly excluded?: readonly string[];
  readonly expected: Record<string, unknown>;
}[] = [
  { name: "returns every default attribute and never the password without parameters", expected: userWithoutPassword },
  { name: "returns id and schemas with the attributes asked for", attributes: ["userName"], expected: { schemas: [CORE], id: "u1", userName: "bjensen" } },
  {
    name: "returns only the sub-attribute asked for of a complex attribute",
    attributes: ["name.givenName"],
    expected: { schemas: [CORE], id: "u1", name: { givenName: "Barbara" } },
  },
  {
    name: "returns the sub-attribute asked for of every value of a multi-valued attribute",
    attributes: ["emails.value"],
    expected: { schemas: [CORE], id: "u1", emails: [{ value: "b@work.example" }, { value: "b@home.example" }] },
  },
  {
    name: "returns an extension attribute asked for by its URN path and keeps the extension in schemas",
    attributes: [`${ENT}:department`],
    expected: { schemas: [CORE, ENT], id: "u1", [ENT]: { department: "Sales" } },
  },
  {
    name: "returns a whole extension when all its attributes are asked for",
    attributes: [`${ENT}:employeeNumber`, `${ENT}:department`, `${ENT}:manager`],
    expected: { schemas: [CORE, ENT], id: "u1", [ENT]: user[ENT] },
  },
  {
    name: "returns meta sub-attributes asked for",
    attributes: ["meta.lastModified"],
    expected: { schemas: [CORE], id: "u1", meta: { lastModified: meta.lastModified } },
  },
  { name: "never returns the password even when asked for", attributes: ["password"], expected: { schemas: [CORE], id: "u1" } },
  {
    name: "drops excluded attributes, sub-attributes and extension attributes",
    excluded: ["emails", "name.familyName", `${ENT}:department`],
    expected: {
      schemas: [CORE, ENT],
      id: "u1",
      externalId: "e1",
      userName: "bjensen",
      name: { givenName: "Barbara" },
      active: true,
      groups: user.groups,
      [ENT]: { manager: user[ENT].manager },
      meta,
    },
  },
  {
    name: "never excludes id, and drops the extension from schemas when all its attributes are excluded",
    excluded: ["id", `${ENT}:department`, `${ENT}:manager`, "meta", "groups", "emails", "name", "active", "externalId"],
    expected: { schemas: [CORE], id: "u1", userName: "bjensen" },
  },
];

describe("projectResource", () => {
  it.each(cases)("$name", ({ attributes, excluded, expected }) => {
    const projected = projectResource(user, USER, {
      ...(attributes === undefined ? {} : { attributes: paths(USER, ...attributes) }),
      ...(excluded === undefined ? {} : { excludedAttributes: paths(USER, ...excluded) }),
    });
    expect(projected).toEqual(expected);
  });

  it("keeps the resource's key order", () => {
    expect(Object.keys(projectResource(user, USER, { excludedAttributes: paths(USER, "name") }))).toEqual([
      "schemas", "id", "externalId", "userName", "active", "emails", "groups", ENT, "meta",
    ]);
  });

  it("treats an empty attributes list as not given", () => {
    expect(projectResource(user, USER, { attributes: [] })).toEqual(userWithoutPassword);
  });

  it("does not modify its input", () => {
    const copy = structuredClone(user);
    projectResource(user, USER, { attributes: paths(USER, "emails.value") });
    expect(user).toEqual(copy);
  });

  describe("returned: request", () => {
    const device = {
      schemas: [DEVICE_SCHEMA_ID],
      id: "d1",
      serial: "SN1",
      audit: "checked",
      location: { site: "S1", internalCode: "X9" },
    };

    it("omits request attributes and sub-attributes by default", () => {
      expect(projectResource(device, DEVICE)).toEqual({ schemas: [DEVICE_SCHEMA_ID], id: "d1", serial: "SN1", location: { site: "S1" } });
    });

    it("returns a request attribute when asked for", () => {
      expect(projectResource(device, DEVICE, { attributes: paths(DEVICE, "audit") })).toEqual({
        schemas: [DEVICE_SCHEMA_ID],
        id: "d1",
        audit: "checked",
      });
    });

    it("returns a request sub-attribute only when named, not with its parent", () => {
      expect(projectResource(device, DEVICE, { attributes: paths(DEVICE, "location") })).toEqual({
        schemas: [DEVICE_SCHEMA_ID],
        id: "d1",
        location: { site: "S1" },
      });
      expect(projectResource(device, DEVICE, { attributes: paths(DEVICE, "location.internalCode") })).toEqual({
        schemas: [DEVICE_SCHEMA_ID],
        id: "d1",
        location: { internalCode: "X9" },
      });
    });
  });
});
