// Reading a request body at the HTTP edge, before anyone is authenticated. Only a JSON body is ever
// read, and only after its Content-Type says so; it is read from the stream into memory with a hard
// cap on the bytes actually received (whatever Content-Length claims), and never touches the disk.
// A body that is not JSON is refused from its headers alone, without reading a byte of it.
import type { IncomingMessage } from 'node:http';

/** What a POST to /api/messages may carry. */
export const JSON_MEDIA_TYPE = 'application/json';

/**
 * True for `application/json`, in any case, with or without parameters, as long as a `charset`
 * parameter (if any) says UTF-8: JSON is UTF-8 (RFC 8259), and a body in another charset would be
 * misread. Anything else (form posts, multipart uploads, text, no header) is false.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const [type, ...params] = header.split(';');
  if (type?.trim().toLowerCase() !== JSON_MEDIA_TYPE) return false;
  for (const param of params) {
    if (param.trim() === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) return false;
    const name = param.slice(0, eq).trim().toLowerCase();
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name === 'charset' && !['utf-8', 'utf8'].includes(value.toLowerCase())) return false;
  }
  return true;
}

export type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413; message: string };

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, message: `The request body is over ${maxBytes} bytes, more than any Bot Framework activity needs.` };
}

/**
 * Reads and parses a JSON body of at most `maxBytes` bytes. A declared Content-Length over the cap
 * is refused before reading; otherwise bytes are counted as they arrive (chunked bodies declare no
 * length), and reading stops at the first byte over the cap. The caller answers and closes the
 * connection on a refusal, so the rest of an oversized body is never read.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.resolve(tooLarge(maxBytes));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        req.pause();
        settle(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks, received).toString('utf8');
      try {
        // JSON allows (and some clients send) a byte order mark before the text.
        settle({ ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown });
      } catch {
        settle({ ok: false, status: 400, message: 'The request body is not valid JSON; send the activity as one JSON object.' });
      }
    };
    const onError = () => settle({ ok: false, status: 400, message: 'The request body could not be read to its end; send it again.' });
    const onAborted = onError;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
