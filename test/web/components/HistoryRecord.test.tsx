// A generation's record in Chinese: statuses, attempt outcomes, parameter and usage keys and error types in Chinese,
// the daemon's English sentence kept after them.
import { afterEach, expect, test } from "bun:test";
import { ErrorMessage } from "../../../web/src/components/ErrorMessage.tsx";
import { HistoryRecord } from "../../../web/src/components/HistoryRecord.tsx";
import { ApiError, type Generation } from "../../../web/src/lib/api.ts";
import { setLocale } from "../../../web/src/lib/i18n.ts";
import { mount } from "../render.ts";

afterEach(() => setLocale("en"));

const ROW = {
  id: "gen-zh",
  type: "audio",
  status: "succeeded",
  model: "tts-1",
  model_name: null,
  provider: "openai",
  prompt: "你好",
  params: { voice: "alloy", output_dir: "/w" },
  output_path: "/w/a.wav",
  mime_type: "audio/wav",
  bytes: 100,
  width: null,
  height: null,
  duration_seconds: 1,
  usage: { input_tokens: 5, output_tokens: 44, vendor_specific: 1 },
  cost_usd: 0.001,
  cost_source: "catalog",
  cost_unit: null,
  cost_quantity: null,
  cost_unit_price: null,
  cost_breakdown: null,
  cost_note: null,
  estimated_cost_usd: null,
  error: null,
  error_type: null,
  upstream_status: null,
  operation_id: null,
  progress: null,
  attempts: [
    { n: 1, started_at: "2026-11-29T10:00:00.000Z", finished_at: "2026-11-29T10:00:01.000Z", outcome: "retry", error_type: "rate_limited", upstream_status: 429 },
    { n: 2, started_at: "2026-11-29T10:00:02.000Z", finished_at: "2026-11-29T10:00:03.000Z", outcome: "succeeded" },
  ],
  created_at: "2026-11-29T10:00:00.000Z",
  started_at: "2026-11-29T10:00:00.000Z",
  finished_at: "2026-11-29T10:00:03.000Z",
  latency_ms: 3000,
  session_id: null,
  client: null,
  door: "ui",
  refusal_count: null,
  billed_failure: false,
  has_thumbnail: false,
} satisfies Generation;

test("in Chinese the record's codes read in Chinese; codes without words stay as they are", () => {
  setLocale("zh");
  using view = mount(() => <HistoryRecord generation={ROW} />);
  const labels = [...view.root.querySelectorAll("dt")].map((dt) => dt.textContent);
  expect(labels).toContain("音色");
  expect(labels).toContain("输出文件夹");
  expect(labels).toContain("输入 token");
  expect(labels).toContain("输出 token");
  expect(labels).toContain("vendor_specific");
  const outcomes = [...view.root.querySelectorAll("tbody tr")].map((tr) => tr.querySelectorAll("td")[4]?.textContent);
  expect(outcomes).toEqual(["已重试 (rate_limited)", "成功"]);
  expect(view.root.textContent).toContain("成功");
  expect(view.root.textContent).not.toMatch(/\bSucceeded\b|\bRetried\b/);
});

test("an error in Chinese leads with its type's words, then the daemon's sentence; the UI's own errors are all Chinese", () => {
  setLocale("zh");
  {
    using view = mount(() => <ErrorMessage error={new ApiError("Refused before calling the provider: the daily limit is $1.00", "budget_exceeded", 402)} />);
    expect(view.root.textContent).toBe("错误: 此请求会超出费用上限。 Refused before calling the provider: the daily limit is $1.00 (budget_exceeded)");
  }
  using local = mount(() => <ErrorMessage error={new ApiError("The daemon cannot be reached (x)", "network_error", 0, undefined, { key: "error.daemonUnreachable", vars: { detail: "x" } })} />);
  expect(local.root.textContent).toBe("错误: 无法连接到 mediagen 服务（x） (network_error)");
});
