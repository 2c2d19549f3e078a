import type { ResolvedFilter, ResolvedPath } from "../filter/ast.js";

/** A resource document as SCIM serialises it (see src/scim/resource/); the patch works on plain JSON. */
export type ScimDocument = Readonly<Record<string, unknown>>;

/**
 * Where one operation points, resolved against the resource schema.
 * `path.subAttribute` is `givenName` in `name.givenName` and `value` in
 * `emails[type eq "work"].value`; `filter` is the value-path filter, whose paths name
 * sub-attributes of `path.attribute`.
 */
export interface PatchTarget {
  /** The path as the client wrote it, for messages. */
  readonly text: string;
  readonly path: ResolvedPath;
  readonly filter?: ResolvedFilter;
}

/** One parsed operation of a PatchOp request (RFC 7644 §3.5.2). `index` is its position in `Operations`. */
export type PatchOperation =
  | { readonly op: "add" | "replace"; readonly index: number; readonly target?: PatchTarget; readonly value: unknown }
  | { readonly op: "remove"; readonly index: number; readonly target: PatchTarget; readonly values?: readonly unknown[] };

export interface ExternalMemberValue {
  readonly value: string;
  readonly type?: string;
  readonly display?: string;
}

/**
 * A change to an attribute stored outside the document (Group `members`), in request order.
 * The store applies these; `remove.filter` is a value-path filter over one element
 * (its paths name sub-attributes of the external attribute).
 */
export type ExternalChange =
  | { readonly kind: "add"; readonly attribute: string; readonly values: readonly ExternalMemberValue[] }
  | { readonly kind: "replaceAll"; readonly attribute: string; readonly values: readonly ExternalMemberValue[] }
  | { readonly kind: "removeAll"; readonly attribute: string }
  | { readonly kind: "remove"; readonly attribute: string; readonly filter: ResolvedFilter }
  | { readonly kind: "removeValues"; readonly attribute: string; readonly values: readonly string[] };

export interface PatchResult {
  readonly document: ScimDocument;
  /** False when every operation left the document as it was (RFC 7644 §3.5.2.1: re-adding a value is no change). */
  readonly changed: boolean;
  readonly external: readonly ExternalChange[];
  /** WriteOnly values the patch set (`{ password: "…" }`), kept out of `document` as the shared validator does. */
  readonly writeOnly: ScimDocument;
  /** Values left as stored that the schema no longer accepts, each described (ValidatedDocument.keptAsStored). */
  readonly keptAsStored?: readonly string[];
}

/**
 * IdP dialects Roster accepts, each on by default and each with a recorded fixture
 * that fails without it (test/idp/okta, test/idp/entra, test/scim/patch/fixtures/quirks.json).
 */
export interface PatchQuirks {
  /** Entra sends `"op": "Replace"`, `"Add"`, `"Remove"`; RFC 7644 spells them lower-case. */
  readonly caseInsensitiveOp: boolean;
  /** Entra sends booleans as the strings "True" / "False" (any case). */
  readonly lenientBooleans: boolean;
  /**
   * `replace` on `emails[type eq "work"].value` with no matching element adds one built
   * from the filter's `eq` terms plus the value (RFC 7644 §3.5.2.3 says `noTarget`);
   * Entra and Okta send such replaces for attributes the user never had.
   */
  readonly upsertOnValuePathReplace: boolean;
  /**
   * Entra removes members with `{"op":"Remove","path":"members","value":[{"value":"id"}]}`,
   * meaning "remove these values"; RFC 7644 §3.5.2.2 gives `remove` no value.
   * Without this quirk such an operation is rejected rather than removing every member.
   */
  readonly removeWithValue: boolean;
  /**
   * Okta's path-less group replace sends `{"id": …, "displayName": …, "members": […]}`:
   * read-only keys (id, meta, groups, …) in a path-less value are ignored unless the
   * document holds a different value for them.
   */
  readonly ignoreReadOnlyInPathlessValue: boolean;
  /** Entra sets the enterprise `manager` as a bare id string: `"value": "26118915-…"` means `{ "value": "26118915-…" }`. */
  readonly scalarForComplexValue: boolean;
}

export const DEFAULT_PATCH_QUIRKS: PatchQuirks = {
  caseInsensitiveOp: true,
  lenientBooleans: true,
  upsertOnValuePathReplace: true,
  removeWithValue: true,
  ignoreReadOnlyInPathlessValue: true,
  scalarForComplexValue: true,
};

export interface ParsePatchOptions {
  readonly quirks?: Partial<PatchQuirks>;
}

export interface ApplyPatchOptions {
  /** Top-level attributes stored outside the document (`members` for Groups): ops on them become ExternalChanges. */
  readonly externalAttributes?: ReadonlySet<string>;
  readonly quirks?: Partial<PatchQuirks>;
}

export function resolveQuirks(quirks: Partial<PatchQuirks> | undefined): PatchQuirks {
  return { ...DEFAULT_PATCH_QUIRKS, ...quirks };
}
