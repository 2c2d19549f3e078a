import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseProfile } from "../../src/directory/profile-yaml.js";

const EXAMPLES = ["fleetio", "fleet", "fulcrum", "fluid", "flosum"] as const;

describe("examples/profiles", () => {
  it.each(EXAMPLES)("%s.yaml loads without a problem", async (name) => {
    const file = new URL(`../../examples/profiles/${name}.yaml`, import.meta.url);
    const result = parseProfile(await readFile(file, "utf8"), `${name}.yaml`);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
