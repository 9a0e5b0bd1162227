// The OpenAI-compatible door: /v1/images, /v1/audio/speech, /v1/videos and /v1/models on mediagen's own jobs.
// Every request goes through `media.submit` with door `openai` (one this door refuses itself is recorded as refused);
// every error is answered in OpenAI's envelope.
import { Elysia } from "elysia";
import type { z } from "zod";
import type { MediaType } from "../config/schema.ts";
import { MAX_NAME_CHARS } from "../defaults.ts";
import type { AppDeps } from "../deps.ts";
import { AppError, invalidArgument, toAppError } from "../errors.ts";
import { readJsonBody, readRequestBody } from "../http/body.ts";
import { storedFileResponse } from "../files/holder.ts";
import type { Caller } from "../media/requests.ts";
import { deliveryOf, sessionOf } from "../media/routes.ts";
import { checkDeliveryHeader, isRemoteCaller } from "../http/peer.ts";
import { principalOf } from "../tokens/request.ts";
import { parseOrThrow } from "../validate.ts";
import { openaiErrorResponse, unknownEndpoint } from "./errors.ts";
import { ImageEditRequest, ImageGenerationRequest, SpeechRequest, VideoContentQuery, VideoCreateRequest, type VideoObject } from "./schema.ts";
import { createImages, createSpeech, createVideo, findModel, findVideo, isRecorded, listModels, openaiField, videoFile } from "./service.ts";

/** Who is asking: this door, and the SDK's User-Agent. */
function callerOf(deps: AppDeps, request: Request): Caller {
  checkDeliveryHeader(request);
  return {
    door: "openai",
    client: request.headers.get("user-agent")?.slice(0, MAX_NAME_CHARS),
    session: sessionOf(request),
    principal: principalOf(deps, request),
    remote: isRemoteCaller(request),
  };
}

/** A video with its file's download_url once it is completed. */
function withVideoDownload(deps: AppDeps, request: Request, video: VideoObject): VideoObject {
  return video.status === "completed" ? { ...video, download_url: deliveryOf(deps, request).fileUrl(video.id) } : video;
}

/** The client's Idempotency-Key header, checked as the seed API checks it. */
function idempotencyKey(request: Request): string | undefined {
  const key = request.headers.get("idempotency-key");
  if (key === null) return undefined;
  if (key.trim() === "" || key.length > 255) throw invalidArgument("idempotency_key", "Idempotency-Key must be a non-empty string of at most 255 characters");
  return key.trim();
}

const maxBodyBytes = (deps: AppDeps) => deps.config.get().server.max_body_mib * 1048576;

/** A multipart body read within the body limit: its text fields, and its files by field name. */
async function readForm(deps: AppDeps, request: Request): Promise<{ fields: Record<string, string>; files: Map<string, File[]> }> {
  const bytes = await readRequestBody(request, maxBodyBytes(deps));
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": request.headers.get("content-type") ?? "" } }).formData();
  } catch {
    throw invalidArgument("body", "Request body is not valid multipart/form-data");
  }
  const fields: Record<string, string> = {};
  const files = new Map<string, File[]>();
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields[name] = value;
    else files.set(name, [...(files.get(name) ?? []), value]);
  }
  return { fields, files };
}

const isMultipart = (request: Request) => /^multipart\/form-data\b/i.test(request.headers.get("content-type") ?? "");
const base64Of = async (file: File) => Buffer.from(await file.arrayBuffer()).toString("base64");

/** Runs a handler; any error it throws is answered in OpenAI's envelope, with `param` in OpenAI's field names. */
async function answered(deps: AppDeps, type: MediaType | undefined, run: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AppError)) deps.log.error(`unhandled error in the OpenAI door: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return openaiErrorResponse(toAppError(error), type ? openaiField(type) : undefined);
  }
}

/** One generation request: who sent it, and its fields once read (the prompt recorded if it is refused). */
interface Call {
  caller: Caller;
  fields?: Record<string, unknown>;
}

/**
 * Runs a generation handler like `answered`; a request this door turns away itself (its body unreadable, a field its
 * schema refuses, an unknown model) is recorded as a refusal under its caller, as the seed API records its own.
 */
function generation(deps: AppDeps, type: MediaType, request: Request, run: (call: Call) => Promise<unknown>): Promise<unknown> {
  const call: Call = { caller: callerOf(deps, request) };
  return answered(deps, type, async () => {
    try {
      return await run(call);
    } catch (error) {
      if (!isRecorded(error)) deps.media.rejected(type, toAppError(error), call.caller, call.fields);
      throw error;
    }
  });
}

/** The JSON body as an object (kept on `call` for the record), parsed with `schema`. */
async function readFields<S extends z.ZodType>(deps: AppDeps, request: Request, call: Call, schema: S): Promise<z.infer<S>> {
  call.fields = await readJsonBody(request, maxBodyBytes(deps));
  return parseOrThrow(schema, call.fields);
}

async function imageGenerations(deps: AppDeps, request: Request, call: Call) {
  const body = await readFields(deps, request, call, ImageGenerationRequest);
  return createImages(deps, body, { caller: call.caller, fileUrl: deliveryOf(deps, request).fileUrl, idempotencyKey: idempotencyKey(request) });
}

async function imageEdits(deps: AppDeps, request: Request, call: Call) {
  if (!isMultipart(request)) throw invalidArgument("body", "images/edits takes multipart/form-data with the image file(s) under image or image[]");
  const { fields, files } = await readForm(deps, request);
  call.fields = fields;
  const body = parseOrThrow(ImageEditRequest, fields);
  if (files.has("mask") || fields.mask !== undefined) {
    throw invalidArgument("mask", "mask is not supported: mediagen's providers edit the whole image from the prompt; describe the area to change in the prompt instead");
  }
  const uploads = [...(files.get("image") ?? []), ...(files.get("image[]") ?? [])];
  if (uploads.length === 0) throw invalidArgument("image", "image is required: one or more image files (image or image[])");
  const images = await Promise.all(uploads.map(base64Of));
  return createImages(deps, body, { images, caller: call.caller, fileUrl: deliveryOf(deps, request).fileUrl, idempotencyKey: idempotencyKey(request) });
}

async function speech(deps: AppDeps, request: Request, call: Call) {
  const body = await readFields(deps, request, call, SpeechRequest);
  const { bytes, contentType, id } = await createSpeech(deps, body, call.caller, idempotencyKey(request));
  const headers = { "content-type": contentType, "content-length": String(bytes.length), "x-mediagen-generation-id": id, "x-mediagen-download-url": deliveryOf(deps, request).fileUrl(id) };
  return new Response(bytes as Uint8Array<ArrayBuffer>, { headers });
}

async function videos(deps: AppDeps, request: Request, call: Call) {
  if (!isMultipart(request)) {
    const body = await readFields(deps, request, call, VideoCreateRequest);
    return withVideoDownload(deps, request, await createVideo(deps, body, { caller: call.caller, idempotencyKey: idempotencyKey(request) }));
  }
  const { fields, files } = await readForm(deps, request);
  call.fields = fields;
  const body = parseOrThrow(VideoCreateRequest, fields);
  const reference = files.get("input_reference")?.[0];
  const image = reference ? await base64Of(reference) : undefined;
  return withVideoDownload(deps, request, await createVideo(deps, body, { image, caller: call.caller, idempotencyKey: idempotencyKey(request) }));
}

/** OpenAI's 404 for a path or method this door does not serve. */
const notServed = ({ request }: { request: Request }) => openaiErrorResponse(unknownEndpoint(request.method, new URL(request.url).pathname));

/**
 * `POST /v1/images/generations`, `/v1/images/edits`, `/v1/audio/speech`, `/v1/videos`; `GET /v1/videos/{id}`,
 * `/v1/videos/{id}/content`, `/v1/models`, `/v1/models/{id}`. Any other /v1 path is OpenAI's 404.
 */
export const openaiRoutes = (deps: AppDeps) =>
  new Elysia({ name: "openai-api", prefix: "/v1" })
    .post("/images/generations", ({ request }) => generation(deps, "image", request, (call) => imageGenerations(deps, request, call)), { parse: "none" })
    .post("/images/edits", ({ request }) => generation(deps, "image", request, (call) => imageEdits(deps, request, call)), { parse: "none" })
    .post("/audio/speech", ({ request }) => generation(deps, "audio", request, (call) => speech(deps, request, call)), { parse: "none" })
    .post("/videos", ({ request }) => generation(deps, "video", request, (call) => videos(deps, request, call)), { parse: "none" })
    .get("/videos/:id", ({ params, request }) => answered(deps, "video", async () => withVideoDownload(deps, request, await findVideo(deps, params.id))))
    .get("/videos/:id/content", ({ params, query, request }) =>
      answered(deps, "video", async () => {
        parseOrThrow(VideoContentQuery, query);
        const file = await videoFile(deps, params.id);
        return storedFileResponse(deps, request, params.id, file.path, file.mimeType);
      }),
    )
    .get("/models", () => answered(deps, undefined, () => listModels(deps.config)))
    .get("/models/:id", ({ params }) => answered(deps, undefined, () => findModel(deps.config, decodeURIComponent(params.id))))
    .all("", notServed, { parse: "none" })
    .all("/*", notServed, { parse: "none" });
