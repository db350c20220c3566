// examples/upper-server.ts: a line server that upper-cases what it is sent, composed as a pipeline on the TCP server.
import { StringDecoder } from 'node:string_decoder';
import { Pipeline, TcpServer, Transform, map } from 'boxwire';

/** Splits a byte stream into lines (without their '\n'); a last unterminated line is sent at the end. */
export function lineSplitter(): Transform<Buffer, string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return new Transform<Buffer, string>(
    (chunk, emit) => {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) emit(line);
    },
    { flush: (emit) => void ((rest += decoder.end()) && emit(rest)) },
  );
}

export function upperServer(port = 7000): TcpServer {
  return new TcpServer({
    interfaces: [{ host: '127.0.0.1', port }],
    protocol: () =>
      new Pipeline(
        lineSplitter(),
        map((line: string) => `${line.toUpperCase()}\n`),
      ),
  });
}
