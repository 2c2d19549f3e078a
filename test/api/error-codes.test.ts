import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_ERROR_CODES } from "../../src/directory/app-errors.js";
import { APP_ERROR_STATUS } from "../../src/http/api-errors.js";

const DOCS = readFileSync(new URL("../../docs/management-api.md", import.meta.url), "utf8");

describe("the management API's error codes", () => {
  it("are documented in docs/management-api.md with their status, and nothing else is", () => {
    const documented = [...DOCS.matchAll(/^\| `(\w+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]);
    expect(documented.sort()).toEqual(APP_ERROR_CODES.map((code) => [code, APP_ERROR_STATUS[code]]).sort());
  });

  it("answer 410 for cursorExpired", () => {
    expect(APP_ERROR_STATUS.cursorExpired).toBe(410);
  });
});
