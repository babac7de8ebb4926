// restify 11 loads spdy when it loads (for HTTP/2 over TLS, which this bot never uses), and spdy's
// http-deceiver reads process.binding('http_parser') at load time. Node.js 20 still has that
// binding (with a deprecation warning); Node.js 24 throws "No such module: http_parser", so
// restify, and the bot, would not start at all. restify 12 drops spdy but requires Node.js 22, and
// the bot supports Node.js 20.19 too. Until Node.js 20 goes, this answers that one binding from
// node:_http_common, which exports the same parser class and method list; every other binding is
// untouched. Imported before restify (bot/edge/server.ts); CI runs the suite on Node.js 24.
type Binding = (name: string) => unknown;

const proc = process as unknown as { binding: Binding };
const original = proc.binding;
proc.binding = function binding(name: string): unknown {
  if (name !== 'http_parser') return original.call(process, name);
  try {
    return original.call(process, name);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const common = require('_http_common') as { HTTPParser: unknown; methods: string[] };
    return { HTTPParser: common.HTTPParser, methods: common.methods };
  }
};
