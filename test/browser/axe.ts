// Accessibility checks with axe-core inside the page under test: its source is evaluated in the page (no network, no
// script tag, so a Content-Security-Policy cannot block it), and its serious and critical findings fail the test.
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

/** The axe-core bundle, read once from node_modules. */
let source: Promise<string> | undefined;

/** One rule axe found broken, with the elements that break it. */
export interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
}

/** The impacts that fail a test; minor and moderate ones are left to review. */
export const FAILING_IMPACTS: ReadonlySet<AxeViolation["impact"]> = new Set(["serious", "critical"]);

/** Runs axe-core on the whole document of `page` and returns its serious and critical violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  source ??= Bun.file(createRequire(import.meta.url).resolve("axe-core/axe.min.js")).text();
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(await source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations as AxeViolation[];
  });
  return violations.filter((violation) => FAILING_IMPACTS.has(violation.impact));
}

/** `violations` as lines a person can act on: rule, impact, what it asks, and each offending element with why. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((violation) => {
      const nodes = violation.nodes.map((node) => {
        const why = (node.failureSummary ?? "").split("\n").slice(1).map((line) => line.trim()).filter(Boolean).join("; ");
        return `    ${node.target.join(" ")}  ${node.html.slice(0, 120)}\n      ${why}`;
      });
      return `  [${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes.join("\n")}`;
    })
    .join("\n");
}

/** Fails with a readable list when axe finds a serious or critical violation on `page`; `what` names the view checked. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length > 0) throw new Error(`axe-core: ${violations.length} serious or critical violation(s) on ${what}:\n${formatViolations(violations)}`);
}
