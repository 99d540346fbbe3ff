/**
 * `npm start`: serves the champion named by manifests/production.json on 127.0.0.1:$PORT (8080).
 * Configuration is environment variables only (see service/config.ts). SIGTERM/SIGINT drain and exit.
 */
import { runServer } from './start.ts';

runServer();
