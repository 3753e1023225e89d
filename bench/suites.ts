import { clusterSuite } from './cluster.js';
import { eventsSuite } from './events.js';
import { httpSuite } from './http.js';
import { memoryBusSuite } from './memory-bus.js';
import { memoryStabilitySuite } from './memory-stability.js';
import { policyOverhead } from './policy-overhead.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';

/** Every suite of `npm run bench`, in the order a full run takes them. */
export const suites: Readonly<Record<string, (scale: RunScale) => Promise<SuiteResult[]>>> = {
  policy: policyOverhead,
  http: httpSuite,
  events: eventsSuite,
  'memory-bus': memoryBusSuite,
  'memory-stability': memoryStabilitySuite,
  cluster: clusterSuite,
};
