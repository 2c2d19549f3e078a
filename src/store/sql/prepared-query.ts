import type { CompiledQuery, Kysely } from "kysely";
import type { SqlDialect } from "./dialect.js";
import { executeRows } from "./direct-sqlite.js";
import type { Database } from "./schema.js";

// Building and compiling a query with Kysely costs more CPU than SQLite's own work for a
// lookup by key (docs/benchmarks.md). A query of a known shape is therefore compiled once
// with stand-ins for its values, and each later call only binds the real values.

/**
 * Stands for the i-th string value while a query is built: never a value a caller could
 * send (it holds NUL), and with capitals, so that a stand-in the compiler case-folded is
 * told apart from one it passed through.
 */
export function standIn(index: number): string {
  return `\u0000ROSTER-VALUE-${index}\u0000`;
}

/** Stands for the i-th number value (a LIMIT or OFFSET) while a query is built. */
export function numberStandIn(index: number): number {
  return 2 ** 40 + index;
}

const STAND_IN = /^\u0000ROSTER-VALUE-(\d+)\u0000$/;
const FOLDED_STAND_IN = /^\u0000roster-value-(\d+)\u0000$/;

type Slot = { readonly value: number } | { readonly folded: number } | { readonly constant: unknown };

/** A compiled query and, for each of its parameters, where the value comes from. */
export interface QueryShape<R> {
  readonly compiled: CompiledQuery<R>;
  readonly slots: readonly Slot[];
}

/**
 * The shape of a query compiled with stand-ins for `values` values, or undefined when the
 * compiler did anything with a stand-in other than pass it through or case-fold it (a LIKE
 * pattern, a date parsed, a value dropped): such a query is compiled per call.
 */
export function shapeOf<R>(compiled: CompiledQuery<R>, values: number): QueryShape<R> | undefined {
  const seen = new Set<number>();
  const slots: Slot[] = [];
  for (const parameter of compiled.parameters) {
    if (typeof parameter === "number" && parameter >= 2 ** 40 && parameter < 2 ** 40 + values) {
      seen.add(parameter - 2 ** 40);
      slots.push({ value: parameter - 2 ** 40 });
      continue;
    }
    if (typeof parameter !== "string" || !parameter.includes("\u0000")) {
      slots.push({ constant: parameter });
      continue;
    }
    const exact = STAND_IN.exec(parameter);
    const folded = exact === null ? FOLDED_STAND_IN.exec(parameter) : null;
    const index = Number((exact ?? folded)?.[1] ?? Number.NaN);
    if (!(index >= 0 && index < values)) return undefined;
    seen.add(index);
    slots.push(exact !== null ? { value: index } : { folded: index });
  }
  return seen.size === values ? { compiled, slots } : undefined;
}

/** The shape's query with `values` bound (a folded slot gets the value case-folded as the compiler would: toLowerCase). */
export function bind<R>(shape: QueryShape<R>, values: readonly unknown[]): CompiledQuery<R> {
  const parameters = shape.slots.map((slot) =>
    "constant" in slot ? slot.constant : "value" in slot ? values[slot.value] : String(values[slot.folded]).toLowerCase(),
  );
  return { ...shape.compiled, parameters };
}

/** A Map that drops its least recently used entry beyond `limit` (shapes by key, list memo entries). */
export class LruMap<V> {
  private readonly entries = new Map<string, V>();
  /** The key used last: already the newest entry, so using it again moves nothing. */
  private newest: string | undefined;

  constructor(private readonly limit = 1_000) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    // A hit on any other key moves it last (a delete and a set: a hole that the Map compacts
    // later); the same shape asked again and again (an Okta lookup) skips both.
    if (value !== undefined && key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/**
 * A query of fixed shape on a hot path (a token lookup, a resource by id, the groups of a
 * user, a request log entry), built with Kysely and compiled once per dialect and size; each
 * call only binds its values (strings, or any value a stand-in was passed through for). `build` receives `param(i)`, which stands for the i-th value of `execute`,
 * and `size`, the shape's size (the length of an `in` list).
 */
export class PreparedQuery<R> {
  private readonly shapes = new Map<string, QueryShape<R>>();

  constructor(
    private readonly build: (
      db: Kysely<Database>,
      param: (index: number) => string,
      size: number,
      dialect: SqlDialect,
    ) => { compile(): CompiledQuery<R> },
  ) {}

  async execute(db: Kysely<Database>, dialect: SqlDialect, values: readonly unknown[], size = 0): Promise<R[]> {
    const key = `${dialect.name}:${size}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      const compiled = this.build(db, standIn, size, dialect).compile();
      shape = shapeOf(compiled, values.length);
      // Every value of a prepared query is passed through as it is: anything else is a bug here.
      if (shape === undefined || shape.slots.some((slot) => "folded" in slot)) throw new Error(`prepared query cannot be reused: ${compiled.sql}`);
      this.shapes.set(key, shape);
    }
    return executeRows(db, bind(shape, values));
  }
}

/**
 * The INSERT of `rows` rows of `columns` into `table` (the `size` of execute), every value
 * bound, row after row in column order: compiled once per number of rows.
 */
export function preparedInsert(table: keyof Database, columns: readonly string[]): PreparedQuery<unknown> {
  return new PreparedQuery((db, param, rows) =>
    db
      .insertInto(table)
      .values(Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map((column, index) => [column, param(row * columns.length + index)]))) as never),
  );
}

/**
 * Splits `items` into runs whose lengths are powers of two, at most `max` (a power of two),
 * largest first: a multi-row INSERT prepared per run length has at most log2(max) + 1 shapes
 * whatever the number of rows (the request log, emails, change events).
 */
export function* powerOfTwoRuns<T>(items: readonly T[], max: number): Generator<readonly T[]> {
  for (let from = 0; from < items.length; ) {
    let size = max;
    while (size > items.length - from) size /= 2;
    yield items.slice(from, from + size);
    from += size;
  }
}
