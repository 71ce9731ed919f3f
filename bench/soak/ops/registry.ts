/** Every operation of the soak, on all three transports. */
import { LEGACY_SSE_OPERATIONS } from './legacy-sse.js';
import type { Operation } from './operation.js';
import { STREAMABLE_HTTP_OPERATIONS } from './streamable-http.js';
import { WEBSOCKET_OPERATIONS } from './websocket.js';

export const OPERATIONS: readonly Operation[] = [...STREAMABLE_HTTP_OPERATIONS, ...LEGACY_SSE_OPERATIONS, ...WEBSOCKET_OPERATIONS];
