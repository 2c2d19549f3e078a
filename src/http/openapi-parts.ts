/**
 * The building blocks every part of the management API's OpenAPI document is written with
 * (api-openapi.ts and the openapi-*.ts it spreads in): one definition of a reference, a JSON
 * answer, a parameter, a page.
 */

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const jsonContent = (schema: unknown) => ({ "application/json": { schema } });
export const ok = (description: string, schema: unknown) => ({ description, content: jsonContent(schema) });
export const error = (description: string) => ({ description, content: jsonContent(ref("Error")) });
export const body = (schema: unknown) => ({ required: true, content: jsonContent(schema) });
export const NO_CONTENT = { "204": { description: "Done; no body." } };
export const idParam = (name: string, description: string) => ({ name, in: "path", required: true, schema: { type: "string" }, description });
export const queryParam = (name: string, schema: unknown, description: string) => ({ name, in: "query", required: false, schema, description });
export const TENANT = idParam("tenant", "The tenant's slug.");
export const LIMIT = queryParam("limit", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size.");
export const PAGING = [LIMIT, queryParam("cursor", { type: "string" }, "nextCursor of the previous page, unchanged; same filters.")];
/** A listing's answer: `{"data": [item], "nextCursor"}`; `whenNull` says what a null cursor means. */
export const page = (item: string, whenNull = "null on the last page") => ({
  type: "object",
  required: ["data", "nextCursor"],
  properties: { data: { type: "array", items: ref(item) }, nextCursor: { type: ["string", "null"], description: whenNull } },
});
