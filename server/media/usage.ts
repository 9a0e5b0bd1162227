// The skill's `usage` shape for every provider's token counts; the provider's own usage stays in the ledger.
import type { Usage } from "../ledger/schema.ts";
import type { SkillUsage } from "./schema.ts";

const count = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined);
const first = (...values: unknown[]): number | undefined => values.map(count).find((v) => v !== undefined);
const child = (usage: Usage, key: string): Record<string, unknown> => {
  const value = usage[key];
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
};

/**
 * A provider's usage in the skill's words (`prompt_tokens`, `completion_tokens`, `cache_read_tokens`,
 * `cache_write_tokens`, `total_tokens`), read from the OpenAI Images/Speech (`input_tokens`, `output_tokens`),
 * chat-completions (`prompt_tokens`, `completion_tokens`, `prompt_tokens_details`) and Gemini (`promptTokenCount`,
 * `candidatesTokenCount`, `thoughtsTokenCount`, `cachedContentTokenCount`) forms. Undefined when it holds no token count.
 */
export function skillUsage(usage: Usage | undefined): SkillUsage | undefined {
  if (!usage) return undefined;
  const promptDetails = child(usage, "prompt_tokens_details");
  const inputDetails = child(usage, "input_tokens_details");
  const prompt = first(usage.prompt_tokens, usage.input_tokens, usage.promptTokenCount);
  const gemini = count(usage.candidatesTokenCount) !== undefined || count(usage.thoughtsTokenCount) !== undefined;
  const completion = first(usage.completion_tokens, usage.output_tokens) ?? (gemini ? (count(usage.candidatesTokenCount) ?? 0) + (count(usage.thoughtsTokenCount) ?? 0) : undefined);
  const total = first(usage.total_tokens, usage.totalTokenCount);
  if (prompt === undefined && completion === undefined && total === undefined) return undefined;
  return {
    prompt_tokens: prompt ?? 0,
    completion_tokens: completion ?? 0,
    cache_read_tokens: first(usage.cache_read_tokens, promptDetails.cached_tokens, inputDetails.cached_tokens, usage.cachedContentTokenCount) ?? 0,
    cache_write_tokens: first(usage.cache_write_tokens, promptDetails.cache_write_tokens) ?? 0,
    total_tokens: total ?? (prompt ?? 0) + (completion ?? 0),
  };
}
