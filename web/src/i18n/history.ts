// Words of the history page, in English and Simplified Chinese.
export const history = {
  en: {} as Record<string, string>,
  zh: {} as Record<string, string>,
};
