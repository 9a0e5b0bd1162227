// Words of the models page, in English and Simplified Chinese.
export const models = {
  en: {} as Record<string, string>,
  zh: {} as Record<string, string>,
};
