// Voice names shared by several speech providers.

/** The voice names the skill suggests (Gemini's), as it spells them; speech providers accept or map them. */
export const SKILL_VOICES = ["Kore", "Puck", "Charon", "Fenrir", "Aoede"] as const;
