export type AttributeType =
  | "string"
  | "boolean"
  | "decimal"
  | "integer"
  | "dateTime"
  | "binary"
  | "reference"
  | "complex";

export type Mutability = "readOnly" | "readWrite" | "immutable" | "writeOnly";
export type Returned = "always" | "never" | "default" | "request";
export type Uniqueness = "none" | "server" | "global";

/** RFC 7643 §7: the characteristics of one attribute. */
export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDefinition[];
  /**
   * Roster's own: the most Unicode characters a string, reference or binary value may have;
   * absent, its type's default (limits.ts). RFC 7643 has no such characteristic; /Schemas
   * states it in the description.
   */
  readonly maxLength?: number;
  /** Roster's own: the most values a multi-valued attribute may hold; absent, MAX_VALUES (limits.ts). */
  readonly maxValues?: number;
}

/** RFC 7643 §7: a schema resource (core or extension). */
export interface SchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

export interface SchemaExtensionRef {
  readonly schema: string;
  readonly required: boolean;
}

/** RFC 7643 §6: a resource type. */
export interface ResourceTypeDefinition {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions: readonly SchemaExtensionRef[];
}

/**
 * Everything needed to read, validate and write one resource type for one tenant:
 * the resource type, its core schema and the extension schemas it allows.
 * Tenancy is passed in: a tenant's profile may add extensions or attributes.
 */
export interface ResourceSchema {
  readonly resourceType: ResourceTypeDefinition;
  readonly core: SchemaDefinition;
  readonly extensions: readonly SchemaDefinition[];
}
