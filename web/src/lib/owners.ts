// The owner filter of History and Costs: the people and teams the tokens name, and the query a choice means.
import type { TokenView } from "./api.ts";

/** The names a filter offers: every token's owner and every team, revoked ones included (the ledger still has them), sorted. */
export function ownerChoices(tokens: readonly Pick<TokenView, "name" | "team">[]): { owners: string[]; teams: string[] } {
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort((a, b) => a.localeCompare(b));
  return { owners: sorted(tokens.map((t) => t.name)), teams: sorted(tokens.flatMap((t) => (t.team ? [t.team] : []))) };
}

/** A choice's value in the select: `owner:<name>`, `team:<name>`, or "" for everyone. */
export const ownerValue = (kind: "owner" | "team", name: string): string => `${kind}:${name}`;

/** The query parameters of a choice (`owner` or `team`), empty for everyone. */
export function ownerParams(value: string): { owner?: string; team?: string } {
  const colon = value.indexOf(":");
  if (colon < 0) return {};
  const [kind, name] = [value.slice(0, colon), value.slice(colon + 1)];
  if (!name) return {};
  if (kind === "owner") return { owner: name };
  if (kind === "team") return { team: name };
  return {};
}
