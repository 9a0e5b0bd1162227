// What every route group is built from: the daemon's services, passed in explicitly (tests build their own).
import type { ConfigStore } from "./config/store.ts";
import type { FolderOpener } from "./files/open-folder.ts";
import type { Ledger } from "./ledger/ledger.ts";
import type { Logger } from "./log.ts";
import type { MediaService } from "./media/service.ts";
import type { TokenService } from "./tokens/service.ts";

/** Everything the routes need. */
export interface AppDeps {
  config: ConfigStore;
  ledger: Ledger;
  media: MediaService;
  /** Person and team tokens. */
  tokens: TokenService;
  log: Logger;
  version: string;
  startedAt: number;
  /** The address the daemon is bound to (for the Host guard). */
  bindHost: string;
  /** How to open a result's folder (default: folderOpener for this machine and bind address; tests pass a command). */
  folderOpener?: () => FolderOpener;
}
