/** Limits of the SCIM API; /ServiceProviderConfig advertises exactly these. */
export interface ScimLimits {
  /** Largest request body on every endpoint but /Bulk, in bytes. */
  readonly maxBodyBytes: number;
  readonly defaultPageSize: number;
  /** Also advertised as `filter.maxResults`. */
  readonly maxPageSize: number;
  readonly bulkMaxOperations: number;
  readonly bulkMaxPayloadBytes: number;
}

export const DEFAULT_LIMITS: ScimLimits = {
  maxBodyBytes: 1_048_576,
  defaultPageSize: 100,
  maxPageSize: 1_000,
  bulkMaxOperations: 1_000,
  bulkMaxPayloadBytes: 4_194_304,
};
