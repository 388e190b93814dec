// The strictest policy of every environment a database is identified as: never weaker than any of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy, type GateMode, type Policy } from '../src/config/target.js';
import { strictestPolicy } from '../src/identity/policy.js';

const GATES: GateMode[] = ['allow', 'warn', 'block'];
const rank = (g: GateMode) => GATES.indexOf(g);

function policies(): Policy[] {
  const out: Policy[] = [];
  for (const destructive of GATES)
    for (const blocking of GATES)
      for (const backupBeforeMigrate of [false, true])
        for (const pauseSeconds of [0, 3, 10])
          out.push({ ...defaultPolicy(false), destructive, blocking, backupBeforeMigrate, pauseSeconds });
  return out;
}

test('invariant: the effective policy is never weaker than any matched environment’s, in any field or order', () => {
  const all = policies();
  for (const a of all) {
    for (const b of [all[0]!, all[all.length - 1]!, all[17]!, defaultPolicy(true)]) {
      for (const [timing, list] of [
        [a, [a, b]],
        [b, [b, a]],
      ] as const) {
        const m = strictestPolicy([...list], timing);
        for (const p of list) {
          assert.ok(rank(m.destructive) >= rank(p.destructive));
          assert.ok(rank(m.blocking) >= rank(p.blocking));
          assert.ok(m.pauseSeconds >= p.pauseSeconds);
          assert.ok(!p.backupBeforeMigrate || m.backupBeforeMigrate);
        }
        // and no stricter than the strictest of them (nothing invented)
        assert.ok(list.some((p) => p.destructive === m.destructive));
        assert.equal(m.statementTimeoutMs, timing.statementTimeoutMs, 'timing fields from the timing policy');
      }
    }
  }
});
