// Imported by the CLI entry, before any command runs. pgward's CLI runs are short: V8's optimising
// WebAssembly compiler (TurboFan) would spend more time recompiling the 1.7 MB SQL parser than it
// saves. Baseline (Liftoff) code only: parsing the 5,000-statement lint bench corpus takes ~80 ms
// instead of ~130 ms, and ~300 ms less CPU in all. It must be set before libpg-query is imported (its
// compilation starts on import). Only the CLI does this: the process is ours. The library never
// changes V8 flags, because a host application's process is not pgward's to tune.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
