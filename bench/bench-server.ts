/** The service as `npm start` runs it, plus the bench's echo control route (bench/echo-route.ts). */
import { runServer } from '../service/start.ts';
import { echoRoutes } from './echo-route.ts';

runServer({ routes: [echoRoutes] });
