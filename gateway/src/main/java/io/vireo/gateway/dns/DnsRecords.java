package io.vireo.gateway.dns;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.agrona.DirectBuffer;

/**
 * The records a router answers for in its domain, as the forwarding threads read them: immutable,
 * built by the control plane with a {@link Builder} and replaced whole on change. Names are held in
 * wire format (RFC 1035 3.1), lower-cased, one after another in one buffer:
 * <pre>
 *  web.svc.vireo:  | 3 | w e b | 3 | s v c | 5 | v i r e o | 0 |
 *                    length, label bytes ...                 root
 * </pre>
 * Name 0 is the domain itself (the apex, which holds the SOA the responder makes up); then every
 * owner name and every name between an owner and the domain (an empty non-terminal such as
 * {@code _tcp.web.svc.vireo} under {@code _http._tcp.web.svc.vireo} exists, RFC 8020, so it answers
 * NODATA, not NXDOMAIN); then SRV targets that are no owner. An open-addressing hash table over the
 * owner names, hashed and compared with ASCII letters folded to lower case (RFC 4343), finds a name
 * given in wire format in a buffer without allocating ({@link DnsNameTable}).
 * <p>
 * Each name's A, AAAA and SRV records lie in index ranges of their arrays, in the order they were
 * added; a record added twice is kept once (an RRset is a set, RFC 2181 5). All records have the
 * builder's TTL.
 */
public final class DnsRecords
{
    /** The domain a builder starts with. */
    public static final String DEFAULT_DOMAIN = "svc.vireo";
    /** The TTL a builder starts with, in seconds: short, as instances come and go. */
    public static final int DEFAULT_TTL = 5;
    /** The SOA serial a builder starts with. */
    public static final long DEFAULT_SERIAL = 1;
    /** What {@link #lookup} returns for a name that has no entry. */
    public static final int NOT_FOUND = -1;
    /** The longest name in wire format, root label included (RFC 1035 2.3.4). */
    public static final int MAX_NAME_LENGTH = 255;
    /** The longest label (RFC 1035 2.3.4). */
    public static final int MAX_LABEL_LENGTH = 63;
    /** The index of the domain's own name. */
    static final int APEX = 0;

    private static final int SRV_FIELDS = 3;

    private final String domain;
    private final int ttl;
    private final long serial;
    private final DnsNameTable nameTable;
    private final int[] aStarts;
    private final int[] addresses;
    private final int[] aaaaStarts;
    private final long[] addresses6;
    private final int[] srvStarts;
    private final int[] srvFields;
    private final int[] srvTargetOffsets;
    private final int[] srvTargetLengths;
    private final int[] srvTargetNames;

    private DnsRecords(final Builder builder)
    {
        domain = builder.domain;
        ttl = builder.ttl;
        serial = builder.serial;

        final Map<String, Integer> index = new HashMap<>();
        final List<String> owners = new ArrayList<>();
        owners.add(domain);
        index.put(domain, APEX);
        for (final Address record : builder.addresses)
        {
            addOwner(record.name(), owners, index);
        }
        for (final Address6 record : builder.addresses6)
        {
            addOwner(record.name(), owners, index);
        }
        for (final Service record : builder.services)
        {
            addOwner(record.name(), owners, index);
        }
        final List<String> allNames = new ArrayList<>(owners);
        final Map<String, Integer> targetIndex = new HashMap<>(index);
        for (final Service record : builder.services)
        {
            if (targetIndex.putIfAbsent(record.target(), allNames.size()) == null)
            {
                allNames.add(record.target());
            }
        }

        nameTable = new DnsNameTable(allNames, owners.size());

        final int ownerCount = owners.size();
        aStarts = starts(ownerCount, builder.addresses.stream().map(Address::name).toList(), index);
        addresses = new int[builder.addresses.size()];
        final int[] aNext = aStarts.clone();
        for (final Address record : builder.addresses)
        {
            addresses[aNext[index.get(record.name())]++] = record.address();
        }

        aaaaStarts = starts(ownerCount, builder.addresses6.stream().map(Address6::name).toList(), index);
        addresses6 = new long[2 * builder.addresses6.size()];
        final int[] aaaaNext = aaaaStarts.clone();
        for (final Address6 record : builder.addresses6)
        {
            final int slot = aaaaNext[index.get(record.name())]++;
            addresses6[2 * slot] = record.high();
            addresses6[2 * slot + 1] = record.low();
        }

        srvStarts = starts(ownerCount, builder.services.stream().map(Service::name).toList(), index);
        final int srvCount = builder.services.size();
        srvFields = new int[SRV_FIELDS * srvCount];
        srvTargetOffsets = new int[srvCount];
        srvTargetLengths = new int[srvCount];
        srvTargetNames = new int[srvCount];
        final int[] srvNext = srvStarts.clone();
        for (final Service record : builder.services)
        {
            final int slot = srvNext[index.get(record.name())]++;
            final int target = targetIndex.get(record.target());
            srvFields[SRV_FIELDS * slot] = record.priority();
            srvFields[SRV_FIELDS * slot + 1] = record.weight();
            srvFields[SRV_FIELDS * slot + 2] = record.port();
            srvTargetOffsets[slot] = nameTable.nameOffset(target);
            srvTargetLengths[slot] = nameTable.nameLength(target);
            srvTargetNames[slot] = target < ownerCount ? target : NOT_FOUND;
        }
    }

    /**
     * A builder with the {@link #DEFAULT_DOMAIN}, {@link #DEFAULT_TTL} and {@link #DEFAULT_SERIAL}.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The domain, lower case, without a trailing dot.
     *
     * @return the domain, e.g. {@code svc.vireo}.
     */
    public String domain()
    {
        return domain;
    }

    /**
     * Finds a name, with ASCII letters matched without regard to case.
     *
     * @param buffer holds the name in wire format, uncompressed, at {@code offset}.
     * @param offset index of its first length byte.
     * @param length bytes of the name, root label included.
     * @return the name's index, or {@link #NOT_FOUND} if the name is neither an owner nor between an
     * owner and the domain.
     */
    public int lookup(final DirectBuffer buffer, final int offset, final int length)
    {
        return nameTable.lookup(buffer, offset, length);
    }

    /**
     * Whether a name lies in the domain: equals it, or ends with it at a label boundary
     * ({@code web.svc.vireo} does, {@code websvc.vireo} does not), ASCII case ignored.
     *
     * @param buffer holds the name in wire format, uncompressed, at {@code offset}.
     * @param offset index of its first length byte.
     * @param length bytes of the name, root label included.
     * @return true if the name is the domain or below it.
     */
    public boolean inDomain(final DirectBuffer buffer, final int offset, final int length)
    {
        return nameTable.inDomain(buffer, offset, length);
    }

    int ttl()
    {
        return ttl;
    }

    long serial()
    {
        return serial;
    }

    /** The buffer every name lies in, at {@link #nameOffset} and SRV targets' offsets. */
    DirectBuffer names()
    {
        return nameTable.names();
    }

    int nameOffset(final int name)
    {
        return nameTable.nameOffset(name);
    }

    int nameLength(final int name)
    {
        return nameTable.nameLength(name);
    }

    int aStart(final int name)
    {
        return aStarts[name];
    }

    int aEnd(final int name)
    {
        return aStarts[name + 1];
    }

    int address(final int record)
    {
        return addresses[record];
    }

    int aaaaStart(final int name)
    {
        return aaaaStarts[name];
    }

    int aaaaEnd(final int name)
    {
        return aaaaStarts[name + 1];
    }

    long addressHigh(final int record)
    {
        return addresses6[2 * record];
    }

    long addressLow(final int record)
    {
        return addresses6[2 * record + 1];
    }

    int srvStart(final int name)
    {
        return srvStarts[name];
    }

    int srvEnd(final int name)
    {
        return srvStarts[name + 1];
    }

    int srvPriority(final int record)
    {
        return srvFields[SRV_FIELDS * record];
    }

    int srvWeight(final int record)
    {
        return srvFields[SRV_FIELDS * record + 1];
    }

    int srvPort(final int record)
    {
        return srvFields[SRV_FIELDS * record + 2];
    }

    /** Where the target's wire-format name lies in {@link #names}. */
    int srvTargetOffset(final int record)
    {
        return srvTargetOffsets[record];
    }

    int srvTargetLength(final int record)
    {
        return srvTargetLengths[record];
    }

    /** The target's name index if it is an owner here (so its A and AAAA records can go along), else {@link #NOT_FOUND}. */
    int srvTargetName(final int record)
    {
        return srvTargetNames[record];
    }

    private void addOwner(final String owner, final List<String> owners, final Map<String, Integer> index)
    {
        if (!owner.equals(domain) && !owner.endsWith("." + domain))
        {
            throw new IllegalArgumentException("name '" + owner + "' is not in the domain '" + domain + "'");
        }
        for (String name = owner; !name.equals(domain); name = name.substring(name.indexOf('.') + 1))
        {
            if (index.putIfAbsent(name, owners.size()) == null)
            {
                owners.add(name);
            }
        }
    }

    /** Index ranges per name: records of name {@code n} lie in [starts[n], starts[n + 1]). */
    private static int[] starts(final int nameCount, final List<String> recordOwners, final Map<String, Integer> index)
    {
        final int[] starts = new int[nameCount + 1];
        for (final String owner : recordOwners)
        {
            starts[index.get(owner) + 1]++;
        }
        for (int i = 0; i < nameCount; i++)
        {
            starts[i + 1] += starts[i];
        }
        return starts;
    }

    private static int checkField(final int value, final String what)
    {
        if (value < 0 || value > 0xFFFF)
        {
            throw new IllegalArgumentException(what + " must be 0..65535: " + value);
        }
        return value;
    }

    private record Address(String name, int address)
    {
    }

    private record Address6(String name, long high, long low)
    {
    }

    private record Service(String name, int priority, int weight, int port, String target)
    {
    }

    /**
     * Collects records and builds a {@link DnsRecords}. Names are given as text, fully qualified,
     * with or without the trailing dot, in any case; a name with an invalid label is refused with an
     * {@link IllegalArgumentException} saying why, and so, at {@link #build}, is an owner name outside
     * the domain.
     */
    public static final class Builder
    {
        private String domain = DEFAULT_DOMAIN;
        private int ttl = DEFAULT_TTL;
        private long serial = DEFAULT_SERIAL;
        private final Set<Address> addresses = new LinkedHashSet<>();
        private final Set<Address6> addresses6 = new LinkedHashSet<>();
        private final Set<Service> services = new LinkedHashSet<>();

        private Builder()
        {
        }

        /**
         * The domain the records lie in and the responder answers for with authority.
         *
         * @param domain e.g. {@code svc.vireo}; not the root.
         * @return this builder.
         */
        public Builder domain(final String domain)
        {
            final String canonical = DnsNames.canonical(domain, "domain");
            if (canonical.isEmpty())
            {
                throw new IllegalArgumentException("the domain cannot be the root");
            }
            this.domain = canonical;
            return this;
        }

        /**
         * The TTL of every record, and the SOA's minimum: how long a negative answer is cached (RFC 2308).
         *
         * @param seconds 0..2147483647 (RFC 2181 8).
         * @return this builder.
         */
        public Builder ttl(final int seconds)
        {
            if (seconds < 0)
            {
                throw new IllegalArgumentException("ttl must be 0.." + Integer.MAX_VALUE + " seconds: " + seconds);
            }
            ttl = seconds;
            return this;
        }

        /**
         * The SOA's serial: the control plane raises it when it replaces the records.
         *
         * @param serial 0..4294967295.
         * @return this builder.
         */
        public Builder serial(final long serial)
        {
            if (serial < 0 || serial > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("serial must be 0..4294967295: " + serial);
            }
            this.serial = serial;
            return this;
        }

        /**
         * Adds an A record.
         *
         * @param name    the owner, in the domain.
         * @param address the IPv4 address, most significant byte first.
         * @return this builder.
         */
        public Builder addA(final String name, final int address)
        {
            addresses.add(new Address(DnsNames.canonical(name, "name"), address));
            return this;
        }

        /**
         * Adds an AAAA record (RFC 3596).
         *
         * @param name the owner, in the domain.
         * @param high the first 8 bytes of the IPv6 address.
         * @param low  the last 8 bytes.
         * @return this builder.
         */
        public Builder addAaaa(final String name, final long high, final long low)
        {
            addresses6.add(new Address6(DnsNames.canonical(name, "name"), high, low));
            return this;
        }

        /**
         * Adds an SRV record (RFC 2782). A target that is an owner here brings its A and AAAA records
         * along in the additional section.
         *
         * @param name     the owner, e.g. {@code _http._tcp.web.svc.vireo}, in the domain.
         * @param priority 0..65535, lower first.
         * @param weight   0..65535, relative among equal priorities.
         * @param port     0..65535.
         * @param target   the host, in the domain or not; {@code "."} says the service is not offered there.
         * @return this builder.
         */
        public Builder addSrv(final String name, final int priority, final int weight, final int port, final String target)
        {
            services.add(new Service(
                DnsNames.canonical(name, "name"), checkField(priority, "priority"), checkField(weight, "weight"), checkField(port, "port"),
                DnsNames.canonical(target, "target")));
            return this;
        }

        /**
         * Builds the record set.
         *
         * @return the records, which the builder no longer affects.
         * @throws IllegalArgumentException if an owner name is not in the domain.
         */
        public DnsRecords build()
        {
            return new DnsRecords(this);
        }
    }
}
