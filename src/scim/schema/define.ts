import type { AttributeDefinition, AttributeType } from "./types.js";

type Options = Partial<Omit<AttributeDefinition, "name" | "type">>;

/** Builds an attribute definition with RFC 7643 §2.2 defaults for everything not given. */
export function defineAttribute(name: string, type: AttributeType, options: Options = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description: "",
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    ...options,
  };
}

export function defineComplex(
  name: string,
  subAttributes: readonly AttributeDefinition[],
  options: Options = {},
): AttributeDefinition {
  return defineAttribute(name, "complex", { ...options, subAttributes });
}

/** The sub-attributes shared by the RFC 7643 §2.4 multi-valued attributes (emails, phoneNumbers, …). */
export function multiValuedSubAttributes(
  valueType: AttributeType,
  canonicalTypes: readonly string[],
  valueOptions: Options = {},
): AttributeDefinition[] {
  return [
    defineAttribute("value", valueType, { description: "The attribute's significant value.", ...valueOptions }),
    defineAttribute("display", "string", { description: "A human-readable name, primarily used for display purposes." }),
    defineAttribute("type", "string", {
      description: "A label indicating the attribute's function.",
      ...(canonicalTypes.length > 0 ? { canonicalValues: canonicalTypes } : {}),
    }),
    defineAttribute("primary", "boolean", {
      description: "Indicates the 'primary' or preferred attribute value for this attribute.",
    }),
  ];
}
