// Who counts as a remote caller, how the front door stamps the peer address over whatever a client sent, and the
// download URL's origin.
import { describe, expect, test } from "bun:test";
import { AppError } from "../../../server/errors.ts";
import { createFrontDoor } from "../../../server/http/front-door.ts";
import { checkDeliveryHeader, downloadUrl, isRemoteCaller, PEER_HEADER, publicOrigin, stampPeer } from "../../../server/http/peer.ts";
import { memoryLogger } from "../../../server/log.ts";
import { thrown } from "../../helpers.ts";

const request = (headers: Record<string, string> = {}, url = "http://127.0.0.1:7070/api/media/image") => new Request(url, { headers });

describe("isRemoteCaller", () => {
  test.each([
    [{}, false],
    [{ [PEER_HEADER]: "127.0.0.1" }, false],
    [{ [PEER_HEADER]: "127.0.0.2" }, false],
    [{ [PEER_HEADER]: "::1" }, false],
    [{ [PEER_HEADER]: "::ffff:127.0.0.1" }, false],
    [{ [PEER_HEADER]: "192.168.1.20" }, true],
    [{ [PEER_HEADER]: "::ffff:10.0.0.3" }, true],
    [{ [PEER_HEADER]: "2001:db8::1" }, true],
    [{ [PEER_HEADER]: "127.0.0.1", "x-forwarded-for": "203.0.113.5" }, true],
    [{ [PEER_HEADER]: "127.0.0.1", forwarded: "for=203.0.113.5" }, true],
    [{ [PEER_HEADER]: "127.0.0.1", "x-real-ip": "203.0.113.5" }, true],
    [{ [PEER_HEADER]: "127.0.0.1", "x-mediagen-delivery": "download" }, true],
    [{ "x-mediagen-delivery": "DOWNLOAD" }, true],
    [{ "x-mediagen-delivery": "anything" }, true],
  ] as const)("%j -> %p", (headers, remote) => {
    expect(isRemoteCaller(request(headers))).toBe(remote);
  });
});

describe("checkDeliveryHeader", () => {
  test("takes no header or `download`; anything else is a 400 naming the header and what is allowed", () => {
    checkDeliveryHeader(request());
    checkDeliveryHeader(request({ "x-mediagen-delivery": " Download " }));
    const error = thrown(() => checkDeliveryHeader(request({ "x-mediagen-delivery": "local" })));
    expect(error.type).toBe("invalid_argument");
    expect(error.details).toMatchObject({ field: "x-mediagen-delivery", allowed: ["download"] });
  });
});

describe("stampPeer", () => {
  test("replaces a client's own peer header with the real address, or removes it when the address is unknown", () => {
    const sent = new Headers({ [PEER_HEADER]: "127.0.0.1", "content-type": "application/json" });
    expect(stampPeer(sent, "198.51.100.2").get(PEER_HEADER)).toBe("198.51.100.2");
    expect(stampPeer(sent, undefined).has(PEER_HEADER)).toBe(false);
    expect(stampPeer(sent, undefined).get("content-type")).toBe("application/json");
  });

  test("the front door stamps what Bun's requestIP says, whatever header the client sent", async () => {
    const seen: (string | null)[] = [];
    const frontDoor = createFrontDoor({
      handle: async (forwarded) => {
        seen.push(forwarded.headers.get(PEER_HEADER));
        return Response.json({ ok: true });
      },
      uiGuard: () => undefined,
      apiGuard: (): AppError | undefined => undefined,
      maxBodyBytes: () => 1024,
      log: memoryLogger(),
    });
    const server = { timeout: () => {}, requestIP: () => ({ address: "203.0.113.9" }) };
    const spoofed = { [PEER_HEADER]: "127.0.0.1", "content-type": "application/json" };
    await frontDoor.fetch(new Request("http://127.0.0.1:7070/api/media/jobs", { headers: spoofed }), server);
    await frontDoor.fetch(new Request("http://127.0.0.1:7070/api/media/image", { method: "POST", headers: spoofed, body: "{}" }), server);
    await frontDoor.fetch(new Request("http://127.0.0.1:7070/api/media/jobs", { headers: spoofed }), { timeout: () => {} });
    expect(seen).toEqual(["203.0.113.9", "203.0.113.9", null]);
  });
});

describe("publicOrigin and downloadUrl", () => {
  test("server.public_url wins over the request's origin; the file route is under it", () => {
    expect(publicOrigin(request({}, "http://10.0.0.2:7070/x"), undefined)).toBe("http://10.0.0.2:7070");
    expect(publicOrigin(request(), "https://media.example.com/")).toBe("https://media.example.com");
    expect(publicOrigin(request(), "https://example.com/mediagen")).toBe("https://example.com/mediagen");
    expect(downloadUrl("https://media.example.com", "01 a")).toBe("https://media.example.com/api/generations/01%20a/file");
  });
});
