// A job's slots, named by its schedule. croner names a firing by the second it happens in: a replica
// whose event loop was blocked past 12:00:00 for 1.2 s would claim "12:00:01" while the others claim
// 12:00:00, and the slot would run twice. Here a firing only says "something came due": the slots are
// the pattern's own times since the last one handed out, so every replica names a slot the same way.
import { createHash } from 'node:crypto';
import type { Cron } from 'croner';

/**
 * Slots a stalled replica catches up on in one firing (each gets a row, superseded by the newest). A
 * longer stall (a suspended host) leaves the older slots to the other replicas.
 */
export const MAX_CATCH_UP = 60;

/** The pattern's latest slot at or before `ms` (croner's previousRuns is strictly before its reference). */
export function slotAtOrBefore(cron: Cron, ms: number): Date | undefined {
  return cron.previousRuns(1, new Date(ms + 1))[0];
}

export class JobSlots {
  /** The newest slot handed out (epoch ms): the next firing's slots are the pattern's after it. */
  private last: number | undefined;
  /** Slots the cron never fired for on time: a stall skipped them, a later firing caught up. */
  private readonly late = new Set<number>();

  constructor(private readonly cron: Cron) {}

  /** Slots from now on are this replica's to record: one due before it started is not. */
  markStart(now = Date.now()): void {
    this.last = slotAtOrBefore(this.cron, now)?.getTime();
  }

  /**
   * The pattern's slots that came due since the last one handed out, oldest first. Slots a lag skipped
   * are returned too (at most MAX_CATCH_UP), so each still gets its row: superseded by the newest when
   * the turn comes.
   */
  due(now = Date.now()): Date[] {
    const last = this.last;
    const slots: Date[] = [];
    let at = now;
    while (slots.length < MAX_CATCH_UP) {
      const slot = slotAtOrBefore(this.cron, at);
      if (!slot || (last !== undefined && slot.getTime() <= last)) break;
      slots.unshift(slot);
      if (last === undefined) break; // a pattern with no slot before start: only the one now due
      at = slot.getTime() - 1;
    }
    const newest = slots[slots.length - 1];
    if (newest) this.last = newest.getTime();
    for (const skipped of slots.slice(0, -1)) this.late.add(skipped.getTime());
    return slots;
  }

  /** Whether `at` was fired late, by a catch-up; asked once (when its turn comes), then forgotten. */
  takeLate(at: Date): boolean {
    return this.late.delete(at.getTime());
  }
}

/**
 * Where a turn waits among the fleet's turns for job capacity: a hash of the replica, the environment,
 * the job and the slot. Every replica fires a fleet's slots at the same second; in arrival order the
 * replicas would all reach for the same environment's slot at the same moment, each opening a session to
 * learn that one of them won. In an order of its own, a replica mostly comes to slots another has
 * already taken (a read on its kept connection, see takenElsewhere); a new order every slot keeps any
 * one environment from always coming last.
 */
export function turnRank(runner: string, env: string, job: string, slot: Date): number {
  return createHash('sha1')
    .update(`${runner}\0${env}\0${job}\0${slot.toISOString()}`)
    .digest()
    .readUInt32BE(0);
}
