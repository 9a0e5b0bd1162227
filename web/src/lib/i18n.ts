// English and Simplified Chinese: the chosen language is a signal, remembered in this browser.
import { createSignal } from "solid-js";
import { common } from "../i18n/common.ts";
import { costs } from "../i18n/costs.ts";
import { errors } from "../i18n/errors.ts";
import { history } from "../i18n/history.ts";
import { jobs } from "../i18n/jobs.ts";
import { models } from "../i18n/models.ts";
import { playground } from "../i18n/playground.ts";
import { tokens } from "../i18n/tokens.ts";

/** Languages the UI speaks. */
export const LOCALES = { en: "English", zh: "简体中文" } as const;
export type Locale = keyof typeof LOCALES;

const DICTIONARIES: Record<Locale, Record<string, string>> = {
  en: { ...common.en, ...models.en, ...playground.en, ...history.en, ...costs.en, ...jobs.en, ...tokens.en, ...errors.en },
  zh: { ...common.zh, ...models.zh, ...playground.zh, ...history.zh, ...costs.zh, ...jobs.zh, ...tokens.zh, ...errors.zh },
};

const STORAGE_KEY = "mediagen.locale";

function initialLocale(): Locale {
  const saved = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return typeof navigator !== "undefined" && navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());

/** Tells the browser (screen readers, font choice for Chinese) the page's language. */
function markDocument(next: Locale): void {
  if (typeof document !== "undefined") document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
}
// A language remembered from an earlier visit applies from the first paint, not only after a switch.
markDocument(locale());

/** The current language. */
export { locale };

/** Switches the language and remembers it. */
export function setLocale(next: Locale): void {
  localStorage.setItem(STORAGE_KEY, next);
  markDocument(next);
  setLocaleSignal(next);
}

/** The text of `key` in the current language ({name} placeholders filled from `vars`); English, then the key, as fallbacks. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const text = DICTIONARIES[locale()][key] ?? DICTIONARIES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** Whether `key` has a text (for codes that are shown as they are when no text names them). */
export function hasText(key: string): boolean {
  return Object.hasOwn(DICTIONARIES.en, key);
}

/** The words for a code of the ledger or the API (`prefix.code`), or the code itself when none are known. */
export function codeText(prefix: string, code: string): string {
  return hasText(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : code;
}

/** Keys present in one language but not the other (tests keep this empty). */
export function missingTranslations(): { en: string[]; zh: string[] } {
  const en = Object.keys(DICTIONARIES.en);
  const zh = Object.keys(DICTIONARIES.zh);
  return { en: zh.filter((k) => !en.includes(k)), zh: en.filter((k) => !zh.includes(k)) };
}
