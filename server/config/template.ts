// The commented config.yml written on first start (also shipped as docs/config.example.yml).
import type { ModelEntry } from "./schema.ts";

/** The offline speech entry of the template; also what an empty config.yml runs with. */
export const OFFLINE_SPEECH_MODEL = { name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true } as const satisfies ModelEntry;

/** The config file a fresh data folder starts with: one offline speech model and a comment on every field. */
export const CONFIG_TEMPLATE = `# mediagen configuration. Changes to this file are picked up without a restart.
# Every field is optional unless marked "required". Docs: README.md, "Configuration".

# Where the ledger (generations, refusals, idempotency keys, jobs) and the tokens are kept. Left out:
# <data dir>/mediagen.db, a SQLite file. A PostgreSQL URL puts them in that database instead, shared by
# every daemon pointed at it (a team); the environment variable MEDIAGEN_DATABASE_URL wins over this line.
# Read at start only (restart the daemon after changing it); pending migrations are applied then, or run
# "mediagen migrate" first. The password never appears in logs or answers. Environment references are not
# expanded here, so keep a URL with a password in MEDIAGEN_DATABASE_URL rather than in this file.
# storage: postgres://mediagen:PASSWORD@db.example.lan:5432/mediagen

# Folder a generation is saved under when the request has no output_dir (absolute path).
# Files go to <output_dir>/assets/generated/. Default: <data dir>/output.
# output_dir: /home/me/Pictures/mediagen

server:
  # Extra Host header names the daemon answers to (a reverse proxy's name, a LAN name).
  # Loopback names and the bind address are always allowed.
  allowed_hosts: []
  # Bearer token required from every client. Generated here automatically the first time the
  # daemon binds a non-loopback address; on 127.0.0.1 it is optional.
  # token: <at least 16 characters>
  # Largest request body accepted, in MiB.
  max_body_mib: 64
  # The address clients reach this daemon at through a reverse proxy (download_url in answers is
  # built on it). Default: the address each request came to.
  # public_url: https://mediagen.example.com
  # Several daemons on one PostgreSQL database: the address the other daemons reach this one at to
  # fetch the files it keeps. Default: the bound address (the machine's name when bound to 0.0.0.0).
  # internal_url: http://10.0.0.5:8787
  # Seconds running generations may take to finish when the daemon is stopped.
  shutdown_grace_seconds: 30

# The models that serve each media type. For each type, the entry marked default: true is used,
# else the first entry of that type.
models:
  # - name: banana                 # optional, unique label
  #   type: image                  # required: image | video | audio
  #   provider: openclacky         # required: openclacky | openai | gemini | openrouter | openai-compatible | local | dashscope | volcengine | comfyui | automatic1111 | fal | replicate | elevenlabs
  #   model: or-gemini-3-1-flash-image   # required: the provider's model id
  #   api_key: \${CLACKY_API_KEY}   # a literal key, or \${ENV_VAR} read from the daemon's environment at request time
  #   base_url: https://api.openclacky.com   # optional: the provider's default otherwise
  #   default: true                # optional: the model used for its type
  # An entry may add fallbacks: [names of other entries of its type], tried in order when it is overloaded,
  # rate limited, unreachable or has no key, and nothing was charged.

  # Offline speech synthesis built into mediagen (Flite): no key, no network, free.
  # Voices: slt (default), rms, awb, kal16, kal; the Gemini names Kore, Puck, Charon, Fenrir, Aoede map onto them.
  - name: offline-speech
    type: audio
    provider: local
    model: flite
    default: true
`;
