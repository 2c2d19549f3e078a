/**
 * Strings must be valid Unicode on the way in: a UTF-16 surrogate without its partner
 * (JSON's `"\ud800"`) is not a character, PostgreSQL's `jsonb` refuses it once stored
 * (every unindexed filter of the tenant then fails) and strict JSON parsers refuse an
 * answer holding it. `String.prototype.isWellFormed` is Node 22's; this is the same test.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds a high surrogate not followed by a low one, or a low one not preceded by a high one. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Where in a parsed JSON value a lone surrogate is: the attribute path, or the key named. */
export interface LoneSurrogateAt {
  /** e.g. `name.givenName`, `emails[0].value`, `Operations[2].data`; empty for the value itself. */
  readonly path: string;
  /** True when the key at `path` is the ill-formed string, not its value. */
  readonly inKey: boolean;
}

interface Visit {
  readonly value: unknown;
  readonly parent: Visit | undefined;
  /** Object key or array index under `parent`. */
  readonly step: string | number | undefined;
}

function pathOf(visit: Visit): string {
  const steps: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.step !== undefined; at = at.parent) steps.push(at.step);
  let path = "";
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as string | number;
    if (typeof step === "number") path += `[${step}]`;
    else path += path === "" ? describeKey(step) : `.${describeKey(step)}`;
  }
  return path;
}

/** A key as a SCIM path shows it; one holding anything unusual (a lone surrogate too) in JSON escapes. */
function describeKey(key: string): string {
  return /^[A-Za-z0-9_$:.\-]+$/.test(key) ? key : JSON.stringify(key);
}

/**
 * Finds the first lone surrogate in a parsed JSON value (strings and object keys, at any
 * depth). The walk keeps its own stack, so a body nested thousands of levels deep cannot
 * overflow the call stack; it visits each node once (the body limit bounds their number).
 */
export function findLoneSurrogate(value: unknown): LoneSurrogateAt | undefined {
  // Every request passes here (a GET with no body, an empty query): no allocation for those.
  if (typeof value !== "object" || value === null) {
    return typeof value === "string" && LONE_SURROGATE.test(value) ? { path: "", inKey: false } : undefined;
  }
  const stack: Visit[] = [{ value, parent: undefined, step: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const current = visit.value;
    if (typeof current === "string") {
      if (LONE_SURROGATE.test(current)) return { path: pathOf(visit), inKey: false };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], parent: visit, step: i });
    } else if (typeof current === "object" && current !== null) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const child: Visit = { value: (current as Record<string, unknown>)[key], parent: visit, step: key };
        if (LONE_SURROGATE.test(key)) return { path: pathOf(child), inKey: true };
        stack.push(child);
      }
    }
  }
  return undefined;
}

/** The detail of the 400 for a lone surrogate found in `where` ("the request body", "the query parameter filter"). */
export function describeLoneSurrogate(where: string, found: LoneSurrogateAt): string {
  const at = found.path === "" ? "" : found.inKey ? ` in the key of ${found.path}` : ` at ${found.path}`;
  return `${where} holds a string that is not valid Unicode${at}: an unpaired UTF-16 surrogate (as "\\ud800" in JSON); send text as UTF-8 or escape characters outside the Basic Multilingual Plane as a surrogate pair`;
}
