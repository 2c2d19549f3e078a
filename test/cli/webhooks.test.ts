import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getTenantBySlug } from "../../src/directory/tenants.js";
import { startDispatcher } from "../../src/events/dispatcher.js";
import { parseSecretKey } from "../../src/events/secret-box.js";
import { openStore } from "../../src/store/open-store.js";
import { startReceiver } from "../webhooks/receiver.js";
import { appendTestEvents, eventually, fastSettings, LOOPBACK_ALLOWED, newKeyText } from "../webhooks/support.js";
import { assertBuilt, cliEnv, lastLine, runRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;
let keyText: string;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  keyText = newKeyText();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path, ROSTER_SECRET_KEY: keyText, ROSTER_WEBHOOK_ALLOW_PRIVATE: LOOPBACK_ALLOWED });
  expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
});
afterEach(() => db.dispose());

interface Created {
  id: string;
  secret: string;
  tenant: string;
  url: string;
  events: string[];
}

async function create(extra: readonly string[] = [], environment = env): Promise<Created> {
  const result = await runRoster(["webhooks", "create", "--tenant", "acme", "--url", "https://app.example.com/hook", "--json", ...extra], environment);
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
  return JSON.parse(lastLine(result.stdout)) as Created;
}

/** Exit status and the one line on stderr. */
async function refusal(args: readonly string[], environment = env): Promise<{ code: number | null; message: string }> {
  const result = await runRoster(args, environment);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  return { code: result.code, message: result.stderr.trim() };
}

describe("roster webhooks create", () => {
  it("prints {id, secret, tenant, url, events} as the last line with --json", async () => {
    const created = await create(["--events", "user.*, group.member_added,user.*"]);
    expect(created).toEqual({
      id: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      tenant: "acme",
      url: "https://app.example.com/hook",
      events: ["user.*", "group.member_added"],
    });
    expect((await create()).events).toEqual(["*"]);
  });

  it("prints the secret once in text form", async () => {
    const result = await runRoster(["webhooks", "create", "--tenant", "acme", "--url", "http://127.0.0.1:3000/hook"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Created webhook [0-9a-f-]{36} for tenant "acme": POST http:\/\/127\.0\.0\.1:3000\/hook on \*\.$/m);
    expect(result.stdout).toMatch(/^ {2}whsec_[A-Za-z0-9+/]{43}=$/m);
  });

  it.each([
    [["--url", "https://app.example.com"], 2, "roster: webhooks create: --tenant is required (see: roster webhooks create --help)"],
    [["--tenant", "acme"], 2, "roster: webhooks create: --url is required (see: roster webhooks create --help)"],
    [
      ["--tenant", "acme", "--url", "http://app.example.com/hook"],
      2,
      'roster: webhooks create: --url: "http://app.example.com/hook" must use https (plain http is allowed only to localhost, *.localhost, 127.0.0.0/8 and ::1)',
    ],
    [["--tenant", "acme", "--url", "https://app.example.com", "--events", "user.create"], 2, 'roster: webhooks create: --events: "user.create" is not an event type pattern; expected *, user.*, group.*, role.*'],
    [["--tenant", "acme", "--url", "https://app.example.com", "--events", ""], 2, 'roster: webhooks create: --events: "" is not an event type pattern'],
    [["--tenant", "nope", "--url", "https://app.example.com"], 1, 'roster: tenant "nope" does not exist (see: roster tenants list)'],
    [["--tenant", "acme", "--url", "https://app.example.com", "--secret", "x"], 2, "roster: webhooks create: unknown option '--secret'"],
    [
      ["--tenant", "acme", "--url", "https://10.0.0.1:8443/hook"],
      2,
      'roster: webhooks create: --url: "https://10.0.0.1:8443/hook" is refused: 10.0.0.1 is a private address (10.0.0.0/8); webhooks reach only public addresses unless the operator allows more with ROSTER_WEBHOOK_ALLOW_PRIVATE',
    ],
    [["--tenant", "acme", "--url", "https://metadata.google.internal/computeMetadata/v1/"], 2, 'roster: webhooks create: --url: "https://metadata.google.internal/computeMetadata/v1/" is refused: metadata.google.internal names a cloud metadata service'],
  ])("refuses %j with exit %i", async (args, code, message) => {
    const result = await refusal(["webhooks", "create", ...args]);
    expect(result.code).toBe(code);
    expect(result.message.startsWith(message), result.message).toBe(true);
  });

  it("refuses without ROSTER_SECRET_KEY, with a malformed one, and with another key than the existing webhooks'", async () => {
    const args = ["webhooks", "create", "--tenant", "acme", "--url", "https://app.example.com/hook"];
    const { ROSTER_SECRET_KEY: _key, ...noKey } = env;
    expect(await refusal(args, noKey)).toEqual({
      code: 1,
      message:
        "roster: webhooks create: ROSTER_SECRET_KEY is not set; webhook signing secrets are encrypted with it, and roster serve needs the same key; make one with: openssl rand -base64 32",
    });
    expect(await refusal(args, { ...env, ROSTER_SECRET_KEY: "c2hvcnQ=" })).toEqual({
      code: 2,
      message: "roster: webhooks create: ROSTER_SECRET_KEY decodes to 5 bytes; it must be 32 random bytes in base64 — make one with: openssl rand -base64 32",
    });
    const first = await create();
    const other = await refusal(args, { ...env, ROSTER_SECRET_KEY: newKeyText() });
    expect(other.code).toBe(1);
    expect(other.message).toBe(
      `roster: webhooks create: ROSTER_SECRET_KEY cannot decrypt the signing secret of webhook ${first.id}: the key changed since it was created; set the previous key again, or delete the webhooks and create them anew (roster webhooks delete <id>)`,
    );
  });
});

describe("roster webhooks list, disable, enable, delete", () => {
  it("lists webhooks without their secrets, in text and JSON", async () => {
    const created = await create(["--events", "group.*"]);
    const text = await runRoster(["webhooks", "list", "--tenant", "acme"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${created.id}  https://app\\.example\\.com/hook  group\\.\\*  enabled  \\S+$`, "m"));
    const json = await runRoster(["webhooks", "list", "--tenant", "acme", "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: created.id, url: "https://app.example.com/hook", events: ["group.*"], enabled: true, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    for (const output of [text.stdout, json.stdout]) expect(output).not.toContain(created.secret.slice("whsec_".length));
  });

  it("says how to create one when the tenant has none, and refuses an unknown tenant", async () => {
    const result = await runRoster(["webhooks", "list", "--tenant", "acme"], env);
    expect(result.stdout.trim()).toBe('Tenant "acme" has no webhooks. Create one: npx roster webhooks create --tenant acme --url https://…');
    expect(await refusal(["webhooks", "list", "--tenant", "nope"])).toEqual({ code: 1, message: 'roster: tenant "nope" does not exist (see: roster tenants list)' });
    expect((await refusal(["webhooks", "list"])).code).toBe(2);
  });

  it("disables, enables and deletes a webhook by id", async () => {
    const created = await create();
    const disabled = await runRoster(["webhooks", "disable", created.id, "--json"], env);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: created.id, enabled: false });
    const text = await runRoster(["webhooks", "disable", created.id], env);
    expect(text.stdout).toContain(`Disabled webhook ${created.id}: it receives nothing until enabled`);
    const enabled = await runRoster(["webhooks", "enable", created.id], env);
    expect(enabled).toMatchObject({ code: 0, stdout: `Enabled webhook ${created.id}: it receives the events from now on.\n` });
    expect(await runRoster(["webhooks", "delete", created.id, "--json"], env)).toMatchObject({ code: 0, stdout: `{"id":"${created.id}","deleted":true}\n` });
    expect(JSON.parse((await runRoster(["webhooks", "list", "--tenant", "acme", "--json"], env)).stdout)).toEqual([]);
    for (const sub of ["disable", "enable", "delete", "deliveries"]) {
      expect(await refusal(["webhooks", sub, created.id])).toEqual({ code: 1, message: `roster: webhooks ${sub}: webhook "${created.id}" does not exist` });
      expect(await refusal(["webhooks", sub])).toEqual({ code: 2, message: `roster: webhooks ${sub}: missing <id> (see: roster webhooks ${sub} --help)` });
    }
  });

  it("refuses an unknown subcommand and prints help", async () => {
    expect(await refusal(["webhooks", "rotate"])).toEqual({
      code: 2,
      message: 'roster: webhooks: unknown subcommand "rotate"; expected create, list, disable, enable, delete, deliveries, replay (see: roster webhooks --help)',
    });
    const help = await runRoster(["webhooks", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("roster webhooks replay <id> --since <cursor|time>");
  });
});

describe("roster webhooks deliveries and replay", () => {
  /** One failed and one succeeded delivery, made by a real dispatcher against a real receiver. */
  async function deliveriesMade(): Promise<{ id: string; failedSequence: number }> {
    const receiver = await startReceiver();
    const created = await create(["--url", `${receiver.url}/hook`]);
    const store = await openStore(db.path);
    try {
      const tenant = await getTenantBySlug(store, "acme");
      const [doomed] = await appendTestEvents(store, tenant, [
        { type: "user.created", resourceId: "u1" },
        { type: "group.created", resourceId: "g1" },
      ]);
      receiver.behave((request) => (request.id === doomed!.id ? { status: 500 } : { status: 200 }));
      const dispatcher = startDispatcher({ store, key: parseSecretKey(keyText), settings: fastSettings({ maxAttempts: 2 }) });
      try {
        const done = await eventually(
          "one failed and one succeeded delivery",
          () => store.transaction((s) => s.listDeliveries(created.id, { limit: 10 })),
          (list) => list.filter((d) => d.status === "failed").length === 1 && list.filter((d) => d.status === "succeeded").length === 1,
        );
        return { id: created.id, failedSequence: done.find((d) => d.status === "failed")!.eventSeq };
      } finally {
        await dispatcher.close();
      }
    } finally {
      await store.close();
      await receiver.close();
    }
  }

  it("lists deliveries newest first with attempts and the last result, filtered by status", async () => {
    const { id } = await deliveriesMade();
    const all = JSON.parse((await runRoster(["webhooks", "deliveries", id, "--json"], env)).stdout) as { eventType: string; status: string }[];
    expect(all.map((d) => [d.eventType, d.status])).toEqual([
      ["group.created", "succeeded"],
      ["user.created", "failed"],
    ]);
    const failed = JSON.parse((await runRoster(["webhooks", "deliveries", id, "--status", "failed", "--json"], env)).stdout) as unknown[];
    expect(failed).toEqual([
      expect.objectContaining({ eventType: "user.created", resource: { type: "User", id: "u1" }, status: "failed", attempts: 2, lastStatus: 500, lastError: "HTTP 500: receiver says 500", nextAttemptAt: null }),
    ]);
    const text = await runRoster(["webhooks", "deliveries", id, "--status", "failed"], env);
    expect(text.stdout).toMatch(/^CREATED\s+EVENT\s+SEQUENCE\s+RESOURCE\s+STATUS\s+ATTEMPTS\s+LAST RESULT\s+NEXT ATTEMPT$/m);
    expect(text.stdout).toMatch(/ user\.created +\d+ +User u1 +failed +2 +HTTP 500: receiver says 500 +-$/m);
    expect((await runRoster(["webhooks", "deliveries", id, "--status", "pending"], env)).stdout.trim()).toBe(`Webhook ${id} has no pending deliveries.`);
    expect(JSON.parse((await runRoster(["webhooks", "deliveries", id, "--limit", "1", "--json"], env)).stdout)).toHaveLength(1);
    expect(await refusal(["webhooks", "deliveries", id, "--status", "lost"])).toEqual({
      code: 2,
      message: 'roster: webhooks deliveries: --status: expected one of pending, succeeded, failed, got "lost"',
    });
    expect(await refusal(["webhooks", "deliveries", id, "--limit", "0"])).toEqual({
      code: 2,
      message: 'roster: webhooks deliveries: --limit "0" is not an integer from 1 to 1000',
    });
  });

  it("replays since a cursor or a time, and refuses what it cannot replay", async () => {
    const { id, failedSequence } = await deliveriesMade();
    const since = String(failedSequence - 1);
    const replayed = await runRoster(["webhooks", "replay", id, "--since", since], env);
    expect(replayed).toMatchObject({ code: 0, stdout: `Queued 2 deliveries of the events after cursor ${since} for webhook ${id}; roster serve sends them.\n` });
    // One replay pending at a time: nothing sends these two here, so a second replay is refused.
    expect(await refusal(["webhooks", "replay", id, "--since", "2000-01-01", "--json"])).toEqual({
      code: 1,
      message: `roster: webhooks replay: webhook "${id}" has 2 deliveries of an earlier replay still pending; one replay at a time: replay again once they are sent (list them with status=pending)`,
    });
    const pending = JSON.parse((await runRoster(["webhooks", "deliveries", id, "--status", "pending", "--json"], env)).stdout) as unknown[];
    expect(pending).toHaveLength(2);

    expect(await refusal(["webhooks", "replay", id])).toEqual({ code: 2, message: "roster: webhooks replay: --since is required (see: roster webhooks replay --help)" });
    expect(await refusal(["webhooks", "replay", id, "--since", "last week"])).toEqual({
      code: 2,
      message: 'roster: webhooks replay: --since: "last week" is neither a feed cursor (digits) nor an ISO 8601 time such as 2026-11-23T12:00:00Z',
    });
    // Well-formed, but past what the tenant has: a refusal (1), as \`roster events --after\` answers it.
    expect(await refusal(["webhooks", "replay", id, "--since", "999999"])).toEqual({
      code: 1,
      message: `roster: webhooks replay: --since: cursor 999999 is after the tenant's last event (${failedSequence + 1})`,
    });
    expect(await refusal(["webhooks", "replay", "nope", "--since", "0"])).toEqual({ code: 1, message: 'roster: webhooks replay: webhook "nope" does not exist' });
  });
});

describe("roster webhooks create and ROSTER_WEBHOOK_ALLOW_PRIVATE", () => {
  it("refuses a loopback receiver by default and admits it when the variable allows it", async () => {
    const { ROSTER_WEBHOOK_ALLOW_PRIVATE: _allowed, ...strict } = env;
    const args = ["webhooks", "create", "--tenant", "acme", "--url", "http://127.0.0.1:3000/hook", "--json"];
    expect(await refusal(args, strict)).toEqual({
      code: 2,
      message:
        'roster: webhooks create: --url: "http://127.0.0.1:3000/hook" is refused: 127.0.0.1 is a loopback address (127.0.0.0/8); webhooks reach only public addresses unless the operator allows more with ROSTER_WEBHOOK_ALLOW_PRIVATE (true, or ranges such as 10.0.0.0/8,fd00::/8; see docs/webhooks.md#private-destinations)',
    });
    expect(JSON.parse(lastLine((await runRoster(["webhooks", "list", "--tenant", "acme", "--json"], strict)).stdout))).toEqual([]);
    for (const allowed of ["true", "127.0.0.1"]) {
      const result = await runRoster(args, { ...strict, ROSTER_WEBHOOK_ALLOW_PRIVATE: allowed });
      expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
    }
  });

  it("refuses a malformed ROSTER_WEBHOOK_ALLOW_PRIVATE with exit 2, naming it", async () => {
    expect(await refusal(["webhooks", "create", "--tenant", "acme", "--url", "https://app.example.com/hook"], { ...env, ROSTER_WEBHOOK_ALLOW_PRIVATE: "all" })).toEqual({
      code: 2,
      message:
        'roster: webhooks create: ROSTER_WEBHOOK_ALLOW_PRIVATE: "all" does not start with an IPv4 or IPv6 address; expected true, false, or CIDR ranges separated by commas, such as 10.0.0.0/8,fd00::/8',
    });
  });
});

describe("roster serve with webhooks", () => {
  it("refuses to start without ROSTER_SECRET_KEY once a webhook exists, saying how to make one", async () => {
    await create();
    const { ROSTER_SECRET_KEY: _key, ...noKey } = env;
    expect(await refusal(["serve", "--port", "0"], noKey)).toEqual({
      code: 1,
      message:
        "roster: serve: ROSTER_SECRET_KEY is not set, and 1 webhook has its signing secret encrypted with it; set the key they were created with (for a new installation, make one with: openssl rand -base64 32)",
    });
  });

  it("refuses to start with another key than the webhooks were created with", async () => {
    const created = await create();
    const result = await refusal(["serve", "--port", "0"], { ...env, ROSTER_SECRET_KEY: newKeyText() });
    expect(result).toEqual({
      code: 1,
      message: `roster: serve: ROSTER_SECRET_KEY cannot decrypt the signing secret of webhook ${created.id}: the key changed since it was created; set the previous key again, or delete the webhooks and create them anew (roster webhooks delete <id>)`,
    });
  });

  it.each([
    [{ ROSTER_SECRET_KEY: "not a key" }, "roster: serve: ROSTER_SECRET_KEY is not base64 (it has characters outside A-Z a-z 0-9 + / = - _); make one with: openssl rand -base64 32"],
    [{ ROSTER_WEBHOOK_TIMEOUT_MS: "soon" }, 'roster: serve: ROSTER_WEBHOOK_TIMEOUT_MS "soon" is not an integer from 1 to 600000'],
    [{ ROSTER_WEBHOOK_CONCURRENCY: "0" }, 'roster: serve: ROSTER_WEBHOOK_CONCURRENCY "0" is not an integer from 1 to 1000'],
    [
      { ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.0.0.0/8;fd00::/8" },
      'roster: serve: ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.0.0.0/8;fd00::/8" has a prefix length that is not a number from 0 to 32; expected true, false, or CIDR ranges separated by commas, such as 10.0.0.0/8,fd00::/8',
    ],
    [
      { ROSTER_WEBHOOK_TIMEOUT_MS: "5000", ROSTER_WEBHOOK_LEASE_MS: "5000" },
      "roster: serve: ROSTER_WEBHOOK_LEASE_MS (5000) must be greater than ROSTER_WEBHOOK_TIMEOUT_MS (5000): a claim must outlast the attempt it covers",
    ],
  ])("refuses to start with %j", async (extra, message) => {
    expect(await refusal(["serve", "--port", "0"], { ...env, ...extra })).toEqual({ code: 2, message });
  });
});
