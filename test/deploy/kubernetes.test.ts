/**
 * deploy/kubernetes/, offline: every document of every manifest parses as YAML and validates
 * against the Kubernetes API schema of its kind (kubernetes-models: the API's OpenAPI schemas,
 * compiled to validators; types, required fields, formats and enums, not unknown fields, so each
 * field the deployment relies on is asserted by name below), and the manifests keep the contract
 * the daemon needs: a stable instance id per pod, probes on /healthz and /readyz, a grace period
 * above the whole stop, a disruption budget, limits, and a non-root, read-only container. Every
 * MCP_SIDECAR_* value they set is one the daemon's own option schema accepts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { OPTIONS } from '../../src/config/schema.js';
import { ROOT } from '../helpers/paths.js';

const DIR = path.join(ROOT, 'deploy/kubernetes');

/** What the manifests may contain, by apiVersion and kind: each a validating model. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 StatefulSet': StatefulSet,
  'v1 Service': Service,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
};

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** Every document of every manifest (kustomization.yaml is kustomize's, not the API's). */
function manifests(): Manifest[] {
  const found: Manifest[] = [];
  for (const file of readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8'), { uniqueKeys: true })) {
      assert.deepEqual([...document.errors, ...document.warnings].map(String), [], `${file} is clean YAML`);
      found.push({ file, ...(document.toJS() as Omit<Manifest, 'file'>) });
    }
  }
  return found;
}

const ALL = manifests();

function one(kind: string, name?: string): Manifest {
  const matches = ALL.filter((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
  assert.equal(matches.length, 1, `one ${kind}${name ? ` named ${name}` : ''}`);
  return matches[0] as Manifest;
}

/** The document as the API server would get it. */
function apiObject(manifest: Manifest): Omit<Manifest, 'file'> {
  const object: Partial<Manifest> = { ...manifest };
  delete object.file;
  return object as Omit<Manifest, 'file'>;
}

/** A Kubernetes memory quantity (`256Mi`, `1Gi`, `512M`) in bytes. */
function quantityBytes(text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(text);
  assert.ok(match, `a memory quantity: ${text}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

interface Container {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  lifecycle: { preStop: { sleep?: { seconds: number } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
}

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    terminationGracePeriodSeconds: number;
    securityContext: { runAsNonRoot: boolean; runAsUser: number };
    containers: Container[];
  };
}

describe('deploy/kubernetes', () => {
  it('has only kinds it knows, and each document validates against its Kubernetes schema', () => {
    assert.ok(ALL.length >= 4, `${ALL.length} documents`);
    for (const manifest of ALL) {
      const Model = MODELS[`${manifest.apiVersion} ${manifest.kind}`];
      assert.ok(Model, `${manifest.file}: ${manifest.apiVersion} ${manifest.kind} is one of ${Object.keys(MODELS).join(', ')}`);
      assert.doesNotThrow(() => new Model(apiObject(manifest) as never).validate(), `${manifest.file}: ${manifest.kind} ${manifest.metadata.name}`);
    }
  });

  it('validates for real: a wrong type is refused', () => {
    const broken = structuredClone(apiObject(one('StatefulSet'))) as unknown as { spec: { template: PodTemplate } };
    (broken.spec.template.spec as unknown as Record<string, unknown>).terminationGracePeriodSeconds = '30s';
    assert.throws(() => new StatefulSet(broken as never).validate(), /terminationGracePeriodSeconds/);
  });

  it('kustomization.yaml lists every manifest', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), [...new Set(ALL.map((manifest) => manifest.file))].sort());
  });

  const set = one('StatefulSet');
  const template = set.spec.template as PodTemplate;
  const labels = template.metadata.labels;
  const container = template.spec.containers[0] as Container;
  const envValue = (name: string): string | undefined => container.env.find((variable) => variable.name === name)?.value;
  const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value);

  it('a StatefulSet whose pods are their own instance: MCP_SIDECAR_INSTANCE_ID is the pod name', () => {
    assert.equal(template.spec.containers.length, 1);
    assert.deepEqual(container.env.find((variable) => variable.name === 'MCP_SIDECAR_INSTANCE_ID')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.ok((set.spec.replicas as number) >= 2, 'more than one replica');
    assert.ok(selects((set.spec.selector as { matchLabels: Record<string, string> }).matchLabels));
  });

  it('a headless Service governs it and publishes draining pods; a ClusterIP Service selects the same pods', () => {
    const headless = one('Service', set.spec.serviceName as string);
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const services = ALL.filter((manifest) => manifest.kind === 'Service');
    assert.equal(services.length, 2);
    for (const service of services) {
      assert.ok(selects(service.spec.selector as Record<string, string>), `${service.metadata.name} selects the pods`);
      assert.deepEqual((service.spec.ports as { targetPort: string }[]).map((port) => port.targetPort), ['http']);
    }
  });

  it('probes /healthz for liveness and /readyz for readiness, on the port the daemon listens on', () => {
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: Number(envValue('MCP_SIDECAR_PORT')) }]);
  });

  it('every MCP_SIDECAR_* variable is an option whose value the daemon accepts', () => {
    for (const variable of container.env.filter((entry) => entry.name.startsWith('MCP_SIDECAR_'))) {
      const option = OPTIONS.find((spec) => spec.env === variable.name);
      assert.ok(option, `${variable.name} is an option`);
      if (variable.value !== undefined) assert.notEqual(option.parse(variable.value, option.default), undefined, `${variable.name}=${variable.value}: ${option.accepts}`);
    }
  });

  it('gives the pod longer than the whole stop: preStop, then the drain, then each child\'s ladder', () => {
    const option = (env: string): number => {
      const spec = OPTIONS.find((candidate) => candidate.env === env);
      assert.ok(spec);
      const raw = envValue(env);
      return (raw === undefined ? spec.default : spec.parse(raw, spec.default)) as number;
    };
    const preStopMs = (container.lifecycle.preStop.sleep?.seconds ?? 0) * 1000;
    assert.ok(preStopMs > 0, 'a preStop pause before SIGTERM');
    const stopMs = preStopMs + option('MCP_SIDECAR_DRAIN_TIMEOUT') + 2 * option('MCP_SIDECAR_TIMEOUT_STOP');
    assert.ok(template.spec.terminationGracePeriodSeconds * 1000 > stopMs, `${template.spec.terminationGracePeriodSeconds}s > ${stopMs}ms`);
  });

  it('a PodDisruptionBudget that leaves a replica serving', () => {
    const budget = one('PodDisruptionBudget');
    assert.ok(selects((budget.spec.selector as { matchLabels: Record<string, string> }).matchLabels));
    const replicas = set.spec.replicas as number;
    const unavailable = (budget.spec.maxUnavailable ?? replicas - (budget.spec.minAvailable as number)) as number;
    assert.ok(Number.isInteger(unavailable) && unavailable >= 1 && unavailable < replicas, `at most ${unavailable} of ${replicas} down`);
  });

  it('limits resources, and sheds new sessions below the memory limit', () => {
    const { requests, limits } = container.resources;
    for (const key of ['cpu', 'memory']) {
      assert.ok(requests[key], `requests.${key}`);
      assert.ok(limits[key], `limits.${key}`);
    }
    const shedAt = OPTIONS.find((spec) => spec.env === 'MCP_SIDECAR_MEMORY_MAX_TOTAL')?.parse(envValue('MCP_SIDECAR_MEMORY_MAX_TOTAL') ?? '', undefined) as number;
    assert.ok(shedAt < quantityBytes(limits.memory as string), `--memory-max-total ${shedAt} is below the limit ${limits.memory}`);
  });

  it('runs non-root, without privilege escalation, capabilities or a writable root filesystem', () => {
    assert.equal(template.spec.securityContext.runAsNonRoot, true);
    assert.ok(template.spec.securityContext.runAsUser > 0);
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });
});
