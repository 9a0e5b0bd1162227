// Loading, creating and hot-reloading config.yml; resolving the model entry for a media type.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { type Document, type ErrorCode, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { describeIssue, fieldPath } from "../validate.ts";
import { Config, type MediaType, type ModelEntry } from "./schema.ts";
import { CONFIG_TEMPLATE, OFFLINE_SPEECH_MODEL } from "./template.ts";

/** A config file that failed to load: the message names the file, the field and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";

  constructor(
    message: string,
    /** The first offending field (`models[2].type`) and its message, when the file parsed but did not validate. */
    readonly issue?: { field: string; message: string; allowed?: string[] },
  ) {
    super(message);
  }
}

/**
 * What each YAML syntax error means, in words of our own: the library's messages can quote the file (a directive,
 * a tag, an escape), and config.yml may be a symlink to a file full of secrets, reported on /api/health.
 */
const YAML_ERRORS: Partial<Record<ErrorCode, string>> = {
  BAD_INDENT: "wrong indentation",
  TAB_AS_INDENT: "tabs are not allowed as indentation",
  MISSING_CHAR: "a closing quote or bracket, or a separator, is missing",
  UNEXPECTED_TOKEN: "unexpected text",
  DUPLICATE_KEY: "a key appears twice",
  BAD_DQ_ESCAPE: "an invalid escape sequence in a double-quoted string",
  BAD_DIRECTIVE: "an unsupported % directive",
  BAD_SCALAR_START: "a plain value cannot start with this character",
  BLOCK_AS_IMPLICIT_KEY: "a key cannot be a block",
  MULTILINE_IMPLICIT_KEY: "a key cannot span several lines",
  BAD_ALIAS: "an alias (*name) names no anchor",
  MULTIPLE_DOCS: "more than one YAML document",
  KEY_OVER_1024_CHARS: "a key longer than 1024 characters",
};

/** Unknown keys are named only when they look like a config field: a foreign file's keys can be secrets. */
const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** `describeIssue` for config.yml: the same, except that unknown keys that do not look like field names are counted, not quoted. */
function describeConfigIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== "unrecognized_keys") return describeIssue(issue);
  const named = issue.keys.filter((key) => FIELD_NAME.test(key));
  const hidden = issue.keys.length - named.length;
  const parts = [
    ...(named.length > 0 ? [`unknown field${named.length > 1 ? "s" : ""} ${named.map((key) => `"${key}"`).join(", ")}`] : []),
    ...(hidden > 0 ? [`${hidden} unknown field${hidden > 1 ? "s" : ""} (not shown: not a config field name)`] : []),
  ];
  const where = fieldPath(issue.path);
  return `${parts.join(" and ")}${where ? ` in ${where}` : ""}`;
}

/** Whether config text holds no setting at all (empty, blank or comments only). */
function isEmptyConfig(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
}

/** Warning shown in the log and on /api/health for an empty config.yml. */
export const EMPTY_CONFIG_WARNING =
  "config.yml is empty: no models are configured, so only the built-in offline speech (local/flite) is in use; add models in the web UI or copy docs/config.example.yml";

/**
 * Parses and validates config text; throws a ConfigError naming the file, line and field, never a value.
 * An empty file means the defaults of a fresh data folder, offline speech included.
 */
export function parseConfig(text: string, file: string): Config {
  return readConfig(text, file).config;
}

/** The config in `text` and whether the file configures nothing (all comments): one YAML parse for both. */
function readConfig(text: string, file: string): { config: Config; empty: boolean } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new ConfigError(`${file}:${line}:${col}: not valid YAML: ${YAML_ERRORS[yamlError.code] ?? `syntax error (${yamlError.code})`}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch {
    throw new ConfigError(`${file}: not valid YAML: an alias (*name) names no anchor defined before it`);
  }
  if (isEmptyConfig(raw)) return { config: Config.parse({ models: [OFFLINE_SPEECH_MODEL] }), empty: true };
  const result = Config.safeParse(raw);
  if (result.success) return { config: result.data, empty: false };
  const lines = result.error.issues.map((issue) => {
    const offset = issueOffset(doc, issue);
    const where = offset === undefined ? "" : `:${lineCounter.linePos(offset).line}`;
    return `${file}${where}: ${describeConfigIssue(issue)}`;
  });
  const first = result.error.issues[0]!;
  const allowed = first.code === "invalid_value" ? first.values.map(String) : undefined;
  throw new ConfigError(lines.join("\n"), { field: fieldPath(first.path) || "config", message: describeConfigIssue(first), allowed });
}

// Where an issue is in the file: an unknown key's own line, else the node at the path or its nearest existing parent.
function issueOffset(doc: Document, issue: z.core.$ZodIssue): number | undefined {
  const path = issue.path as (string | number)[];
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (issue.code === "unrecognized_keys" && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === issue.keys[0]);
      if (isScalar(pair?.key) && pair.key.range) return pair.key.range[0];
    }
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

/** Writes `text` to `file` atomically with mode 0600 (the config holds API keys). */
export function writeConfigFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, file);
  chmodSync(file, 0o600);
}

/** What the store knows about the file on disk. */
export interface ConfigStatus {
  path: string;
  ok: boolean;
  error?: string;
  /** Something in force the user should know about (an empty file). */
  warning?: string;
  loadedAt: Date;
}

/**
 * Holds the current config and reloads it when the file changes on disk (checked on each read,
 * so a change is seen by the very next request). A file that becomes invalid keeps the last good
 * config in force and is reported by `status()` and the log.
 */
export class ConfigStore {
  private config: Config;
  private stamp: string;
  private lastError?: string;
  private warning?: string;
  private loadedAt = new Date();

  private constructor(
    readonly path: string,
    readonly dataDir: string,
    private readonly onChange: (event: { ok: boolean; message: string }) => void,
  ) {
    this.stamp = this.fileStamp();
    const { config, empty } = readConfig(readText(path), path);
    this.config = config;
    this.warning = empty ? EMPTY_CONFIG_WARNING : undefined;
  }

  /** Opens `<dataDir>/config.yml`, creating it from the commented template on first start. Throws ConfigError. */
  static open(dataDir: string, onChange: (event: { ok: boolean; message: string }) => void = () => {}): ConfigStore {
    const path = join(dataDir, "config.yml");
    if (!existsSync(path)) writeConfigFile(path, CONFIG_TEMPLATE);
    return new ConfigStore(path, dataDir, onChange);
  }

  /** The config in force, reloaded first if the file changed. */
  get(): Config {
    const stamp = this.fileStamp();
    if (stamp === this.stamp) return this.config;
    this.stamp = stamp;
    try {
      const { config, empty } = readConfig(readText(this.path), this.path);
      this.config = config;
      this.warning = empty ? EMPTY_CONFIG_WARNING : undefined;
      this.lastError = undefined;
      this.loadedAt = new Date();
      this.onChange({ ok: true, message: `config reloaded from ${this.path}${this.warning ? `; ${this.warning}` : ""}` });
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.onChange({ ok: false, message: `config not reloaded, keeping the previous one: ${this.lastError}` });
    }
    return this.config;
  }

  /** Whether the file on disk is the one in force. */
  status(): ConfigStatus {
    this.get();
    return { path: this.path, ok: !this.lastError, error: this.lastError, warning: this.warning, loadedAt: this.loadedAt };
  }

  /** Folder used when a request has no output_dir. */
  defaultOutputDir(): string {
    return this.get().output_dir ?? join(this.dataDir, "output");
  }

  /** Rewrites the file through `edit`, keeping the user's comments, and reloads it. */
  update(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
    const doc = parseDocument(readText(this.path));
    // An empty file runs with the built-in offline speech model: write it down before the first edit keeps it.
    if (isEmptyConfig(doc.toJS())) doc.set("models", [{ ...OFFLINE_SPEECH_MODEL }]);
    edit(doc);
    const text = doc.toString();
    parseConfig(text, this.path);
    writeConfigFile(this.path, text);
    this.get();
  }

  private fileStamp(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return "missing";
    }
  }
}


function readText(path: string): string {
  return readFileSync(path, "utf8");
}

/** The entry that serves `type`: the one marked default, else the first of that type. */
export function modelFor(config: Config, type: MediaType): ModelEntry | undefined {
  const candidates = config.models.filter((entry) => entry.type === type);
  return candidates.find((entry) => entry.default) ?? candidates[0];
}

/** How a request names a configured model: its `name`, else its model id when only one entry of the type has it. */
export function modelLabel(entry: ModelEntry): string {
  return entry.name ?? entry.model;
}

/**
 * The entry a request asked for by `requested` (an entry's `name`, else a model id that only one entry of the type
 * has), or the type's default when none was asked for. Throws invalid_argument naming `model` and listing the
 * configured names of the type.
 */
export function selectModel(config: Config, type: MediaType, requested: string | undefined): ModelEntry | undefined {
  if (requested === undefined) return modelFor(config, type);
  const candidates = config.models.filter((entry) => entry.type === type);
  const named = candidates.find((entry) => entry.name === requested);
  if (named) return named;
  const id = requested.replace(/^models\//, "");
  const byId = candidates.filter((entry) => entry.model === requested || entry.model === id);
  if (byId.length === 1) return byId[0];
  const names = candidates.map(modelLabel);
  if (byId.length > 1) {
    throw new AppError("invalid_argument", `${byId.length} ${type} models in config.yml have the id "${requested}"; ask for one by its name: ${byId.map(modelLabel).join(", ")}`, { field: "model", allowed: byId.map(modelLabel) });
  }
  const choices = names.length ? `choose one of: ${names.join(", ")}` : `none is configured; add a model with type=${type} in settings`;
  throw new AppError("invalid_argument", `No ${type} model "${requested}" is configured; ${choices}`, { field: "model", allowed: names });
}

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The variable a key names when it is an `${ENV_VAR}` reference (blanks around it ignored, as when resolved), else undefined. */
export function envReferenceOf(key: string | undefined): string | undefined {
  return key === undefined ? undefined : ENV_REFERENCE.exec(key.trim())?.[1];
}

/** Resolves an entry's api_key, reading `${ENV_VAR}` from the environment now. Undefined when blank. */
export function resolveApiKey(entry: ModelEntry, env: Record<string, string | undefined> = process.env): string | undefined {
  const raw = entry.api_key?.trim();
  if (!raw) return undefined;
  const variable = envReferenceOf(raw);
  if (!variable) return raw;
  const value = env[variable]?.trim();
  if (value) return value;
  throw new AppError("auth_required", `api_key of ${describeEntry(entry)} is \${${variable}}, but ${variable} is not set in the daemon's environment`);
}

/** `image model 'x' (name)` for messages. */
export function describeEntry(entry: ModelEntry): string {
  return `${entry.type} model '${entry.model}'${entry.name ? ` (${entry.name})` : ""}`;
}

/** What stands for the hidden part of a masked key. */
const MASK = "****";

/** A key shown safely: its first 4 and last 4 characters for long keys, stars otherwise. */
export function maskKey(key: string | undefined): string {
  if (!key) return "";
  if (key.length <= 12) return MASK;
  return `${key.slice(0, 4)}${MASK}${key.slice(-4)}`;
}

/** Whether a key sent back is one `maskKey` made (it holds the mask), so it stands for the saved key. */
export function isMaskedKey(key: string): boolean {
  return key.includes(MASK);
}
