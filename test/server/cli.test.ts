import { describe, expect, test } from "bun:test";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type Command, parseArgs, USAGE } from "../../server/cli.ts";

const serve = (host: string, port: number, dataDir: string): Command => ({ kind: "serve", host, port, dataDir });
const DEFAULT_DATA_DIR = join(homedir(), ".mediagen");

describe("parseArgs", () => {
  const cases: [string, string[], Record<string, string>, Command][] = [
    ["no arguments", [], {}, serve("127.0.0.1", 7070, DEFAULT_DATA_DIR)],
    ["serve alone", ["serve"], {}, serve("127.0.0.1", 7070, DEFAULT_DATA_DIR)],
    ["flags with separate values", ["serve", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/srv/mg"], {}, serve("0.0.0.0", 8080, "/srv/mg")],
    ["flags without serve", ["--port", "9000"], {}, serve("127.0.0.1", 9000, DEFAULT_DATA_DIR)],
    ["--flag=value", ["--host=::1", "--port=7171", "--data-dir=/srv/mg"], {}, serve("::1", 7171, "/srv/mg")],
    ["a value containing =", ["--data-dir=/srv/a=b"], {}, serve("127.0.0.1", 7070, "/srv/a=b")],
    ["port 0 picks a free port", ["--port", "0"], {}, serve("127.0.0.1", 0, DEFAULT_DATA_DIR)],
    ["port 65535", ["--port", "65535"], {}, serve("127.0.0.1", 65535, DEFAULT_DATA_DIR)],
    ["a relative data dir is made absolute", ["--data-dir", "rel/data"], {}, serve("127.0.0.1", 7070, resolve("rel/data"))],
    ["the last of a repeated flag wins", ["--port", "1", "--port", "2"], {}, serve("127.0.0.1", 2, DEFAULT_DATA_DIR)],
    [
      "environment variables",
      [],
      { MEDIAGEN_HOST: "0.0.0.0", MEDIAGEN_PORT: "8000", MEDIAGEN_DATA_DIR: "/env/data" },
      serve("0.0.0.0", 8000, "/env/data"),
    ],
    [
      "flags win over environment variables",
      ["--host", "127.0.0.2", "--port=9001", "--data-dir", "/flag/data"],
      { MEDIAGEN_HOST: "0.0.0.0", MEDIAGEN_PORT: "8000", MEDIAGEN_DATA_DIR: "/env/data" },
      serve("127.0.0.2", 9001, "/flag/data"),
    ],
    ["a flag and the environment mixed", ["--port", "9002"], { MEDIAGEN_HOST: "::", MEDIAGEN_PORT: "8000" }, serve("::", 9002, DEFAULT_DATA_DIR)],
    [
      "empty environment variables count as unset",
      [],
      { MEDIAGEN_HOST: "", MEDIAGEN_PORT: "", MEDIAGEN_DATA_DIR: "" },
      serve("127.0.0.1", 7070, DEFAULT_DATA_DIR),
    ],
    ["--version", ["--version"], {}, { kind: "version" }],
    ["-v", ["-v"], {}, { kind: "version" }],
    ["--help", ["--help"], {}, { kind: "help" }],
    ["-h after serve", ["serve", "-h"], {}, { kind: "help" }],
    ["--help after other flags", ["--port", "1", "--help"], {}, { kind: "help" }],
  ];
  test.each(cases)("%s", (_name, argv, env, expected) => {
    expect(parseArgs(argv, env)).toEqual(expected);
  });

  const errors: [string, string[], Record<string, string>, string][] = [
    ["an unknown flag", ["--verbose"], {}, 'unknown argument "--verbose"'],
    ["an unknown command", ["start"], {}, 'unknown argument "start"'],
    ["serve twice", ["serve", "serve"], {}, 'unknown argument "serve"'],
    ["a single-dash flag", ["-p", "80"], {}, 'unknown argument "-p"'],
    ["a flag missing its value", ["--port"], {}, "--port needs a value"],
    ["an empty --flag=", ["--host="], {}, "--host needs a value"],
    ["a non-numeric port", ["--port", "http"], {}, 'got "http"'],
    ["a negative port", ["--port=-1"], {}, 'got "-1"'],
    ["a port above 65535", ["--port", "65536"], {}, 'got "65536"'],
    ["a fractional port", ["--port", "80.5"], {}, 'got "80.5"'],
    ["a hexadecimal port", ["--port", "0x1f90"], {}, 'got "0x1f90"'],
    ["an exponent port", ["--port", "8e3"], {}, 'got "8e3"'],
    ["a bad port from the environment", [], { MEDIAGEN_PORT: "seventy" }, 'got "seventy"'],
  ];
  test.each(errors)("%s is an error", (_name, argv, env, message) => {
    const command = parseArgs(argv, env);
    expect(command.kind).toBe("error");
    expect(command.kind === "error" && command.message).toContain(message);
  });

  test("a bad port error names the accepted range", () => {
    expect(parseArgs(["--port", "99999"], {})).toEqual({ kind: "error", message: 'port must be a whole number from 0 to 65535, got "99999"' });
  });

  test("reads process.env when no environment is passed", () => {
    expect(parseArgs(["--host", "127.0.0.1", "--port", "1234", "--data-dir", "/x"])).toEqual(serve("127.0.0.1", 1234, "/x"));
  });
});

describe("USAGE", () => {
  test("documents every flag, its environment variable and default", () => {
    for (const text of ["--host", "--port", "--data-dir", "--version", "--help", "MEDIAGEN_HOST", "MEDIAGEN_PORT", "MEDIAGEN_DATA_DIR", "127.0.0.1", "7070", "~/.mediagen"]) {
      expect(USAGE).toContain(text);
    }
  });
});

describe("the entry stays thin", () => {
  test("main.ts imports only the command line and the version; the daemon is loaded by a dynamic import when serving", async () => {
    const source = await Bun.file(new URL("../../server/main.ts", import.meta.url)).text();
    const staticImports = [...source.matchAll(/^import .* from "([^"]+)"/gm)].map((m) => m[1]);
    expect(staticImports).toEqual(["../package.json", "./cli.ts"]);
    expect(source).toContain('import("./serve.ts")');
  });
});

describe("mediagen prices", () => {
  test("parses its own switches and the data folder; serve's flags are refused", () => {
    expect(parseArgs(["prices"], { MEDIAGEN_DATA_DIR: "/tmp/d" })).toEqual({ kind: "prices", dataDir: "/tmp/d", all: false, json: false });
    expect(parseArgs(["prices", "--all", "--json", "--data-dir", "/x"], {})).toEqual({ kind: "prices", dataDir: "/x", all: true, json: true });
    expect(parseArgs(["prices", "--port", "1"], {})).toMatchObject({ kind: "error", message: 'unknown argument "--port"' });
    expect(parseArgs(["--all"], {})).toMatchObject({ kind: "error" });
  });
});

describe("mediagen migrate", () => {
  test("parses --dry-run and the data folder; serve's and prices' flags are refused", () => {
    expect(parseArgs(["migrate"], { MEDIAGEN_DATA_DIR: "/tmp/d" })).toEqual({ kind: "migrate", dataDir: "/tmp/d", dryRun: false });
    expect(parseArgs(["migrate", "--dry-run", "--data-dir=/x"], {})).toEqual({ kind: "migrate", dataDir: "/x", dryRun: true });
    expect(parseArgs(["migrate", "--port", "1"], {})).toMatchObject({ kind: "error", message: 'unknown argument "--port"' });
    expect(parseArgs(["migrate", "--all"], {})).toMatchObject({ kind: "error", message: 'unknown argument "--all"' });
    expect(parseArgs(["--dry-run"], {})).toMatchObject({ kind: "error" });
  });
});

describe("mediagen export and import", () => {
  test("hand their arguments to server/transfer, which parses them", () => {
    expect(parseArgs(["export", "--out", "-"], {})).toEqual({ kind: "transfer", name: "export", argv: ["--out", "-"] });
    expect(parseArgs(["import", "f.ndjson", "--help"], {})).toEqual({ kind: "transfer", name: "import", argv: ["f.ndjson", "--help"] });
  });

});
