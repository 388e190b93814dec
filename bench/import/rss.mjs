// Preloaded into the pgward CLI by bench/import/run.ts: prints the process's peak RSS when it exits.
process.on('exit', () => process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`));
