import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  SCIM_ENTERPRISE_USER_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../src/scim/schema/core-schemas.js";
import { defineAttribute } from "../../src/scim/schema/define.js";
import type { ResourceSchema } from "../../src/scim/schema/types.js";
import type { ResolvedFilter } from "../../src/scim/filter/ast.js";
import { parseScimFilter } from "../../src/scim/filter/parse.js";
import { resolveFilter } from "../../src/scim/filter/resolve.js";
import type { ResourceKind, ScimDocument, StoredResource } from "../../src/store/store.js";

export const ACME = "urn:acme:scim:schemas:extension:2.0:User";
export const ENTERPRISE = SCIM_ENTERPRISE_USER_SCHEMA;

export const USER: ResourceSchema = {
  resourceType: USER_RESOURCE_TYPE,
  core: USER_SCHEMA,
  extensions: [
    ENTERPRISE_USER_SCHEMA,
    {
      id: ACME,
      name: "AcmeUser",
      description: "A profile-declared extension",
      attributes: [
        defineAttribute("level", "integer"),
        defineAttribute("score", "decimal"),
        defineAttribute("nickCode", "string", { caseExact: true }),
        defineAttribute("tags", "string", { multiValued: true }),
        defineAttribute("hired", "dateTime"),
      ],
    },
  ],
};
export const GROUP: ResourceSchema = { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] };

export function filterOf(text: string, schema: ResourceSchema = USER): ResolvedFilter {
  const parsed = parseScimFilter(text);
  if (!parsed.ok) throw new Error(parsed.issue.detail);
  const resolved = resolveFilter(parsed.value, schema);
  if (!resolved.ok) throw new Error(resolved.issue.detail);
  return resolved.value;
}

let clock = Date.parse("2020-01-01T00:00:00.000Z");
/** A fresh, strictly increasing instant. */
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function resource(tenantId: string, kind: ResourceKind, id: string, document: ScimDocument, times?: { created: string; lastModified: string }): StoredResource {
  const created = times?.created ?? tick();
  return { tenantId, id, kind, document, created, lastModified: times?.lastModified ?? created, version: 1 };
}

export const USERS: readonly { id: string; document: ScimDocument; created: string; lastModified: string }[] = [
  {
    id: "u-bjensen",
    created: "2010-01-23T04:56:22.000Z",
    lastModified: "2011-05-13T04:42:34.250Z",
    document: {
      schemas: [USER_SCHEMA.id, ENTERPRISE, ACME],
      externalId: "bjensen",
      userName: "Bjensen@Example.com",
      name: { familyName: "Jensen", givenName: "Barbara", middleName: null },
      displayName: "Babs Jensen",
      nickName: "",
      title: "Tour Guide",
      active: true,
      emails: [
        { value: "bjensen@example.com", type: "work", primary: true },
        { value: "babs@jensen.org", type: "home" },
      ],
      phoneNumbers: [],
      addresses: [{}],
      [ENTERPRISE]: {
        employeeNumber: "701984",
        department: "Tour Operations",
        manager: { value: "u-jsmith", displayName: "John Smith" },
      },
      [ACME]: { level: 3, score: 4.5, nickCode: "Babs", tags: ["Red", "blue"], hired: "2010-01-23T06:56:22+02:00" },
    },
  },
  {
    id: "u-jsmith",
    created: "2012-03-01T10:00:00.000Z",
    lastModified: "2013-07-01T12:00:00.000Z",
    document: {
      userName: "JSmith",
      displayName: "John Smith",
      active: false,
      title: "Manager",
      userType: "Employee",
      emails: [{ value: "John@Example.org", type: "home", display: "John at home" }],
      phoneNumbers: [{ value: "+1 555 0100", type: "work" }],
      [ENTERPRISE]: { department: "Sales" },
      [ACME]: { level: 10, score: -1, tags: [], hired: "2012-03-01T10:00:00Z" },
    },
  },
  {
    id: "u-ulrich",
    created: "2014-01-01T00:00:00.000Z",
    lastModified: "2014-01-02T00:00:00.000Z",
    document: {
      externalId: "ULR",
      userName: "Ülrich",
      name: { givenName: "Ülrich" },
      title: "tour guide",
      [ACME]: { level: 3, nickCode: "babs", tags: ["green"] },
    },
  },
  {
    id: "u-percent",
    created: "2015-01-01T00:00:00.000Z",
    lastModified: "2015-06-01T00:00:00.000Z",
    document: {
      externalId: "x_y",
      userName: "100%_done",
      title: "50% off",
      active: true,
      emails: [
        { value: "a_b@c.d", type: "Work", primary: false },
        { value: "Z@c.d", type: "other", primary: true },
      ],
    },
  },
  {
    id: "u-typed",
    created: "2016-01-01T00:00:00.000Z",
    lastModified: "2016-01-01T00:00:00.000Z",
    document: { userName: "typed", title: 42, active: "yes", emails: ["not-an-object"], [ACME]: { level: "3", tags: "Red" } },
  },
];

export const GROUPS: readonly { id: string; displayName: string; members: readonly { id: string; kind: ResourceKind }[] }[] = [
  { id: "g-eng", displayName: "Engineering", members: [{ id: "u-bjensen", kind: "User" }, { id: "u-jsmith", kind: "User" }] },
  { id: "g-sales", displayName: "Sales", members: [{ id: "u-jsmith", kind: "User" }, { id: "g-eng", kind: "Group" }] },
  { id: "g-empty", displayName: "Empty", members: [] },
];

/** Filters over the users above: the store must agree with evaluate.ts on every one. */
export const USER_FILTERS: readonly string[] = [
  'userName eq "bjensen@example.com"',
  'userName eq "BJENSEN@EXAMPLE.COM"',
  'userName co "EXAMPLE"',
  'userName sw "bj"',
  'userName ew ".COM"',
  'userName eq "ülrich"',
  'userName sw "Ü"',
  'userName co "%"',
  'userName sw "100%"',
  'userName co "_"',
  'userName co ""',
  'userName gt "j"',
  'userName le "jsmith"',
  'externalId eq "bjensen"',
  'externalId eq "BJENSEN"',
  'externalId co "_"',
  'externalId pr',
  'id eq "u-jsmith"',
  'id sw "U-"',
  'displayName eq "babs jensen"',
  'displayName pr',
  'displayName co "SMITH"',
  'title eq "TOUR GUIDE"',
  'title gt "tour"',
  'title ne "Tour Guide"',
  'title co "%"',
  'title eq null',
  'title ne null',
  'title pr',
  'userType eq "Employee"',
  'userType ne "Employee"',
  'nickName pr',
  'name pr',
  'name.givenName sw "Ü"',
  'name[givenName eq "barbara"]',
  'name.middleName pr',
  'addresses pr',
  'phoneNumbers pr',
  'phoneNumbers[type eq "work"]',
  'emails pr',
  'emails eq null',
  'emails.value eq "babs@jensen.org"',
  'emails eq "BABS@jensen.org"',
  'emails co "jensen.org"',
  'emails.value ew "@C.D"',
  'emails.value co "_"',
  'emails.value ne "babs@jensen.org"',
  'emails.type eq "work"',
  'emails.type eq "other"',
  'emails.primary eq true',
  'emails.primary eq false',
  'emails.display pr',
  'emails.display co "home"',
  'emails[type eq "work" and value ew "@example.com"]',
  'emails[type eq "home" and value ew "@example.com"]',
  'emails.type eq "home" and emails.value ew "@example.com"',
  'emails[type eq "home" and not (primary eq true)]',
  'emails[primary pr]',
  'emails[primary eq false or display pr]',
  'active eq true',
  'active eq false',
  'active ne true',
  'active pr',
  'active eq null',
  'meta.lastModified gt "2011-05-13T04:42:34Z"',
  'meta.lastModified eq "2011-05-13T06:42:34.25+02:00"',
  'meta.lastModified ge "2014-01-02T00:00:00Z"',
  'meta.created lt "2012-03-01T10:00:00Z"',
  'meta.created gt "2010-01-23T00:00:00-05:00"',
  'meta.resourceType eq "User"',
  'meta.resourceType eq "user"',
  'meta.version eq "W/\\"1\\""',
  'meta.version eq "1"',
  'meta pr',
  `${ENTERPRISE}:department eq "sales"`,
  `${ENTERPRISE}:employeeNumber pr`,
  `${ENTERPRISE}:manager.value eq "u-jsmith"`,
  `${ENTERPRISE}:manager[displayName sw "john"]`,
  `${ACME}:level eq 3`,
  `${ACME}:level gt 3`,
  `${ACME}:level le 3`,
  `${ACME}:score lt 0`,
  `${ACME}:score ge 4.5`,
  `${ACME}:nickCode eq "babs"`,
  `${ACME}:nickCode co "B"`,
  `${ACME}:tags eq "red"`,
  `${ACME}:tags co "LU"`,
  `${ACME}:tags pr`,
  `${ACME}:tags ne "red"`,
  `${ACME}:hired eq "2010-01-23T04:56:22Z"`,
  `${ACME}:hired gt "2011-01-01T00:00:00"`,
  'groups pr',
  'groups.value eq "g-eng"',
  'groups.display eq "sales"',
  'groups[display sw "ENG" and type eq "direct"]',
  'not (groups pr)',
  'title pr and userType eq "Employee"',
  'title pr or userType eq "Employee"',
  'not (title pr) or active eq true',
  'not (userName sw "b" and (emails.type eq "work" or title eq "x"))',
  'not (emails[type eq "work"])',
];

export const GROUP_FILTERS: readonly string[] = [
  'displayName eq "engineering"',
  'displayName sw "E"',
  'displayName gt "F"',
  'members pr',
  'not (members pr)',
  'members.value eq "u-bjensen"',
  'members eq "G-ENG"',
  'members.type eq "user"',
  'members[type eq "Group"]',
  'members.display co "smith"',
  'members[display eq "babs jensen" or value eq "g-eng"]',
  'members.value ne "u-jsmith"',
  'meta.resourceType eq "Group"',
];
