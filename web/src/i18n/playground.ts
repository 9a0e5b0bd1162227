// Words of the playground page, in English and Simplified Chinese.
export const playground = {
  en: {} as Record<string, string>,
  zh: {} as Record<string, string>,
};
