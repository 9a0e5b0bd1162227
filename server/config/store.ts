// Loading, creating and hot-reloading config.yml; resolving the model entry for a media type.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { describeIssue, fieldPath } from "../schemas/validate.ts";
import { Config, type MediaType, type ModelEntry } from "./schema.ts";
import { CONFIG_TEMPLATE } from "./template.ts";

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

/** Parses and validates config text; throws a ConfigError naming the file, line and field. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new ConfigError(`${file}:${line}:${col}: not valid YAML: ${yamlError.message.split("\n")[0]}`);
  }
  const result = Config.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const offset = issueOffset(doc, issue);
    const where = offset === undefined ? "" : `:${lineCounter.linePos(offset).line}`;
    return `${file}${where}: ${describeIssue(issue)}`;
  });
  const first = result.error.issues[0]!;
  const allowed = first.code === "invalid_value" ? first.values.map(String) : undefined;
  throw new ConfigError(lines.join("\n"), { field: fieldPath(first.path) || "config", message: describeIssue(first), allowed });
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
  private loadedAt = new Date();

  private constructor(
    readonly path: string,
    readonly dataDir: string,
    private readonly onChange: (event: { ok: boolean; message: string }) => void,
  ) {
    this.stamp = this.fileStamp();
    this.config = parseConfig(readText(path), path);
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
      this.config = parseConfig(readText(this.path), this.path);
      this.lastError = undefined;
      this.loadedAt = new Date();
      this.onChange({ ok: true, message: `config reloaded from ${this.path}` });
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.onChange({ ok: false, message: `config not reloaded, keeping the previous one: ${this.lastError}` });
    }
    return this.config;
  }

  /** Whether the file on disk is the one in force. */
  status(): ConfigStatus {
    this.get();
    return { path: this.path, ok: !this.lastError, error: this.lastError, loadedAt: this.loadedAt };
  }

  /** Folder used when a request has no output_dir. */
  defaultOutputDir(): string {
    return this.get().output_dir ?? join(this.dataDir, "output");
  }

  /** Rewrites the file through `edit`, keeping the user's comments, and reloads it. */
  update(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
    const doc = parseDocument(readText(this.path));
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

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Resolves an entry's api_key, reading `${ENV_VAR}` from the environment now. Undefined when blank. */
export function resolveApiKey(entry: ModelEntry, env: Record<string, string | undefined> = process.env): string | undefined {
  const raw = entry.api_key?.trim();
  if (!raw) return undefined;
  const reference = ENV_REFERENCE.exec(raw);
  if (!reference) return raw;
  const value = env[reference[1]!]?.trim();
  if (value) return value;
  throw new AppError(
    "auth_required",
    `api_key of ${describeEntry(entry)} is \${${reference[1]}}, but ${reference[1]} is not set in the daemon's environment`,
  );
}

/** `image model 'x' (name)` for messages. */
export function describeEntry(entry: ModelEntry): string {
  return `${entry.type} model '${entry.model}'${entry.name ? ` (${entry.name})` : ""}`;
}

/** A key shown safely: its first 4 and last 4 characters for long keys, stars otherwise. */
export function maskKey(key: string | undefined): string {
  if (!key) return "";
  if (key.length <= 12) return "****";
  return `${key.slice(0, 4)}****${key.slice(-4)}`;
}
