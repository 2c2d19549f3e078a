import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The project's documents and examples are read by people with only the repository: every link
// they follow must be in it, and nothing may point at a folder beside the project.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SKIP = new Set(["node_modules", "dist", ".git", ".bench-cache", "data", "coverage"]);

function walk(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const FILES = [
  ...["README.md", "CONTRIBUTING.md", "CHANGELOG.md"].map((name) => join(ROOT, name)),
  ...["docs", "examples", "src", "test", "bench", "bin", ".ci"].flatMap((folder) => walk(join(ROOT, folder))),
].filter((path) => /\.(md|ts|js|yaml|yml|json)$|\/run$/.test(path));
const MARKDOWN = FILES.filter((path) => path.endsWith(".md"));

// Spelled in two parts so that this file does not match itself.
const OUTSIDE = [["shared", "/seeds"], ["../", "shared"], ["/work", "/shared"]].map((parts) => parts.join(""));

describe("the repository's documents", () => {
  it("finds the files it checks", () => {
    expect(MARKDOWN.map((path) => relative(ROOT, path))).toEqual(expect.arrayContaining(["README.md", "docs/profiles.md", "docs/decisions/0009-managed-and-unmanaged.md"]));
    expect(FILES.map((path) => relative(ROOT, path))).toEqual(expect.arrayContaining(["examples/profiles/fleetio.yaml", "test/guides/fleetio.test.ts"]));
  });

  it("never points at a file outside the repository", () => {
    const found = FILES.flatMap((path) => {
      const text = readFileSync(path, "utf8");
      return OUTSIDE.filter((needle) => text.includes(needle)).map((needle) => `${relative(ROOT, path)}: ${needle}`);
    });
    expect(found).toEqual([]);
  });

  it("links only to files that exist, in every Markdown document", () => {
    const broken = MARKDOWN.flatMap((path) => {
      const text = readFileSync(path, "utf8").replace(/```[\s\S]*?```/g, "");
      return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1] ?? "")
        .filter((target) => !/^(https?:|mailto:|#)/.test(target))
        .filter((target) => !existsSync(join(dirname(path), decodeURIComponent(target.split("#")[0] ?? ""))))
        .map((target) => `${relative(ROOT, path)} → ${target}`);
    });
    expect(broken).toEqual([]);
  });

  it("introduces tenant profiles in the README: each example, the reference and how to change one", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const examples = readdirSync(join(ROOT, "examples", "profiles")).filter((name) => name.endsWith(".yaml"));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(examples.filter((name) => !readme.includes(name))).toEqual([]);
    expect(readme).toContain("(docs/profiles.md)");
    expect(readme).toMatch(/roster tenants update \S+ --profile /);
  });
});
