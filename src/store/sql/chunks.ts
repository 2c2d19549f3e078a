/** Bound parameters per statement stay well under every database's limit. */
export const CHUNK = 500;

export function chunks<T>(items: readonly T[], size: number = CHUNK): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
