import { floor } from './floor.js';
import { mcpProxy } from './mcp-proxy.js';
import { mcpSidecar, mcpSidecarWarm } from './mcp-sidecar.js';
import { supergateway } from './supergateway.js';
import type { TargetDefinition, TargetName } from './target.js';

/** Every target, in report order. */
export const TARGETS: Readonly<Record<TargetName, TargetDefinition>> = {
  floor,
  'mcp-sidecar': mcpSidecar,
  'mcp-sidecar-warm': mcpSidecarWarm,
  supergateway,
  'mcp-proxy': mcpProxy,
};
