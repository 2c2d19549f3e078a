import { connect, type Socket } from "node:net";

/** An answer read off a raw socket: status, lower-cased headers, the body parsed as JSON (or the text). */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: any;
  /** Everything the server sent. */
  readonly text: string;
}

/** Parses the first HTTP/1.1 answer in `text`; undefined when there is none (the server closed without a word). */
export function parseRawAnswer(text: string): RawAnswer | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) return undefined;
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  const rest = text.slice(end + 4);
  const length = headers["content-length"] === undefined ? rest.length : Number(headers["content-length"]);
  const bodyText = rest.slice(0, length);
  let body: unknown = bodyText;
  try {
    body = bodyText.length === 0 ? undefined : JSON.parse(bodyText);
  } catch {
    // left as text
  }
  return { status: Number(status), headers, body, text };
}

export interface RawExchange {
  readonly socket: Socket;
  /** Resolves with what the server sent once it closes the connection (or `waitMs` passes, then the socket is destroyed). */
  readonly closed: Promise<{ readonly text: string; readonly closedByServer: boolean }>;
}

/** Opens a loopback connection and writes `first` (nothing when empty); read what comes back from `closed`. */
export function rawConnect(port: number, first: string | Buffer, waitMs = 20_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const closed = new Promise<{ text: string; closedByServer: boolean }>((done) => {
      const timer = setTimeout(() => {
        socket.destroy();
        done({ text, closedByServer: false });
      }, waitMs);
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      socket.on("close", () => {
        clearTimeout(timer);
        done({ text, closedByServer: true });
      });
    });
    // A reset after the answer (the server closes with bytes unread) is a close like any other.
    socket.on("error", () => {});
    socket.once("connect", () => {
      if (first.length > 0) socket.write(first);
      resolve({ socket, closed });
    });
    socket.once("error", reject);
  });
}

/**
 * Sends `request` whole and returns the server's answer, which must come and be followed by
 * the server closing the connection (send `Connection: close` with a well-formed request).
 */
export async function rawRequest(port: number, request: string | Buffer): Promise<RawAnswer> {
  const exchange = await rawConnect(port, request);
  const { text } = await exchange.closed;
  const answer = parseRawAnswer(text);
  if (answer === undefined) throw new Error(`no HTTP answer; the server sent ${JSON.stringify(text.slice(0, 200))}`);
  return answer;
}
