/** How much each phase does: the full run, and the seconds-long CI run. */
export interface Counts {
  setupSessions: number;
  /** Sessions opened back to back in the burst phase. */
  burstSessions: number;
  sequentialWarmup: number;
  /** Timed twice: right after the warm-up (V8 still optimizing the bridge), and at steady state. */
  sequentialRequests: number;
  /** Untimed calls between the two timed stretches. */
  sequentialSettle: number;
  concurrentSessions: number;
  concurrentInFlight: number;
  /** Requests each in-flight slot makes one after another. */
  concurrentPerSlot: number;
  bigBytes: number;
  bigWarmup: number;
  bigCalls: number;
  memorySessions: number;
  /** PSS samples per level (the lowest counts). */
  memorySamples: number;
  exitSessions: number;
  sdkWarmup: number;
  sdkCalls: number;
  /** Warm-up calls, then timed calls, each over the session path and over the 2026-07-28 path. */
  modernWarmup: number;
  modernRequests: number;
  /** New principals whose first 2026-07-28 request is timed, on the warm and on the cold daemon each. */
  modernPrincipals: number;
  /** Idle sessions on one shared child (--isolation shared), for memory per session. */
  sharedMemorySessions: number;
  /** Sessions held at once on one shared child, one call each. */
  sharedHeldSessions: number;
}

export const FULL_COUNTS: Counts = {
  setupSessions: 20,
  burstSessions: 30,
  sequentialWarmup: 300,
  sequentialRequests: 3000,
  sequentialSettle: 3000,
  concurrentSessions: 16,
  concurrentInFlight: 8,
  concurrentPerSlot: 40,
  bigBytes: 1024 * 1024,
  bigWarmup: 5,
  bigCalls: 40,
  memorySessions: 50,
  memorySamples: 5,
  exitSessions: 8,
  sdkWarmup: 50,
  sdkCalls: 500,
  modernWarmup: 300,
  modernRequests: 3000,
  modernPrincipals: 30,
  sharedMemorySessions: 200,
  sharedHeldSessions: 1000,
};

export const QUICK_COUNTS: Counts = {
  setupSessions: 3,
  burstSessions: 4,
  sequentialWarmup: 20,
  sequentialRequests: 100,
  sequentialSettle: 20,
  concurrentSessions: 4,
  concurrentInFlight: 4,
  concurrentPerSlot: 5,
  bigBytes: 1024 * 1024,
  bigWarmup: 1,
  bigCalls: 3,
  memorySessions: 4,
  memorySamples: 2,
  exitSessions: 2,
  sdkWarmup: 5,
  sdkCalls: 20,
  modernWarmup: 20,
  modernRequests: 100,
  modernPrincipals: 2,
  sharedMemorySessions: 10,
  sharedHeldSessions: 50,
};
