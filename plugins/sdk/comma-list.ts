/**
 * Vault's comma-list fields (its TypeCommaStringSlice: policies, CIDR lists, allowed_roles, …)
 * take a JSON array or one comma-separated string, which is what `vault write path k=a,b` sends.
 *
 * The schema lists the string first on purpose: fastify coerces a lone string into a
 * one-element array when an array branch comes first, and "a,b" would then be kept as the
 * single entry ["a,b"]. Statement lists are not comma lists (SQL has commas; Vault keeps a
 * string there as one statement).
 */
export function commaListSchema(item: Record<string, unknown> = { type: 'string' }, limits: { maxItems?: number } = {}) {
  return { $comment: COMMA_LIST, anyOf: [{ type: 'string', maxLength: 65536 }, { type: 'array', ...limits, items: item }] } as const;
}

/** The mark the core looks for to split an engine role's or config's string before storing it. */
export const COMMA_LIST = 'comma-separated list';

/** Splits every comma-list field of `body` sent as a string, so the array branch's limits apply. */
export function splitCommaLists(schema: { properties?: unknown }, body: Record<string, unknown>): void {
  const props = (schema.properties ?? {}) as Record<string, { $comment?: string }>;
  for (const [field, value] of Object.entries(body)) {
    if (typeof value === 'string' && props[field]?.$comment === COMMA_LIST) body[field] = commaList(value);
  }
}

/** The entries of a comma-list field, trimmed, empty ones dropped; [] when absent. */
export function commaList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return list.map((s) => s.trim()).filter(Boolean);
}

/** Vault's allowed_roles matching: "*" allows every role, a trailing "*" is a prefix glob. */
export function roleListAllows(allowedRoles: unknown, role: string): boolean {
  return commaList(allowedRoles).some((p) => p === '*' || p === role || (p.endsWith('*') && role.startsWith(p.slice(0, -1))));
}
