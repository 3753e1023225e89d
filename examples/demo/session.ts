import type { BreakerWatch } from './breaker-watch.js';
import type { DemoStack } from './demo-stack.js';
import type { Timeline } from './timeline.js';

/** What the scenario's later steps need from its first ones. */
export type Session = {
  readonly stack: DemoStack;
  readonly timeline: Timeline;
  readonly breaker: BreakerWatch;
  /** Ada may manage stock; Bob created the product. */
  readonly adaToken: string;
  readonly bobToken: string;
  readonly productId: number;
};
