// Words of the costs page, in English and Simplified Chinese.
export const costs = {
  en: {} as Record<string, string>,
  zh: {} as Record<string, string>,
};
