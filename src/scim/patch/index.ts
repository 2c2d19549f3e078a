export { applyPatch } from "./apply-patch.js";
export { parsePatchRequest } from "./parse-patch-request.js";
export {
  DEFAULT_PATCH_QUIRKS,
  type ApplyPatchOptions,
  type ExternalChange,
  type ExternalMemberValue,
  type ParsePatchOptions,
  type PatchOperation,
  type PatchQuirks,
  type PatchResult,
  type PatchTarget,
  type ScimDocument,
} from "./types.js";
