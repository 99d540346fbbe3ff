/**
 * `npm start`: serves the champion named by manifests/production.json on 127.0.0.1:$PORT (8080).
 * Configuration is environment variables only (see service/config.ts). SIGTERM/SIGINT drain and exit.
 */
import { loadConfig } from './config.ts';
import { jsonLogger } from './logger.ts';
import { startService } from './start.ts';
import { errorMessage } from '../lib/util/errors.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.cwd());
  } catch (error) {
    process.stderr.write(`taxiway service: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const logger = jsonLogger((chunk) => process.stdout.write(chunk), { level: config.logLevel });
  // Lines wait up to 20 ms in the buffer; never lose them on the way out (exit handlers are sync).
  process.on('exit', () => logger.flush());
  const service = await startService(config, {
    logger,
    env: process.env,
    // Nothing can be scored without the inference worker: exit and let the supervisor restart us.
    onFatal: () => process.exit(1),
  });
  const stop = (signal: string) => {
    service.shutdown(signal).then(
      ({ drained }) => {
        logger.flush();
        process.exit(drained ? 0 : 1);
      },
      (error: unknown) => {
        logger.error('shutdown_failed', { error });
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `taxiway service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}\n`,
  );
  process.exit(1);
});
