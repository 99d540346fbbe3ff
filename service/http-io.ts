/**
 * Request headers and body straight from Node's IncomingMessage when the app runs under
 * @hono/node-server: building a WHATWG Request and a web stream for a 100-byte body costs more than
 * the rest of a request. Under `app.request` (tests) there is no IncomingMessage and the standard
 * Request is used; both paths apply the same limits.
 */
import type { IncomingMessage } from 'node:http';
import { RequestError } from './validation.ts';
import { errorMessage } from '../lib/util/errors.ts';

export interface NodeBindings {
  incoming?: IncomingMessage;
}

/** The parts of a Hono context these helpers read (any Env with node bindings fits). */
interface AnyContext {
  env: NodeBindings | undefined;
  req: { header(name: string): string | undefined; arrayBuffer(): Promise<ArrayBuffer> };
}

/** A request header, lower-case name. */
export function header(c: AnyContext, name: string): string | undefined {
  const incoming = c.env?.incoming;
  if (incoming) {
    const value = incoming.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return c.req.header(name) ?? undefined;
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json';
}

function tooLarge(limit: number, size: string): RequestError {
  return new RequestError(413, [{ field: 'body', problem: `is ${size}; the limit is ${limit} bytes` }]);
}

/** The body as text; 413 past `limit` bytes (checked on Content-Length first, then while reading). */
export async function readBody(c: AnyContext, limit: number): Promise<string> {
  const declared = header(c, 'content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, `${declared} bytes`);
  const incoming = c.env?.incoming;
  if (incoming && !incoming.readableEnded) return readIncoming(incoming, limit);
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > limit) throw tooLarge(limit, `${buffer.byteLength} bytes`);
  return new TextDecoder().decode(buffer);
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop buffering; Node discards the rest of the body after the response.
        incoming.resume();
        reject(tooLarge(limit, `over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new RequestError(400, [{ field: 'body', problem: `could not be read: ${error.message}` }]));
    };
    const onClose = () => {
      if (incoming.readableEnded) return;
      cleanup();
      reject(
        new RequestError(400, [
          { field: 'body', problem: 'was cut off: the client closed the connection before sending all of it' },
        ]),
      );
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** JSON.parse with a 400 that quotes the parser's complaint. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new RequestError(400, [{ field: 'body', problem: 'is empty; send a JSON object' }]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, [{ field: 'body', problem: `is not valid JSON: ${errorMessage(error)}` }]);
  }
}
