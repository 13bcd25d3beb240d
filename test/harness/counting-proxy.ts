import { createServer, type Server } from "node:http";
import { freePort } from "../../scripts/lib/free-port.ts";

/**
 * A transparent HTTP proxy in front of the real Loki that counts the calls it
 * forwards by path, so tests can see how many Loki queries a request caused.
 * With `delayMs`, every call (or, with `delayOnly`, every call to that path) is
 * held that long before it is forwarded (a slow network path to the real Loki;
 * the answers stay Loki's own).
 */
export async function startCountingProxy(target: string, options: { delayMs?: number; delayOnly?: string } = {}) {
  const counts = new Map<string, number>();
  const port = await freePort();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (options.delayMs && (options.delayOnly === undefined || path === options.delayOnly)) {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host") headers[k] = v;
    try {
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/plain" });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      res.writeHead(502);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    count: (path: string) => counts.get(path) ?? 0,
    /** Calls forwarded so far, every path together. */
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
