import { createResource, createSignal, For, Show } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { api, type TokenCreated, type TokenView } from "../lib/api.ts";
import { formatTime, formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";
import "./tokens.css";

/** An optional USD amount typed in a field: undefined when blank. */
const amount = (text: string): number | undefined => (text.trim() === "" ? undefined : Number(text));

/** A limit as its field shows it: blank for none. */
const limitText = (usd: number | null): string => (usd === null ? "" : String(usd));

/** The admin's tokens page: create a token (shown once), list them, revoke one. Members see the daemon's 403. */
export function Tokens() {
  const [list, { refetch }] = createResource(() => api.tokens.list());
  const [name, setName] = createSignal("");
  const [team, setTeam] = createSignal("");
  const [role, setRole] = createSignal<"member" | "admin">("member");
  const [daily, setDaily] = createSignal("");
  const [monthly, setMonthly] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [formError, setFormError] = createSignal<unknown>();
  const [created, setCreated] = createSignal<TokenCreated>();
  const [copied, setCopied] = createSignal(false);
  const [confirming, setConfirming] = createSignal<string>();
  const [revokeError, setRevokeError] = createSignal<unknown>();
  const [notice, setNotice] = createSignal("");
  // The token whose limits are being edited, and the two fields (blank removes a limit).
  const [editing, setEditing] = createSignal<string>();
  const [editDaily, setEditDaily] = createSignal("");
  const [editMonthly, setEditMonthly] = createSignal("");

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setFormError(undefined);
    setNotice("");
    try {
      const made = await api.tokens.create({
        name: name().trim(),
        team: team().trim() || undefined,
        role: role(),
        budget_daily_usd: amount(daily()),
        budget_monthly_usd: amount(monthly()),
      });
      setCreated(made);
      setCopied(false);
      setName("");
      setTeam("");
      setDaily("");
      setMonthly("");
      void refetch();
    } catch (error) {
      setFormError(error);
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    const secret = created()?.token;
    if (!secret) return;
    await navigator.clipboard?.writeText(secret).catch(() => {});
    setCopied(true);
  };

  const revoke = async (token: TokenView) => {
    setRevokeError(undefined);
    try {
      await api.tokens.revoke(token.id);
      setNotice(t("tokens.revoked", { name: token.name }));
      setConfirming(undefined);
      void refetch();
    } catch (error) {
      setRevokeError(error);
    }
  };

  const startEdit = (token: TokenView) => {
    setEditing(token.id);
    setEditDaily(limitText(token.budget_daily_usd));
    setEditMonthly(limitText(token.budget_monthly_usd));
  };

  const saveLimits = async (token: TokenView) => {
    setRevokeError(undefined);
    try {
      await api.tokens.setBudget(token.id, { budget_daily_usd: amount(editDaily()) ?? null, budget_monthly_usd: amount(editMonthly()) ?? null });
      setNotice(t("tokens.limitsSaved", { name: token.name }));
      setEditing(undefined);
      void refetch();
    } catch (error) {
      setRevokeError(error);
    }
  };

  const limits = (token: TokenView) => {
    const parts = [
      token.budget_daily_usd === null ? undefined : t("tokens.perDay", { amount: formatUsd(token.budget_daily_usd) }),
      token.budget_monthly_usd === null ? undefined : t("tokens.perMonth", { amount: formatUsd(token.budget_monthly_usd) }),
    ].filter(Boolean);
    return parts.length ? parts.join(" · ") : t("tokens.none");
  };

  return (
    <section class="tokens-page">
      <h1>{t("nav.tokens")}</h1>
      <p class="muted">{t("tokens.intro")}</p>

      <Show when={list.error}>
        <ErrorMessage error={list.error} onRetry={() => void refetch()} />
      </Show>

      <Show when={!list.error}>
        <form class="card tokens-form" aria-label={t("tokens.create")} onSubmit={create}>
          <h2>{t("tokens.create")}</h2>
          <label>
            <span>{t("tokens.name")}</span>
            <input name="name" required maxLength={64} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            <span>
              {t("tokens.team")} <small class="muted">({t("tokens.optional")})</small>
            </span>
            <input name="team" maxLength={64} value={team()} onInput={(e) => setTeam(e.currentTarget.value)} />
          </label>
          <label>
            <span>{t("tokens.role")}</span>
            <select name="role" value={role()} onChange={(e) => setRole(e.currentTarget.value as "member" | "admin")}>
              <option value="member">{t("tokens.role.member")}</option>
              <option value="admin">{t("tokens.role.admin")}</option>
            </select>
          </label>
          <label>
            <span>
              {t("tokens.dailyBudget")} <small class="muted">({t("tokens.optional")})</small>
            </span>
            <input name="daily" type="number" min="0" step="any" value={daily()} onInput={(e) => setDaily(e.currentTarget.value)} />
          </label>
          <label>
            <span>
              {t("tokens.monthlyBudget")} <small class="muted">({t("tokens.optional")})</small>
            </span>
            <input name="monthly" type="number" min="0" step="any" value={monthly()} onInput={(e) => setMonthly(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy() || name().trim() === ""}>
            {busy() ? t("tokens.creating") : t("tokens.submit")}
          </button>
          <Show when={formError()}>
            <ErrorMessage error={formError()} />
          </Show>
        </form>

        <Show when={created()}>
          {(made) => (
            <div class="card tokens-created" role="status">
              <h2>{t("tokens.createdTitle", { name: made().name })}</h2>
              <p>{t("tokens.createdNote")}</p>
              <code class="tokens-secret">{made().token}</code>
              <div class="tokens-actions">
                <button type="button" onClick={() => void copy()}>
                  {copied() ? t("tokens.copied") : t("tokens.copy")}
                </button>
                <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
                  {t("tokens.done")}
                </button>
              </div>
            </div>
          )}
        </Show>

        <p class="muted" role="status">
          {notice()}
        </p>
        <Show when={revokeError()}>
          <ErrorMessage error={revokeError()} />
        </Show>

        <h2>{t("tokens.list")}</h2>
        <Show when={list()} fallback={<p class="muted">{t("common.loading")}</p>}>
          <Show when={(list()?.items.length ?? 0) > 0} fallback={<p class="muted">{t("tokens.empty")}</p>}>
            <table class="tokens-table">
              <thead>
                <tr>
                  <th scope="col">{t("tokens.name")}</th>
                  <th scope="col">{t("tokens.team")}</th>
                  <th scope="col">{t("tokens.role")}</th>
                  <th scope="col">{t("tokens.prefix")}</th>
                  <th scope="col">{t("tokens.limits")}</th>
                  <th scope="col">{t("tokens.created")}</th>
                  <th scope="col">{t("tokens.lastUsed")}</th>
                  <th scope="col">{t("tokens.state")}</th>
                </tr>
              </thead>
              <tbody>
                <For each={list()?.items}>
                  {(token) => (
                    <tr class={token.revoked_at ? "tokens-row revoked" : "tokens-row"}>
                      <td>{token.name}</td>
                      <td>{token.team ?? "—"}</td>
                      <td>{t(`tokens.role.${token.role}`)}</td>
                      <td>
                        <code>{token.prefix}…</code>
                      </td>
                      <td>
                        <Show
                          when={editing() === token.id}
                          fallback={
                            <>
                              {limits(token)}{" "}
                              <Show when={!token.revoked_at}>
                                <button type="button" class="link" aria-label={t("tokens.editLimits", { name: token.name })} onClick={() => startEdit(token)}>
                                  {t("tokens.edit")}
                                </button>
                              </Show>
                            </>
                          }
                        >
                          <span class="tokens-limits-edit">
                            <input type="number" min="0" step="any" aria-label={t("tokens.dailyBudget")} value={editDaily()} onInput={(e) => setEditDaily(e.currentTarget.value)} />
                            <input type="number" min="0" step="any" aria-label={t("tokens.monthlyBudget")} value={editMonthly()} onInput={(e) => setEditMonthly(e.currentTarget.value)} />
                            <button type="button" onClick={() => void saveLimits(token)}>
                              {t("tokens.save")}
                            </button>
                            <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
                              {t("tokens.cancelEdit")}
                            </button>
                          </span>
                        </Show>
                      </td>
                      <td>{formatTime(token.created_at)}</td>
                      <td>{token.last_used_at ? formatTime(token.last_used_at) : t("tokens.neverUsed")}</td>
                      <td>
                        <Show when={!token.revoked_at} fallback={t("tokens.revokedAt", { time: formatTime(token.revoked_at) })}>
                          <Show
                            when={confirming() === token.id}
                            fallback={
                              <button type="button" class="secondary" aria-label={t("tokens.revokeName", { name: token.name })} onClick={() => setConfirming(token.id)}>
                                {t("tokens.revoke")}
                              </button>
                            }
                          >
                            <span class="tokens-confirm">
                              {t("tokens.confirmRevoke", { name: token.name })}{" "}
                              <button type="button" class="danger" onClick={() => void revoke(token)}>
                                {t("tokens.confirm")}
                              </button>{" "}
                              <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                                {t("tokens.cancel")}
                              </button>
                            </span>
                          </Show>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        </Show>
      </Show>
    </section>
  );
}
