// Both languages have every text, placeholders are filled, and the choice is remembered.
import { expect, test } from "bun:test";
import { locale, missingTranslations, setLocale, t } from "../../../web/src/lib/i18n.ts";

test("every key exists in English and Chinese", () => {
  expect(missingTranslations()).toEqual({ en: [], zh: [] });
});

test("switching language changes the texts and is remembered", () => {
  setLocale("zh");
  expect(t("nav.history")).toBe("历史");
  expect(localStorage.getItem("mediagen.locale")).toBe("zh");
  expect(document.documentElement.lang).toBe("zh-CN");
  setLocale("en");
  expect(locale()).toBe("en");
  expect(t("nav.history")).toBe("History");
});

test("unknown keys fall back to the key itself", () => {
  expect(t("no.such.key")).toBe("no.such.key");
});
