// The Azurite Table service in a process of its own (see azurite.ts for why): started on a free
// loopback port chosen by the operating system, in memory; it reports the port it really took to
// its parent over IPC, and stops when the parent disconnects or goes away.

// Azurite 3.35 ships JavaScript without type declarations; this is the part of its table server used here.
interface AzuriteTableServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
type TableServerClass = new (config: unknown) => AzuriteTableServer;
type TableConfigurationClass = new (...args: unknown[]) => unknown;

/* eslint-disable @typescript-eslint/no-require-imports */
const TableServer = (require('azurite/dist/src/table/TableServer') as { default: TableServerClass }).default;
const TableConfiguration = (require('azurite/dist/src/table/TableConfiguration') as { default: TableConfigurationClass }).default;
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  // host, port, keepAliveTimeout, metadataDBPath, enableDebugLog, enableAccessLog, accessLogWriteStream,
  // debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
  // Telemetry is only ever started by Azurite's command line, never by the server class.
  const config = new TableConfiguration('127.0.0.1', 0, undefined, ':memory:', false, false, undefined, undefined, false, false, '', '', '', undefined, false, true);
  const server = new TableServer(config);
  await server.start();
  const port = Number(/:(\d+)$/.exec(server.getHttpServerAddress())?.[1]);
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
  process.send!({ port });
}

main().catch((err: unknown) => {
  console.error(`Azurite did not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
