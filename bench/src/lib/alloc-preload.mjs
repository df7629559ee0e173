// Loaded into a contender server by `src/alloc.mjs` (`node --import`): the first SIGUSR2 starts
// V8's sampling heap profiler with the objects the garbage collector has already freed included
// (so it counts what a request allocates, not what it keeps), the second writes the profile to
// ALLOC_PROFILE and prints `allocation profile written`.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
let sampling = false;

process.on('SIGUSR2', async () => {
  if (!sampling) {
    sampling = true;
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    console.log('allocation sampling started');
    return;
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOC_PROFILE, JSON.stringify(profile));
  console.log('allocation profile written');
});
