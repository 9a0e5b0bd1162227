// Preload of the web UI tests: a DOM (happy-dom) and Solid's JSX compiler for .tsx files.
import { GlobalRegistrator } from "@happy-dom/global-registrator";
import { plugin } from "bun";
import { solidPlugin } from "../../web/solid-plugin.ts";

GlobalRegistrator.register({ url: "http://127.0.0.1:7070/" });
plugin(solidPlugin);
