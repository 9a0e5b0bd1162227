// The flags of `mediagen export` and `mediagen import`, table-driven: what each parses to, and each usage error.
import { describe, expect, test } from "bun:test";
import { parseTransferArgs } from "../../../server/transfer/command.ts";

describe("export and import flags", () => {
  const table: [string, string[], Record<string, unknown> | string][] = [
    ["export defaults", ["export"], { withTokens: false, dataDir: "/d" }],
    ["export to stdout from a file, tokens", ["export", "--out=-", "--from", "sqlite:/l/m.db", "--with-tokens"], { out: "-", from: { backend: "sqlite", path: "/l/m.db" }, withTokens: true }],
    ["import a file into a URL", ["import", "f.ndjson", "--into", "postgres://u@h/db"], { file: "f.ndjson", into: { backend: "postgres", url: "postgres://u@h/db" } }],
    ["import stdin", ["import", "-"], { file: "-" }],
    ["import from a database", ["import", "--from", "postgres://h/db", "--with-tokens", "--data-dir", "/x"], { from: { backend: "postgres", url: "postgres://h/db" }, withTokens: true, dataDir: "/x" }],
    ["import without input", ["import"], "import needs a FILE (or - for stdin), or --from a database, and not both"],
    ["import with both", ["import", "f", "--from", "sqlite:/a"], "import needs a FILE (or - for stdin), or --from a database, and not both"],
    ["import a file with --with-tokens", ["import", "f", "--with-tokens"], "--with-tokens applies to export and import --from (a file brings its tokens if it has them)"],
    ["export with --into", ["export", "--into", "sqlite:/a"], 'unknown argument "--into" (export takes --out, --from, --data-dir, --with-tokens)'],
    ["export with a file", ["export", "f"], 'unexpected argument "f"'],
    ["a bad location", ["import", "f", "--into", "/a.db"], "--into must be sqlite:PATH or a postgres://user@host/database URL"],
    ["a missing value", ["export", "--out"], "--out needs a value"],
  ];
  for (const [name, argv, expected] of table) {
    test(name, () => {
      const parsed = parseTransferArgs(argv[0] as "export" | "import", argv.slice(1), { MEDIAGEN_DATA_DIR: "/d" });
      if (typeof expected === "string") expect(parsed).toBe(expected);
      else expect(parsed).toMatchObject(expected);
    });
  }
});
