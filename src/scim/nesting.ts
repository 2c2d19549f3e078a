/**
 * How deep a request body may nest objects and arrays. The deepest body either API needs
 * is a PATCH whose value is an enterprise extension (`Operations[0].value.<urn>.manager.value`:
 * 5 levels), or a /Bulk operation's `data` holding one; 32 leaves room for any extension a
 * profile declares. A body nested thousands of levels deep made every recursive walk of it
 * (`JSON.stringify` among them) throw RangeError: 500s and requests missing from the log.
 */
export const MAX_NESTING_DEPTH = 32;

/** Where a body first nests past the limit: the attribute path of the container that does. */
export interface DeepNestingAt {
  /** e.g. `a.b[0].c`, truncated after 200 characters; empty when the value itself is the container. */
  readonly path: string;
}

/** One container on the walk's stack: its depth, and how it was reached (for the path in the error). */
export interface NestingVisit {
  readonly value: unknown;
  readonly parent: NestingVisit | undefined;
  /** Object key or array index under `parent`. */
  readonly step: string | number | undefined;
  /** 1 for the outermost object or array. */
  readonly depth: number;
}

const MAX_PATH_SHOWN = 200;

function pathOf(visit: NestingVisit): string {
  const steps: (string | number)[] = [];
  for (let at: NestingVisit | undefined = visit; at?.step !== undefined; at = at.parent) steps.push(at.step);
  let path = "";
  for (let i = steps.length - 1; i >= 0 && path.length <= MAX_PATH_SHOWN; i--) {
    const step = steps[i] as string | number;
    if (typeof step === "number") path += `[${step}]`;
    else path += path === "" ? describeKey(step) : `.${describeKey(step)}`;
  }
  return path.length > MAX_PATH_SHOWN ? `${path.slice(0, MAX_PATH_SHOWN)}…` : path;
}

function describeKey(key: string): string {
  return /^[A-Za-z0-9_$:.\-]+$/.test(key) ? key : JSON.stringify(key.slice(0, 40));
}

function isContainer(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/**
 * Finds the first object or array nested deeper than `maxDepth` in a parsed JSON value.
 * The walk keeps its own stack, so the check cannot overflow the call stack it protects,
 * and it never descends past `maxDepth + 1`: it visits each node at most once.
 * `measuredElsewhere` names subtrees another check measures from their own root (a /Bulk
 * operation's `data`: `isBulkOperationData`); they are not descended into.
 */
export function findDeepNesting(
  value: unknown,
  maxDepth: number = MAX_NESTING_DEPTH,
  measuredElsewhere?: (visit: NestingVisit) => boolean,
): DeepNestingAt | undefined {
  if (!isContainer(value)) return undefined;
  const stack: NestingVisit[] = [{ value, parent: undefined, step: undefined, depth: 1 }];
  while (stack.length > 0) {
    const visit = stack.pop() as NestingVisit;
    if (visit.depth > maxDepth) return { path: pathOf(visit) };
    if (measuredElsewhere?.(visit) === true) continue;
    const current = visit.value;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const element: unknown = current[i];
        if (isContainer(element)) stack.push({ value: element, parent: visit, step: i, depth: visit.depth + 1 });
      }
    } else {
      const entries = Object.entries(current as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, element] = entries[i] as [string, unknown];
        if (isContainer(element)) stack.push({ value: element, parent: visit, step: key, depth: visit.depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * A /Bulk request's `Operations[i].data` (RFC 7644 §3.7): each is a resource or PATCH body
 * of its own, measured from its own root when its operation runs, so that one operation
 * nested too deep is that operation's error and the others still run.
 */
export function isBulkOperationData(visit: NestingVisit): boolean {
  return visit.step === "data" && visit.depth === 4 && visit.parent?.parent?.step === "Operations";
}

/** The detail of the 400 for a body (`where`: "the request body", "Operations[2].data") nested past `maxDepth`. */
export function describeDeepNesting(where: string, found: DeepNestingAt, maxDepth: number = MAX_NESTING_DEPTH): string {
  const at = found.path === "" ? "" : ` at ${found.path}`;
  return `${where} nests objects and arrays deeper than ${maxDepth} levels${at}; no attribute needs more than ${maxDepth}`;
}
