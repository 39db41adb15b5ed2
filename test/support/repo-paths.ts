import path from 'node:path';

/** Paths tests read from, independent of how deep a test file sits in the mirrored tree. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const TEST_FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
export const TEST_EVENTS = path.join(REPO_ROOT, 'test/events');
export const STATE_MACHINES = path.join(REPO_ROOT, 'statemachines');
