import { memoryTransport } from 'switchboard';
import { runTransportContract } from 'switchboard/testing';

// The contract suite itself, on the memory transport (Redis runs it in tests/events/redis/).
await runTransportContract('memory', () => memoryTransport());
