import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { authTests } from './auth-tests.js';
import { emulatorOnlyTests } from './emulator-only-tests.js';
import { fidelityTests } from './fidelity-tests.js';
import { listingTests } from './listing-tests.js';
import { multipartTests } from './multipart-tests.js';
import { objectTests } from './object-tests.js';
import type { ConformanceTarget, TargetSession } from './target.js';

/** The whole OSS conformance suite against one target, through the real ali-oss client. */
export function conformanceSuite(target: ConformanceTarget): void {
  describe(`OSS conformance: ${target.name}`, () => {
    let current: TargetSession | undefined;
    const session = (): TargetSession => {
      if (!current) throw new Error('target session not open');
      return current;
    };
    beforeAll(async () => {
      current = await target.open();
    });
    afterEach(() => {
      current?.emulator?.emulator.faults.clear();
    });
    afterAll(async () => {
      await current?.close();
    });

    objectTests(session);
    multipartTests(session);
    listingTests(session);
    authTests(session);
    fidelityTests(session);
    if (target.emulatorFeatures) emulatorOnlyTests(session);
  });
}
