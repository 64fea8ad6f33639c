package io.vireo.gateway.conntrack;

import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;

import static io.vireo.gateway.conntrack.ConnectionTable.ICMP;
import static io.vireo.gateway.conntrack.ConnectionTable.NONE;
import static io.vireo.gateway.conntrack.ConnectionTable.OTHER;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_CLOSE;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_CLOSE_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_ESTABLISHED;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_FIN_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_LAST_ACK;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_SYN_RECV;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_SYN_SENT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_TIME_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.UDP_ASSURED;
import static io.vireo.gateway.conntrack.ConnectionTable.UDP_UNREPLIED;

/**
 * The state word of a {@link ConnectionTable} entry, and how a packet moves it: the protocol state
 * machines and their timeouts. Only arithmetic: the reads and writes are {@link ConnectionEntries}'.
 * <p>
 * The state word is one 64-bit word, so that recording a packet (new state, new expiry) is one CAS;
 * bit 0 is the least significant:
 * <pre>
 *     0     3 4 5 6 7 8                    23 24                                 63
 *      +-------+-+-+---+-----------------------+-------------------------------------+
 *      | State |R|C| 0 |  Generation, low 16   |  Expires at: ms modulo 2^40         |
 *      +-------+-+-+---+-----------------------+-------------------------------------+
 * </pre>
 * <ul>
 *   <li>State: one of {@link ConnectionTable}'s state constants; {@link ConnectionTable#NONE} while the
 *   entry is not a live connection (free, being created, being removed); {@link #RETIRED} for a closed
 *   connection a new one took the reply tuple of, which waits for the control thread to remove it.</li>
 *   <li>R: a packet of the reply direction was seen. C: the first FIN came from the reply direction
 *   (which side closed first decides the TCP states that follow).</li>
 *   <li>Generation: the low bits of the entry's generation ({@link ConnectionEntries}), so that a CAS
 *   by a thread whose connection was removed meanwhile fails on the entry's next connection.</li>
 *   <li>Expires at: the caller's millisecond clock, modulo 2<sup>40</sup> (34 years); compared with
 *   wrap-around arithmetic, so any clock origin works.</li>
 * </ul>
 */
final class ConnectionStates
{
    /** IP protocol number of ICMP. */
    private static final int ICMP_PROTOCOL = 1;

    private static final long TIME_MASK = (1L << 40) - 1;
    private static final long STATE_MASK = 0xF;
    /** Past {@link ConnectionTable}'s states: not live, to be removed (see {@link #retired}). */
    private static final int RETIRED = 15;
    private static final long REPLIED = 1 << 4;
    private static final long REPLY_CLOSED = 1 << 5;
    private static final int GENERATION_SHIFT = 8;
    private static final long GENERATION_MASK = 0xFFFFL << GENERATION_SHIFT;
    private static final int TIME_SHIFT = 24;
    private static final long SIGN_40 = 1L << 39;
    /** The most a refresh may lag: a busy connection writes its state word once a second, not per packet. */
    private static final long MAX_REFRESH_SLACK_MS = 1_000;

    private static final long SECOND = 1_000;
    private static final long[] TIMEOUTS_MS =
    {
        0,
        120 * SECOND,       // TCP_SYN_SENT: nf_conntrack_tcp_timeout_syn_sent
        60 * SECOND,        // TCP_SYN_RECV
        432_000 * SECOND,   // TCP_ESTABLISHED: 5 days
        120 * SECOND,       // TCP_FIN_WAIT
        60 * SECOND,        // TCP_CLOSE_WAIT
        30 * SECOND,        // TCP_LAST_ACK
        120 * SECOND,       // TCP_TIME_WAIT
        10 * SECOND,        // TCP_CLOSE
        30 * SECOND,        // UDP_UNREPLIED: nf_conntrack_udp_timeout
        120 * SECOND,       // UDP_ASSURED: nf_conntrack_udp_timeout_stream
        30 * SECOND,        // ICMP: nf_conntrack_icmp_timeout
        600 * SECOND,       // OTHER: nf_conntrack_generic_timeout
    };
    private static final String[] NAMES =
    {
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
        "UNREPLIED", "ASSURED", "ICMP", "OTHER",
    };

    private ConnectionStates()
    {
    }

    static int state(final long word)
    {
        return (int)(word & STATE_MASK);
    }

    /** A connection lookups find: neither NONE nor {@link #RETIRED}. */
    static boolean isLive(final long word)
    {
        final int state = state(word);
        return NONE != state && RETIRED != state;
    }

    static boolean isRetired(final long word)
    {
        return RETIRED == state(word);
    }

    /** A TCP connection both sides have closed: TIME_WAIT, or CLOSE after a reset. */
    static boolean isClosed(final long word)
    {
        final int state = state(word);
        return TCP_TIME_WAIT == state || TCP_CLOSE == state;
    }

    /**
     * @return the word with state {@link #RETIRED}, the rest kept: lookups no longer find the connection and the
     * control thread's next expiry pass removes it, whatever its expiry.
     */
    static long retired(final long word)
    {
        return word & ~STATE_MASK | RETIRED;
    }

    /**
     * @return the state word of a new connection of this protocol in its first state.
     */
    static long initial(final int protocol, final int generation, final long nowMs)
    {
        final int state = TcpFlyweight.PROTOCOL == protocol ? TCP_SYN_SENT :
            UdpFlyweight.PROTOCOL == protocol ? UDP_UNREPLIED : ICMP_PROTOCOL == protocol ? ICMP : OTHER;
        return word(state, ((long)generation << GENERATION_SHIFT) & GENERATION_MASK, nowMs + TIMEOUTS_MS[state]);
    }

    /**
     * @return the word with state NONE, the rest kept: the connection is being removed.
     */
    static long dead(final long word)
    {
        return word & ~STATE_MASK;
    }

    /**
     * The state word after a packet of the connection: the protocol's next state and a new expiry, or
     * {@code word} itself if neither the state nor the flags change and the expiry would move by less
     * than the refresh slack (1/64 of the timeout, at most {@value #MAX_REFRESH_SLACK_MS} ms).
     *
     * @param word      a live state word.
     * @param direction 0 original, 1 reply.
     * @param tcpFlags  the TCP header's flags byte; ignored for other protocols.
     */
    static long next(final long word, final int direction, final int tcpFlags, final long nowMs)
    {
        final int state = state(word);
        long flags = word & (REPLIED | REPLY_CLOSED);
        int next = state;
        if (1 == direction)
        {
            flags |= REPLIED;
            next = UDP_UNREPLIED == state ? UDP_ASSURED : state;
        }
        if (state >= TCP_SYN_SENT && state <= TCP_CLOSE)
        {
            next = tcp(state, direction, tcpFlags, 0 != (flags & REPLY_CLOSED) ? 1 : 0);
            if (TCP_FIN_WAIT == next && TCP_FIN_WAIT != state)
            {
                flags = 1 == direction ? flags | REPLY_CLOSED : flags & ~REPLY_CLOSED;
            }
        }

        final long timeout = TIMEOUTS_MS[next];
        final long expires = (nowMs + timeout) & TIME_MASK;
        final long gain = signed40(expires - expiresAt(word));
        if (next == state && flags == (word & (REPLIED | REPLY_CLOSED)) &&
            gain < Math.min(timeout >>> 6, MAX_REFRESH_SLACK_MS))
        {
            return word;
        }
        return word(next, flags | (word & GENERATION_MASK), nowMs + timeout);
    }

    /**
     * @return true if the connection's timeout has passed at {@code nowMs}.
     */
    static boolean isExpired(final long word, final long nowMs)
    {
        return signed40((nowMs & TIME_MASK) - expiresAt(word)) >= 0;
    }

    /**
     * @return the full expiry time: the time modulo 2<sup>40</sup> put back beside {@code nearMs}, a
     * time less than 17 years from it.
     */
    static long expiresAtMs(final long word, final long nearMs)
    {
        return nearMs + signed40(expiresAt(word) - nearMs);
    }

    static long timeoutMs(final int state)
    {
        return TIMEOUTS_MS[state];
    }

    static String name(final int state)
    {
        return state >= 0 && state < NAMES.length ? NAMES[state] : "UNKNOWN(" + state + ")";
    }

    /**
     * The TCP state after a packet, close to Linux's {@code tcp_conntracks} table: RST closes from
     * anywhere; SYN, SYN/ACK from the reply side, ACK from the original side open; a FIN from either
     * side, the other side's ACK and FIN, and the first closer's last ACK close. A packet that fits no
     * transition leaves the state as it is.
     *
     * @param closer the direction that sent the first FIN (meaningful from FIN_WAIT on).
     */
    private static int tcp(final int state, final int direction, final int tcpFlags, final int closer)
    {
        if (0 != (tcpFlags & TcpFlyweight.FLAG_RST))
        {
            return TCP_CLOSE;
        }
        final boolean syn = 0 != (tcpFlags & TcpFlyweight.FLAG_SYN);
        final boolean fin = !syn && 0 != (tcpFlags & TcpFlyweight.FLAG_FIN);
        final boolean ack = !syn && !fin && 0 != (tcpFlags & TcpFlyweight.FLAG_ACK);
        final boolean fromCloser = direction == closer;
        switch (state)
        {
            case TCP_SYN_SENT:
                return syn && 1 == direction ? TCP_SYN_RECV : state;
            case TCP_SYN_RECV:
                return fin ? TCP_FIN_WAIT : ack && 0 == direction ? TCP_ESTABLISHED : state;
            case TCP_ESTABLISHED:
                return fin ? TCP_FIN_WAIT : state;
            case TCP_FIN_WAIT:
                return fromCloser ? state : fin ? TCP_LAST_ACK : ack ? TCP_CLOSE_WAIT : state;
            case TCP_CLOSE_WAIT:
                return fin && !fromCloser ? TCP_LAST_ACK : state;
            case TCP_LAST_ACK:
                return ack && fromCloser ? TCP_TIME_WAIT : state;
            default:
                // TIME_WAIT and CLOSE: a new SYN from the original side reopens the tuple, as in Linux.
                return syn && 0 == (tcpFlags & TcpFlyweight.FLAG_ACK) && 0 == direction ? TCP_SYN_SENT : state;
        }
    }

    private static long word(final int state, final long flagsAndGeneration, final long expiresMs)
    {
        return ((expiresMs & TIME_MASK) << TIME_SHIFT) | flagsAndGeneration | state;
    }

    private static long expiresAt(final long word)
    {
        return word >>> TIME_SHIFT;
    }

    private static long signed40(final long difference)
    {
        return ((difference & TIME_MASK) ^ SIGN_40) - SIGN_40;
    }
}
