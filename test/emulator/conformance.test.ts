/**
 * The OSS conformance suite: always against the emulator; also against a real bucket when
 * OSS_TEST_ENDPOINT, OSS_TEST_BUCKET, OSS_TEST_ACCESS_KEY_ID and OSS_TEST_ACCESS_KEY_SECRET are set
 * (optionally OSS_TEST_REGION for V4), so anyone with an account can check the emulator against OSS.
 */
import { describe, it } from 'vitest';
import { conformanceSuite } from './conformance/suite.js';
import { emulatorTarget, REAL_OSS_VARIABLES, realOssTarget } from './conformance/target.js';

conformanceSuite(emulatorTarget);

const realOss = realOssTarget();
if (realOss) {
  conformanceSuite(realOss);
} else {
  const why = `skipped: set ${REAL_OSS_VARIABLES.join(', ')} to run the suite against a real bucket`;
  console.info(`OSS conformance against real OSS ${why}`);
  describe('OSS conformance: real OSS', () => {
    it.skip(why, () => {});
  });
}
