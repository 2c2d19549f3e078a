import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const MAX_RESULTS = 7;

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster({ limits: { maxPageSize: MAX_RESULTS, defaultPageSize: 5 } });
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`list-${counter}`);
}

const PEOPLE = [
  {
    userName: "alice@example.com",
    externalId: "ext-alice",
    displayName: "Alice Able",
    title: "Engineer",
    active: true,
    emails: [
      { value: "alice@example.com", type: "work", primary: true },
      { value: "alice@home.org", type: "home" },
    ],
    [ENTERPRISE]: { department: "R&D", employeeNumber: "3" },
  },
  {
    userName: "bob@example.com",
    externalId: "ext-bob",
    displayName: "Bob Baker",
    title: "Manager",
    active: false,
    emails: [{ value: "bob@corp.net", type: "work" }],
    [ENTERPRISE]: { department: "Sales", employeeNumber: "1" },
  },
  {
    userName: "carol@sample.org",
    externalId: "ext-carol",
    displayName: "Carol Cook",
    active: true,
    emails: [{ value: "carol@example.com", type: "home" }],
  },
  { userName: "dave@example.com", displayName: "Dave Dune", title: "Engineer", active: true },
  { userName: "Erin@Example.com", active: false },
] as const;

interface Fixture {
  readonly t: TestTenant;
  readonly ids: Readonly<Record<string, string>>;
  readonly users: readonly any[];
}

async function populate(): Promise<Fixture> {
  const t = await tenant();
  const ids: Record<string, string> = {};
  const users: any[] = [];
  for (const person of PEOPLE) {
    const schemas = ENTERPRISE in person ? [USER, ENTERPRISE] : [USER];
    const response = await t.scim("/Users", { body: { schemas, ...person } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    ids[person.userName.split("@")[0]!.toLowerCase()] = response.body.id;
    users.push(response.body);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  return { t, ids, users };
}

async function userNames(t: TestTenant, query: string): Promise<string[]> {
  const response = await t.scim(`/Users?${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.schemas).toEqual([LIST]);
  return (response.body.Resources ?? []).map((user: { userName: string }) => user.userName.split("@")[0]!.toLowerCase());
}

function f(filter: string): string {
  return `filter=${encodeURIComponent(filter)}&count=100`;
}

describe("filters on Users over HTTP", () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await populate();
  });

  const cases: readonly [string, readonly string[]][] = [
    ['userName eq "alice@example.com"', ["alice"]],
    ['userName eq "ALICE@EXAMPLE.COM"', ["alice"]],
    ['USERNAME eq "erin@example.com"', ["erin"]],
    ['userName ne "alice@example.com"', ["bob", "carol", "dave", "erin"]],
    ['userName co "@example"', ["alice", "bob", "dave", "erin"]],
    ['userName sw "c"', ["carol"]],
    ['userName ew ".org"', ["carol"]],
    ['title gt "F"', ["bob"]],
    ['title ge "Engineer"', ["alice", "bob", "dave"]],
    ['title lt "F"', ["alice", "dave"]],
    ['title le "Manager"', ["alice", "bob", "dave"]],
    ["title pr", ["alice", "bob", "dave"]],
    ["not (title pr)", ["carol", "erin"]],
    ["active eq true", ["alice", "carol", "dave"]],
    ["active eq false", ["bob", "erin"]],
    ['active eq true and title eq "Engineer"', ["alice", "dave"]],
    ['title eq "Manager" or userName sw "carol"', ["bob", "carol"]],
    ['(title eq "Manager" or title eq "Engineer") and active eq true', ["alice", "dave"]],
    ['title eq "Manager" or (title eq "Engineer" and active eq true)', ["alice", "bob", "dave"]],
    ['emails[type eq "work" and value ew "@example.com"]', ["alice"]],
    ['emails[type eq "home"]', ["alice", "carol"]],
    ['emails.value ew "@example.com"', ["alice", "carol"]],
    ['emails.type eq "work"', ["alice", "bob"]],
    ["emails pr", ["alice", "bob", "carol"]],
    ['externalId eq "ext-bob"', ["bob"]],
    ['externalId eq "EXT-BOB"', []],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dave@example.com"', ["dave"]],
    [`${ENTERPRISE}:department eq "Sales"`, ["bob"]],
    [`${ENTERPRISE}:employeeNumber pr`, ["alice", "bob"]],
    ['displayName co "a" and not (displayName co "Cook")', ["alice", "bob", "dave"]],
  ];

  it.each(cases)("filters %s", async (filter, expected) => {
    expect((await userNames(fixture.t, f(filter))).sort()).toEqual([...expected].sort());
  });

  it("filters meta.lastModified gt a timestamp", async () => {
    const pivot = fixture.users[2].meta.lastModified as string;
    expect((await userNames(fixture.t, f(`meta.lastModified gt "${pivot}"`))).sort()).toEqual(["dave", "erin"]);
    expect((await userNames(fixture.t, f(`meta.lastModified le "${pivot}"`))).sort()).toEqual(["alice", "bob", "carol"]);
  });

  it("filters by id", async () => {
    expect(await userNames(fixture.t, f(`id eq "${fixture.ids.bob}"`))).toEqual(["bob"]);
  });

  it("reports totalResults of the whole filtered set, not of the page", async () => {
    const response = await fixture.t.scim(`/Users?${encodeURIComponent("filter")}=${encodeURIComponent("userName co \"e\"")}&count=2`);
    expect(response.body).toMatchObject({ schemas: [LIST], totalResults: 5, itemsPerPage: 2, startIndex: 1 });
    expect(response.body.Resources).toHaveLength(2);
  });
});

describe("boolean sub-attributes in value paths", () => {
  it.each([
    ["emails[primary eq false]", ["explicit"]],
    ["emails[primary eq true]", ["primary"]],
    ["not (emails[primary eq false])", ["none", "primary", "unset"]],
    ["emails.primary eq false", ["explicit"]],
    ['emails[type eq "work" and primary eq false]', ["explicit"]],
    ["emails[primary pr]", ["explicit", "primary"]],
  ])("tells a missing primary from primary false: %s", async (filter, expected) => {
    const t = await tenant();
    const users = {
      primary: [{ value: "p@x.io", type: "work", primary: true }],
      explicit: [{ value: "e@x.io", type: "work", primary: false }],
      unset: [{ value: "u@x.io", type: "work" }],
      none: undefined,
    };
    for (const [userName, emails] of Object.entries(users)) {
      const response = await t.scim("/Users", { body: { schemas: [USER], userName, ...(emails === undefined ? {} : { emails }) } });
      expect(response.status).toBe(201);
    }
    const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(response.status).toBe(200);
    expect(response.body.Resources?.map((user: { userName: string }) => user.userName).sort() ?? []).toEqual(expected);
  });
});

describe("filters on Groups over HTTP", () => {
  it("filters groups by displayName, externalId and members.value", async () => {
    const { t, ids } = await populate();
    const make = async (displayName: string, members: string[], externalId?: string) => {
      const response = await t.scim("/Groups", {
        body: { schemas: [GROUP], displayName, ...(externalId === undefined ? {} : { externalId }), members: members.map((value) => ({ value })) },
      });
      expect(response.status).toBe(201);
      return response.body.id as string;
    };
    const eng = await make("Engineering", [ids.alice!, ids.dave!], "g-eng");
    const sales = await make("Sales", [ids.bob!]);
    await make("Empty", []);
    const names = async (filter: string) => {
      const response = await t.scim(`/Groups?filter=${encodeURIComponent(filter)}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return (response.body.Resources ?? []).map((group: { displayName: string }) => group.displayName).sort();
    };
    expect(await names('displayName eq "engineering"')).toEqual(["Engineering"]);
    expect(await names('externalId eq "g-eng"')).toEqual(["Engineering"]);
    expect(await names(`members.value eq "${ids.dave}"`)).toEqual(["Engineering"]);
    expect(await names(`members[value eq "${ids.bob}"]`)).toEqual(["Sales"]);
    expect(await names("members pr")).toEqual(["Engineering", "Sales"]);
    expect(await names("not (members pr)")).toEqual(["Empty"]);
    expect(await names(`id eq "${sales}" or id eq "${eng}"`)).toEqual(["Engineering", "Sales"]);
    expect(await names('displayName sw "E"')).toEqual(["Empty", "Engineering"]);
  });
});

describe("sorting", () => {
  it("sorts by userName ascending and descending", async () => {
    const { t } = await populate();
    expect(await userNames(t, "sortBy=userName&count=100")).toEqual(["alice", "bob", "carol", "dave", "erin"]);
    expect(await userNames(t, "sortBy=userName&sortOrder=descending&count=100")).toEqual(["erin", "dave", "carol", "bob", "alice"]);
  });

  it("sorts by an extension attribute and by a sub-attribute", async () => {
    const { t } = await populate();
    const byNumber = await userNames(t, `sortBy=${encodeURIComponent(`${ENTERPRISE}:employeeNumber`)}&count=100`);
    expect(byNumber.slice(0, 2)).toEqual(["bob", "alice"]);
    expect(byNumber).toHaveLength(5);
    const byEmail = await userNames(t, "sortBy=emails.value&count=100");
    expect(byEmail).toHaveLength(5);
  });

  it("orders users without a value last when ascending and first when descending (RFC 7644 §3.4.2.3)", async () => {
    const { t } = await populate();
    const titles = async (query: string) =>
      ((await t.scim(`/Users?${query}`)).body.Resources as { title?: string }[]).map((user) => user.title ?? null);
    expect(await titles("sortBy=title&count=100")).toEqual(["Engineer", "Engineer", "Manager", null, null]);
    expect(await titles("sortBy=title&sortOrder=descending&count=100")).toEqual([null, null, "Manager", "Engineer", "Engineer"]);
    const walked: (string | null)[] = [];
    const ids = new Set<string>();
    let cursor = "";
    for (let guard = 0; guard < 10; guard += 1) {
      const page = await t.scim(`/Users?sortBy=title&sortOrder=descending&count=2&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      for (const user of page.body.Resources as { id: string; title?: string }[]) {
        walked.push(user.title ?? null);
        ids.add(user.id);
      }
      if (page.body.nextCursor === undefined) break;
      cursor = page.body.nextCursor;
    }
    expect(walked).toEqual([null, null, "Manager", "Engineer", "Engineer"]);
    expect(ids.size).toBe(5);
  });

  it("answers an unknown sortBy with 400 invalidValue", async () => {
    const { t } = await populate();
    const response = await t.scim("/Users?sortBy=shoeSize");
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidValue");
  });
});

describe("index paging", () => {
  it("pages with 1-based startIndex and count", async () => {
    const { t } = await populate();
    const page = await t.scim("/Users?sortBy=userName&startIndex=2&count=2");
    expect(page.body).toMatchObject({ totalResults: 5, itemsPerPage: 2, startIndex: 2 });
    expect(page.body.Resources.map((user: { userName: string }) => user.userName)).toEqual(["bob@example.com", "carol@sample.org"]);
    const past = await t.scim("/Users?sortBy=userName&startIndex=9&count=2");
    expect(past.body.totalResults).toBe(5);
    expect(past.body.Resources ?? []).toEqual([]);
  });

  it("treats startIndex below 1 as 1", async () => {
    const { t } = await populate();
    const page = await t.scim("/Users?sortBy=userName&startIndex=0&count=1");
    expect(page.body.startIndex).toBe(1);
    expect(page.body.Resources[0].userName).toBe("alice@example.com");
  });

  it("answers count=0 with totals only and no Resources", async () => {
    const { t } = await populate();
    const response = await t.scim("/Users?count=0");
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(5);
    expect(response.body.itemsPerPage ?? 0).toBe(0);
    expect(response.body.Resources ?? []).toEqual([]);
  });

  it("uses the default page size without count and clamps count to filter.maxResults", async () => {
    const t = await tenant();
    for (let index = 0; index < MAX_RESULTS + 2; index += 1) {
      expect((await t.scim("/Users", { body: { schemas: [USER], userName: `u${index}` } })).status).toBe(201);
    }
    const defaulted = await t.scim("/Users");
    expect(defaulted.body.totalResults).toBe(MAX_RESULTS + 2);
    expect(defaulted.body.Resources).toHaveLength(5);
    const clamped = await t.scim("/Users?count=1000");
    expect(clamped.body.Resources).toHaveLength(MAX_RESULTS);
    expect(clamped.body.itemsPerPage).toBe(MAX_RESULTS);
    const config = await t.scim("/ServiceProviderConfig");
    expect(config.body.filter.maxResults).toBe(MAX_RESULTS);
  });
});

describe("cursor paging (RFC 9865)", () => {
  it("walks every user once following nextCursor", async () => {
    const t = await tenant();
    const created = new Set<string>();
    for (let index = 0; index < 12; index += 1) {
      const response = await t.scim("/Users", { body: { schemas: [USER], userName: `cursor${index}@example.com` } });
      created.add(response.body.id);
    }
    const seen: string[] = [];
    let cursor = "";
    let pages = 0;
    for (;;) {
      const response = await t.scim(`/Users?count=5&cursor=${encodeURIComponent(cursor)}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.totalResults).toBe(12);
      expect(response.body.startIndex).toBeUndefined();
      seen.push(...response.body.Resources.map((user: { id: string }) => user.id));
      pages += 1;
      if (response.body.nextCursor === undefined) break;
      cursor = response.body.nextCursor;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen)).toEqual(created);
  });

  it("walks a filtered, sorted set with cursors", async () => {
    const { t } = await populate();
    const seen: string[] = [];
    let cursor = "";
    for (let guard = 0; guard < 10; guard += 1) {
      const response = await t.scim(
        `/Users?filter=${encodeURIComponent('userName co "e"')}&sortBy=userName&sortOrder=descending&count=2&cursor=${encodeURIComponent(cursor)}`,
      );
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      seen.push(...response.body.Resources.map((user: { userName: string }) => user.userName));
      if (response.body.nextCursor === undefined) break;
      cursor = response.body.nextCursor;
    }
    expect(seen).toEqual(["Erin@Example.com", "dave@example.com", "carol@sample.org", "bob@example.com", "alice@example.com"]);
  });

  it.each(["garbage", "eyJ4IjoxfQ", "%%%"])("answers the bad cursor %s with 400 invalidCursor", async (cursor) => {
    const { t } = await populate();
    const response = await t.scim(`/Users?cursor=${encodeURIComponent(cursor)}`);
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidCursor");
  });

  it("answers cursor with startIndex with 400", async () => {
    const { t } = await populate();
    const response = await t.scim("/Users?cursor=&startIndex=1");
    expect(response.status).toBe(400);
  });
});

describe("POST .search", () => {
  it("searches /Users/.search with a SearchRequest body", async () => {
    const { t } = await populate();
    const response = await t.scim("/Users/.search", {
      body: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        filter: "active eq true",
        sortBy: "userName",
        startIndex: 1,
        count: 2,
        attributes: ["userName"],
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      schemas: [LIST],
      totalResults: 3,
      itemsPerPage: 2,
      startIndex: 1,
      Resources: [
        { schemas: [USER], id: expect.any(String), userName: "alice@example.com" },
        { schemas: [USER], id: expect.any(String), userName: "carol@sample.org" },
      ],
    });
  });

  it("searches at the root across Users and Groups", async () => {
    const { t, ids } = await populate();
    await t.scim("/Groups", { body: { schemas: [GROUP], displayName: "Readers", members: [{ value: ids.alice }] } });
    const all = await t.scim("/.search", { body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"] } });
    expect(all.status).toBe(200);
    expect(all.body.totalResults).toBe(6);
    const byName = await t.scim("/.search", { body: { filter: 'displayName sw "Readers" or userName eq "bob@example.com"' } });
    expect(byName.status, JSON.stringify(byName.body)).toBe(200);
    expect(byName.body.totalResults).toBe(2);
    const kinds = byName.body.Resources.map((resource: { meta: { resourceType: string } }) => resource.meta.resourceType).sort();
    expect(kinds).toEqual(["Group", "User"]);
    const paged = await t.scim("/.search", { body: { startIndex: 5, count: 2 } });
    expect(paged.body.Resources).toHaveLength(2);
    expect(paged.body.Resources[1].meta.resourceType).toBe("Group");
  });

  it.each([
    ["not (userName pr)", 1],
    ['userName eq "bob@example.com" and displayName pr', 1],
    ['members pr or active eq false', 3],
    ['displayName co "a"', 5],
  ])("treats terms on attributes a type lacks as false for that type at the root: %s", async (filter, total) => {
    const { t, ids } = await populate();
    await t.scim("/Groups", { body: { schemas: [GROUP], displayName: "Readers", members: [{ value: ids.alice }] } });
    const response = await t.scim("/.search", { body: { filter } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.totalResults).toBe(total);
  });

  it("answers a root search with a type error on the only type that knows the attribute with 400 invalidFilter", async () => {
    const { t } = await populate();
    const response = await t.scim("/.search", { body: { filter: 'active eq "yes" or displayName pr' } });
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidFilter");
  });

  it("answers a root search with an attribute no type knows with 400 invalidFilter", async () => {
    const { t } = await populate();
    const response = await t.scim("/.search", { body: { filter: 'shoeSize eq "1"' } });
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidFilter");
  });

  it("answers a SearchRequest with wrong schemas with 400 invalidSyntax", async () => {
    const { t } = await populate();
    const response = await t.scim("/Users/.search", { body: { schemas: ["urn:wrong"], filter: "userName pr" } });
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidSyntax");
  });
});
