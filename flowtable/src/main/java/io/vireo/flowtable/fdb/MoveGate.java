package io.vireo.flowtable.fdb;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps entries in place while an insert settles ({@link Learner}).
 * <p>
 * The control thread's backward-shift deletion ({@link Sweeper#compact}) moves entries toward their
 * home slot. A settle walk that an entry passes backwards, from a slot ahead of the walk to one behind
 * it, would miss that entry and leave a duplicate, and an insert whose own entry moved would settle
 * a slot that no longer holds it. So the two exclude each other, without either side waiting on a
 * slot it owns:
 * <ul>
 *   <li>An insert calls {@link #enterSettle} before it claims a slot and {@link #leaveSettle} after
 *   it settled. Entering waits only for a move already under way, which never waits on anything.</li>
 *   <li>The control thread calls {@link #beginMoves} before it moves the first entry of a shift and
 *   {@link #endMoves} after the shift. If an insert is settling, {@link #beginMoves} says no at once
 *   and the shift stops there, leaving a tombstone that a later pass closes.</li>
 * </ul>
 * Each side writes its own counter, then reads the other's, all sequentially consistent (Dekker's
 * handshake): of an insert and a shift that start together, at least one sees the other.
 */
final class MoveGate
{
    /** Odd while the control thread may be moving entries. */
    private final AtomicLong moves = new AtomicLong();
    private final AtomicInteger settling = new AtomicInteger();

    /**
     * Forwarding thread: no entry moves from now until {@link #leaveSettle}.
     */
    void enterSettle()
    {
        settling.incrementAndGet();
        for (int attempt = 0; 0 != (moves.get() & 1); attempt++)
        {
            SlotArray.pause(attempt);
        }
    }

    void leaveSettle()
    {
        settling.decrementAndGet();
    }

    /**
     * Control thread: start moving entries, unless an insert is settling.
     *
     * @return true if entries may move until {@link #endMoves}; false if none may.
     */
    boolean beginMoves()
    {
        moves.incrementAndGet();
        if (0 == settling.get())
        {
            return true;
        }
        moves.incrementAndGet();
        return false;
    }

    void endMoves()
    {
        moves.incrementAndGet();
    }
}
