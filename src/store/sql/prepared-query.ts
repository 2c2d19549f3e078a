import type { CompiledQuery, Kysely } from "kysely";
import type { SqlDialect } from "./dialect.js";
import type { Database } from "./schema.js";

/** Stands for a parameter while the query is built; never a value a caller could send (it holds NUL). */
const MARK = "\u0000roster-parameter:";

interface Shape<R> {
  readonly compiled: CompiledQuery<R>;
  /** For each compiled parameter: the index of the caller's value, or a constant of the query. */
  readonly slots: readonly ({ readonly value: number } | { readonly constant: unknown })[];
}

/**
 * A query of fixed shape on a hot path (a token lookup, a resource by id, the groups of a
 * user), built with Kysely and compiled once per dialect and shape; each call only binds its
 * string parameters (numbers and other constants are part of the shape). Building and compiling with Kysely cost more CPU than SQLite's own work
 * for such a query (docs/benchmarks.md). `build` receives `param(i)`, which stands for the
 * i-th value of `execute`, and `size`, the shape's size (the length of an `in` list).
 */
export class PreparedQuery<R> {
  private readonly shapes = new Map<string, Shape<R>>();

  constructor(
    private readonly build: (
      db: Kysely<Database>,
      param: (index: number) => string,
      size: number,
      dialect: SqlDialect,
    ) => { compile(): CompiledQuery<R> },
  ) {}

  async execute(db: Kysely<Database>, dialect: SqlDialect, values: readonly string[], size = 0): Promise<R[]> {
    const key = `${dialect.name}:${size}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.compile(db, size, dialect);
      this.shapes.set(key, shape);
    }
    const parameters = shape.slots.map((slot) => ("value" in slot ? values[slot.value] : slot.constant));
    const result = await db.executeQuery<R>({ ...shape.compiled, parameters });
    return result.rows;
  }

  private compile(db: Kysely<Database>, size: number, dialect: SqlDialect): Shape<R> {
    const compiled = this.build(db, (index) => `${MARK}${index}`, size, dialect).compile();
    const slots = compiled.parameters.map((parameter) =>
      typeof parameter === "string" && parameter.startsWith(MARK) ? { value: Number(parameter.slice(MARK.length)) } : { constant: parameter },
    );
    return { compiled, slots };
  }
}
