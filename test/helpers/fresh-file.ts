import nock from "nock";
import { vi } from "vitest";

// The unit project runs its files in shared workers without re-importing modules per file (isolate: false, a
// fraction of the time). What a file may leave behind in those modules is reset here, before each file starts:
// nock's interceptors and net-connect setting, fake timers, spies and stubbed globals.
nock.cleanAll();
nock.enableNetConnect();
vi.useRealTimers();
vi.restoreAllMocks();
vi.unstubAllGlobals();
vi.unstubAllEnvs();
