import { createResource, For, Show } from "solid-js";
import { api } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";
import { ownerChoices, ownerValue } from "../lib/owners.ts";

/** A select of everyone, each token's owner and each team; shown only to admins (who may list tokens) when tokens exist. */
export function OwnerSelect(props: { value: string; onChange: (value: string) => void }) {
  const [choices] = createResource(async () => {
    try {
      return ownerChoices((await api.tokens.list()).items);
    } catch {
      return { owners: [], teams: [] };
    }
  });
  return (
    <Show when={(choices()?.owners.length ?? 0) > 0}>
      <label class="owner-select">
        <span>{t("owners.label")}</span>
        <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          <option value="">{t("owners.everyone")}</option>
          <optgroup label={t("owners.people")}>
            <For each={choices()?.owners}>{(name) => <option value={ownerValue("owner", name)}>{name}</option>}</For>
          </optgroup>
          <Show when={(choices()?.teams.length ?? 0) > 0}>
            <optgroup label={t("owners.teams")}>
              <For each={choices()?.teams}>{(name) => <option value={ownerValue("team", name)}>{name}</option>}</For>
            </optgroup>
          </Show>
        </select>
      </label>
    </Show>
  );
}
