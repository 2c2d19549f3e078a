import { SCIM_LIST_RESPONSE_SCHEMA } from "../schema/core-schemas.js";

export interface ListResponseInput {
  /** Resources already serialised and projected. */
  readonly resources: readonly Readonly<Record<string, unknown>>[];
  readonly totalResults: number;
  /** Index paging: the 1-based index of the first result. Omitted for cursor paging. */
  readonly startIndex?: number;
  /** Defaults to the number of resources. */
  readonly itemsPerPage?: number;
  /** RFC 9865 cursor paging: the cursor of the next page; absent on the last page. */
  readonly nextCursor?: string;
  /** RFC 9865 cursor paging: the cursor of the previous page, when known. */
  readonly previousCursor?: string;
}

/** RFC 7644 §3.4.2 ListResponse, with RFC 9865 `nextCursor` / `previousCursor`. `Resources` is always present. */
export function serializeListResponse(input: ListResponseInput): Record<string, unknown> {
  return {
    schemas: [SCIM_LIST_RESPONSE_SCHEMA],
    totalResults: input.totalResults,
    itemsPerPage: input.itemsPerPage ?? input.resources.length,
    ...(input.startIndex === undefined ? {} : { startIndex: input.startIndex }),
    ...(input.nextCursor === undefined ? {} : { nextCursor: input.nextCursor }),
    ...(input.previousCursor === undefined ? {} : { previousCursor: input.previousCursor }),
    Resources: [...input.resources],
  };
}
