import { createSignal, For, Show } from "solid-js";
import { api, ApiError, type Budget } from "../lib/api.ts";
import { BUDGET_FIELDS, budgetForm, budgetFromForm, type BudgetForm } from "../lib/costs.ts";
import { t } from "../lib/i18n.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";

/** Sets the daily and monthly limits, overall and per type: saved to config.yml through PUT /api/costs/budget. */
export function CostsBudgetForm(props: { budget: Budget | null; onSaved: () => void }) {
  const [form, setForm] = createSignal<BudgetForm>(budgetForm(props.budget));
  const [error, setError] = createSignal<unknown>();
  const [saved, setSaved] = createSignal(false);
  const [saving, setSaving] = createSignal(false);
  const scopeLabel = (scope: string) => (scope === "overall" ? t("costs.budget.overall") : t(`common.${scope}`));

  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const parsed = budgetFromForm(form());
    if ("invalid" in parsed) {
      setError(new ApiError(t("costs.budget.notNumber", { field: parsed.invalid }), "invalid_argument", 400, parsed.invalid));
      return;
    }
    setError(undefined);
    setSaving(true);
    try {
      await api.costs.setBudget(parsed.budget);
      setSaved(true);
      props.onSaved();
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  return (
    <details class="costs-budget-edit">
      <summary>{t("costs.budget.edit")}</summary>
      <form class="costs-budget-form" onSubmit={(e) => void save(e)}>
        <p class="muted">{t("costs.budget.editHint")}</p>
        <div class="costs-budget-grid">
          <For each={BUDGET_FIELDS}>
            {(field) => (
              <label>
                <span>
                  {scopeLabel(field.scope)} · {t(field.period === "daily_usd" ? "costs.budget.daily" : "costs.budget.monthly")}
                </span>
                <input
                  type="number"
                  inputmode="decimal"
                  step="any"
                  name={field.key}
                  value={form()[field.key] ?? ""}
                  placeholder="—"
                  onInput={(e) => setForm({ ...form(), [field.key]: e.currentTarget.value })}
                />
              </label>
            )}
          </For>
        </div>
        <div class="row">
          <button type="submit" disabled={saving()}>
            {t("costs.budget.save")}
          </button>
        </div>
        <Show when={error()}>{(failure) => <ErrorMessage error={failure()} />}</Show>
        <Show when={saved()}>
          <p class="ok" role="status">
            {t("costs.budget.saved")}
          </p>
        </Show>
      </form>
    </details>
  );
}
