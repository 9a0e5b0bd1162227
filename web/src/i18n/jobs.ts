// Words of the jobs page, in English and Simplified Chinese.
export const jobs = {
  en: {} as Record<string, string>,
  zh: {} as Record<string, string>,
};
