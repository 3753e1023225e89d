import { memoryTransport } from 'switchboard';
import { poisonScenarios } from './poison-scenarios.js';

poisonScenarios('memory', () => memoryTransport());
