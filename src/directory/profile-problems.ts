import type { ProfileProblem } from "./profile-yaml.js";
import type { ProfileError } from "./tenant-profiles.js";

/**
 * A problem of a refused profile as the management API answers it. `line` and `column` are
 * 1-based positions in the YAML text sent; null when the profile came as a JSON object (the
 * YAML it is turned into is Roster's, not the sender's), and `path` then says where.
 */
export interface ProfileProblemData {
  readonly line: number | null;
  readonly column: number | null;
  readonly path: string | null;
  readonly message: string;
}

/** The `error` of a `400 invalidProfile` answer: every problem at once, in line order. */
export interface InvalidProfileBody {
  readonly code: "invalidProfile";
  readonly message: string;
  readonly problems: readonly ProfileProblemData[];
}

function located(problem: ProfileProblem, positions: boolean): ProfileProblemData {
  return { line: positions ? problem.line : null, column: positions ? problem.column : null, path: problem.path, message: problem.message };
}

/** The most problems one answer lists (a 1 MiB text can hold tens of thousands): the first ones, in line order. */
export const MAX_PROFILE_PROBLEMS = 1000;

/** Turns a refused profile into the body of its 400 (POST /tenants with a profile, PUT and check …/profile). */
export function profileProblems(error: ProfileError): InvalidProfileBody {
  const problems = error.problems.slice(0, MAX_PROFILE_PROBLEMS).map((problem) => located(problem, error.positions));
  const first = problems[0];
  const where = first === undefined ? "" : [first.line === null ? undefined : `line ${first.line}, column ${first.column}`, first.path ?? undefined].filter((part) => part !== undefined).join(", ");
  const total = error.problems.length;
  const count = total === 1 ? "1 problem" : total > problems.length ? `${total} problems, the first ${problems.length} listed` : `${total} problems`;
  const message = first === undefined ? "the profile is not valid" : `the profile is not valid (${count}; see problems): ${where === "" ? "" : `${where}: `}${first.message}`;
  return { code: "invalidProfile", message, problems };
}
