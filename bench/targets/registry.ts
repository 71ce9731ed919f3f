import { floor } from './floor.js';
import { mcpProxy } from './mcp-proxy.js';
import { mcpSidecar, mcpSidecarBaseline, mcpSidecarWarm } from './mcp-sidecar.js';
import { supergateway } from './supergateway.js';
import type { TargetDefinition, TargetName } from './target.js';

/** Every target, in report order. */
export const TARGETS: Readonly<Record<TargetName, TargetDefinition>> = {
  floor,
  'mcp-sidecar': mcpSidecar,
  'mcp-sidecar-warm': mcpSidecarWarm,
  'mcp-sidecar-baseline': mcpSidecarBaseline,
  supergateway,
  'mcp-proxy': mcpProxy,
};
