import { mkdtempSync, rmSync } from "node:fs";
import { connect as connect_ } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeps, closeDeps } from "../../src/deps.ts";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { serveApp } from "../../src/http/serve.ts";
import { silentLogger } from "../../src/log.ts";
import { MAX_CLIENT_MESSAGE_BYTES } from "../../src/stream/protocol.ts";
import { STREAM_TOKEN_PATH } from "../../src/stream/routes.ts";
import { signStreamToken } from "../../src/stream/token.ts";
import { openStream, rawUpgrade, startTestServer, type TestServer } from "../harness/server.ts";
import { eventually, runId, services, testConfig } from "../harness/services.ts";

// WS /stream on the real server (serveApp on a free port, Redis for the
// token locks): who may open it, and what a refused upgrade receives.
const SECRET = "stream-auth-test-secret-0123456789";
const dir = mkdtempSync(path.join(tmpdir(), "stream-auth-"));
const keysFile = path.join(dir, "keys.yaml");
const keys = { streamer: generateKey(), other: generateKey(), reader: generateKey(), admin: generateKey() };
const tenants = { streamer: runId("acme"), other: runId("globex"), reader: runId("initech"), admin: runId("umbrella") };
const scopes = { streamer: ["stream"], other: ["stream", "read"], reader: ["read"], admin: ["admin"] } as const;
const env = { API_KEYS_FILE: keysFile, CURSOR_KEYS: SECRET, REDIS_URL: services().redisUrl };

let server: TestServer;
let second: TestServer; // another API instance on the same Redis and secrets

beforeAll(async () => {
  for (const name of Object.keys(keys) as (keyof typeof keys)[]) {
    await appendKeyEntry(keysFile, {
      id: name,
      sha256: sha256Hex(keys[name]),
      tenant: tenants[name],
      scopes: [...scopes[name]],
    });
  }
  [server, second] = await Promise.all([startTestServer(env), startTestServer(env)]);
});
afterAll(async () => {
  await Promise.allSettled([server?.close(), second?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

async function newToken(on: TestServer, key: string): Promise<string> {
  const res = await fetch(`${on.url}${STREAM_TOKEN_PATH}`, { method: "POST", headers: bearer(key) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { token: string; expires_in: number };
  expect(Object.keys(body).sort()).toEqual(["expires_in", "token"]);
  expect(body.expires_in).toBe(60);
  return body.token;
}

function expectUnauthorized(answer: { status: number; headers: Record<string, unknown>; body: string }) {
  expect(answer.status).toBe(401);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["www-authenticate"]).toBe('Bearer realm="logsleuth"');
  const problem = JSON.parse(answer.body);
  expect(problem).toMatchObject({ type: "urn:logsleuth:problem:unauthorized", status: 401 });
  expect(problem.hint).toContain(STREAM_TOKEN_PATH);
  return problem;
}

describe("WS /stream: authentication at the upgrade", () => {
  it("opens with a key header (Bearer or X-API-Key) and says hello with the key's tenant", async () => {
    for (const headers of [bearer(keys.streamer), { "X-API-Key": keys.streamer }]) {
      const client = await openStream(server.wsUrl, headers);
      const hello = await client.next();
      expect(hello).toMatchObject({ type: "hello", protocol: 1, tenant: tenants.streamer });
      client.ws.close();
    }
    const admin = await openStream(server.wsUrl, bearer(keys.admin)); // admin implies stream
    expect(await admin.next("hello")).toMatchObject({ tenant: tenants.admin });
    admin.ws.close();
  });

  it("refuses no key and an unknown key with the HTTP 401 problem, its body and WWW-Authenticate", async () => {
    const none = await rawUpgrade(server.wsUrl);
    const unknown = await rawUpgrade(server.wsUrl, bearer(generateKey()));
    const a = expectUnauthorized(none);
    const b = expectUnauthorized(unknown);
    expect({ ...a, request_id: null }).toEqual({ ...b, request_id: null });
    // One complete response (Content-Length matches), nothing written after it.
    for (const answer of [none, unknown]) {
      expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
      expect(answer.trailing).toBe("");
    }
  });

  it("refuses a key without the stream scope with 403 problem+json", async () => {
    const answer = await rawUpgrade(server.wsUrl, bearer(keys.reader));
    expect(answer.status).toBe(403);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    const problem = JSON.parse(answer.body);
    expect(problem).toMatchObject({ type: "urn:logsleuth:problem:forbidden", status: 403 });
    expect(problem.detail).toContain('"stream"');
  });

  it("answers a plain GET (no Upgrade) with 426 problem+json saying to open a WebSocket", async () => {
    const res = await fetch(server.url + new URL(server.wsUrl).pathname, { headers: bearer(keys.streamer) });
    expect(res.status).toBe(426);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("upgrade")).toBe("websocket");
    expect(((await res.json()) as { hint: string }).hint).toMatch(/WebSocket/);
    // An Upgrade header without `Connection: Upgrade` is a plain request too.
    const half = await rawUpgrade(server.wsUrl, { ...bearer(keys.streamer), Connection: "close" });
    expect(half.status).toBe(426);
    expect(half.headers["content-type"]).toBe("application/problem+json");
  });

  it("refuses a handshake without a valid Sec-WebSocket-Key with 400 problem+json", async () => {
    const answer = await rawUpgrade(server.wsUrl, { ...bearer(keys.streamer), "Sec-WebSocket-Key": "short" });
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(answer.body).type).toBe("urn:logsleuth:problem:bad-websocket-handshake");
    expect(server.deps.stream.figures().clients).toBe(0);
  });
});

describe("stream tokens (POST /stream/token, ?token= on the upgrade)", () => {
  it("works once, on any instance sharing the cache, as the key that made it", async () => {
    const token = await newToken(server, keys.streamer);
    const client = await openStream(`${second.wsUrl}?token=${encodeURIComponent(token)}`);
    expect(await client.next("hello")).toMatchObject({ tenant: tenants.streamer });
    client.ws.close();
    for (const on of [server, second]) expectUnauthorized(await rawUpgrade(`${on.wsUrl}?token=${token}`));

    const other = await newToken(server, keys.other);
    const otherClient = await openStream(`${server.wsUrl}?token=${other}`);
    expect(await otherClient.next("hello")).toMatchObject({ tenant: tenants.other });
    otherClient.ws.close();
  });

  it("refuses forged, expired, garbled, huge and repeated tokens with the same 401 as a bad key", async () => {
    const caller = { keyId: "streamer", tenant: tenants.streamer, scopes: ["stream" as const] };
    const valid = await newToken(server, keys.streamer);
    const forged = signStreamToken(caller, ["another-secret-of-32-characters!"], Date.now());
    const expired = signStreamToken(caller, [SECRET], Date.now() - 61_000);
    const tampered = `${valid.slice(0, 10)}${valid[10] === "A" ? "B" : "A"}${valid.slice(11)}`;
    const unknownKey = signStreamToken({ ...caller, keyId: "ghost" }, [SECRET], Date.now());
    const otherTenant = signStreamToken({ ...caller, tenant: tenants.other }, [SECRET], Date.now());
    const huge = `${"A".repeat(4_000)}.${valid.split(".")[1]}`; // within HTTP's header limit, beyond a token's
    const bad = [forged, expired, tampered, unknownKey, otherTenant, "garbled", "a.b", huge, ""];
    const problems = [];
    for (const token of bad) problems.push(expectUnauthorized(await rawUpgrade(`${server.wsUrl}?token=${token}`)));
    expectUnauthorized(await rawUpgrade(`${server.wsUrl}?token=${valid}&token=${valid}`)); // one token only
    expect(new Set(problems.map((p) => `${p.title}|${p.detail}|${p.hint}`)).size).toBe(1);
    // The valid token was not used by the refused double: it still opens the stream once.
    const client = await openStream(`${server.wsUrl}?token=${valid}`);
    expect(await client.next("hello")).toMatchObject({ tenant: tenants.streamer });
    client.ws.close();
  });

  it("needs a key with the stream scope to make a token, and a token opens nothing but the stream", async () => {
    const url = `${server.url}${STREAM_TOKEN_PATH}`;
    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers: bearer(keys.reader) })).status).toBe(403);
    const token = await newToken(server, keys.other); // stream + read
    expect((await fetch(`${url}?token=${token}`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/ai_logs/patterns?token=${token}`)).status).toBe(401);
  });
});

describe("WS /stream: frames and handshakes", () => {
  it("closes a socket sending a frame above 64 KiB with 1009 and keeps serving the others", async () => {
    const big = await openStream(server.wsUrl, bearer(keys.streamer));
    const calm = await openStream(server.wsUrl, bearer(keys.streamer));
    await Promise.all([big.next("hello"), calm.next("hello")]);
    big.ws.send("x".repeat(MAX_CLIENT_MESSAGE_BYTES)); // at the limit: accepted
    big.send({ type: "ping" });
    await big.next("pong");
    big.ws.send("x".repeat(MAX_CLIENT_MESSAGE_BYTES + 1));
    expect((await big.closed).code).toBe(1009);
    calm.send({ type: "ping" });
    expect(await calm.next("pong")).toMatchObject({ type: "pong" });
    const late = await openStream(server.wsUrl, bearer(keys.streamer));
    expect(await late.next("hello")).toMatchObject({ type: "hello" });
    calm.ws.close();
    late.ws.close();
    await eventually(async () => (server.deps.stream.figures().clients === 0 ? true : undefined), 5_000, 50);
  });

  // A reset reaches the server at once: the pending upgrade is dropped and no session starts. A FIN is not
  // seen before the socket is read (Node hands an upgrade's socket over paused): the socket may be upgraded,
  // and its session ends as soon as ws reads the end. Either way nothing stays, and the server serves on.
  for (const leaving of ["reset", "end"] as const) {
    it(`a client leaving (${leaving}) while its upgrade is checked leaves no session, and the server serves on`, async () => {
      const token = await newToken(server, keys.streamer);
      const { cache, stream } = server.deps;
      const tryLock = cache.tryLock.bind(cache);
      const connect = stream.connect.bind(stream);
      const checking = Promise.withResolvers<void>();
      const held = Promise.withResolvers<void>();
      const checked = Promise.withResolvers<void>();
      cache.tryLock = async (key, ttlMs) => {
        if (!key.startsWith("stream-token:")) return tryLock(key, ttlMs);
        checking.resolve();
        await held.promise;
        const lock = await tryLock(key, ttlMs);
        checked.resolve();
        return lock;
      };
      let sessions = 0;
      stream.connect = (socket, caller) => {
        sessions++;
        return connect(socket, caller);
      };
      try {
        const goneOnServer = new Promise<void>((resolve) =>
          server.server.once("upgrade", (_req, socket) => socket.once("close", () => resolve())),
        );
        const client = connect_(server.port, "127.0.0.1", () =>
          client.write(
            `GET ${new URL(server.wsUrl).pathname}?token=${token} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n` +
              "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
          ),
        );
        client.on("error", () => {});
        await checking.promise; // the server is checking the token now
        if (leaving === "reset") {
          client.resetAndDestroy();
          await goneOnServer;
        } else client.destroy();
        held.resolve(); // the check ends after the client left: the route accepts a socket that is gone
        await checked.promise;
        await eventually(async () => (stream.figures().clients === 0 ? true : undefined), 5_000, 50);
        if (leaving === "reset") expect(sessions).toBe(0);
      } finally {
        cache.tryLock = tryLock;
        stream.connect = connect;
      }
      const fresh = await openStream(server.wsUrl, bearer(keys.streamer));
      expect(await fresh.next("hello")).toMatchObject({ type: "hello" });
      expect(stream.figures().clients).toBe(1);
      fresh.ws.close();
      await eventually(async () => (stream.figures().clients === 0 ? true : undefined), 5_000, 50);
    });
  }
});

describe("refused upgrades beyond auth", () => {
  it("429 with Retry-After and the problem body once the heavy budget is spent (the token route is cheap)", async () => {
    const limited = await startTestServer({ ...env, RATE_LIMIT_HEAVY: "1/1m", REDIS_URL: undefined });
    try {
      const first = await openStream(limited.wsUrl, bearer(keys.streamer));
      await first.next("hello");
      first.ws.close();
      const answer = await rawUpgrade(limited.wsUrl, bearer(keys.streamer));
      expect(answer.status).toBe(429);
      expect(answer.headers["content-type"]).toBe("application/problem+json");
      expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
      expect(JSON.parse(answer.body).status).toBe(429);
      // Making tokens draws from the cheap budget, not the spent heavy one.
      await newToken(limited, keys.streamer);
      await newToken(limited, keys.streamer);
    } finally {
      await limited.close();
    }
  });

  it("an app that throws on an upgrade gives a 500 problem, never a hanging socket", async () => {
    const deps = buildDeps(testConfig(), silentLogger);
    const served = await serveApp(
      {
        fetch: () => {
          throw new Error("boom");
        },
      },
      deps,
      { port: 0, hostname: "127.0.0.1" },
    );
    try {
      const answer = await rawUpgrade(`ws://127.0.0.1:${served.port}/api/v1/ai_logs/stream`);
      expect(answer.status).toBe(500);
      expect(answer.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(answer.body)).toMatchObject({ status: 500, type: "urn:logsleuth:problem:internal" });
    } finally {
      await served.close(1_000);
      await closeDeps(deps);
    }
  });

  it("any other path answers an upgrade request with its own full response", async () => {
    const answer = await rawUpgrade(
      `${server.url.replace("http", "ws")}/api/v1/ai_logs/nowhere`,
      bearer(keys.streamer),
    );
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).type).toBe("urn:logsleuth:problem:not-found");
  });
});

describe("AUTH=off", () => {
  it("opens without a key, and a token still works once", async () => {
    const open = await startTestServer({ CURSOR_KEYS: SECRET, LOKI_TENANT: "local-tenant" });
    try {
      const plain = await openStream(open.wsUrl);
      expect(await plain.next("hello")).toMatchObject({ tenant: "local-tenant" });
      plain.ws.close();
      const res = await fetch(`${open.url}${STREAM_TOKEN_PATH}`, { method: "POST" });
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      const client = await openStream(`${open.wsUrl}?token=${token}`);
      expect(await client.next("hello")).toMatchObject({ tenant: "local-tenant" });
      client.ws.close();
      expectUnauthorized(await rawUpgrade(`${open.wsUrl}?token=${token}`));
    } finally {
      await open.close();
    }
  });
});

describe("shutdown", () => {
  it("closes open WebSockets with 1001 (going away) and stops", async () => {
    const doomed = await startTestServer(env);
    const client = await openStream(doomed.wsUrl, bearer(keys.streamer));
    await client.next("hello");
    const stopped = doomed.close().then(() => "stopped");
    expect((await client.closed).code).toBe(1001);
    expect(await stopped).toBe("stopped");
    await expect(openStream(doomed.wsUrl, bearer(keys.streamer))).rejects.toThrow(/ECONNREFUSED/);
  });
});
