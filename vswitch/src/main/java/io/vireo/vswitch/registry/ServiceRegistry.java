package io.vireo.vswitch.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.vireo.flowtable.policy.IpPrefix;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;

/**
 * Service instances by name, with leases, as Eureka keeps them. Thread-safe.
 * <ul>
 *   <li>{@link #register}: an instance under a service name, with an address, a port, metadata and a lease
 *   ({@link #DEFAULT_LEASE_SECONDS} unless given; 0: no expiry, for instances that live until they are
 *   deregistered, such as containers the CNI plugin registers). The same id again replaces the instance.</li>
 *   <li>{@link #renew}: a heartbeat, which starts the lease again. An instance the registry does not know (never
 *   registered, or its lease ran out) is not found, so the client registers again, as Eureka's clients do.
 *   Renew at a third of the lease, so that two heartbeats may be lost before the instance is.</li>
 *   <li>An instance whose lease ran out is no longer listed nor renewed; {@link #evictExpired} removes it, as
 *   a change ({@link LeaseEvictor} calls it when the first lease runs out).</li>
 * </ul>
 * Every change moves the registry's index by one; a service's index is the registry's at its last change, so
 * the two compare. A re-registration equal to the live instance it replaces changes nothing, as a heartbeat
 * does not. {@link #watch} waits for an index to pass a given one (a long poll); {@link RegistryListener}s
 * hear of every change. Both are told on the notifier given at construction (a single thread keeps them in
 * index order), never under the registry's lock unless that executor runs tasks at once.
 * <p>
 * Names are checked: a service is a DNS label, lower case ({@code [a-z0-9-]}, 1..63, no '-' first or last;
 * upper case is refused rather than folded, so a name is the one its DNS name is); an instance id is 1..128 of
 * {@code [A-Za-z0-9_.:-]}; an address an IPv4 or IPv6 literal (neither unspecified nor multicast); metadata
 * at most {@link #MAX_METADATA_ENTRIES} keys of {@code [A-Za-z0-9_./-]} (1..63) with values of up to
 * {@link #MAX_METADATA_VALUE_LENGTH} characters and no control characters. A value out of these bounds is an
 * {@link IllegalArgumentException} that names it.
 */
public final class ServiceRegistry
{
    /** The lease of an instance that gives none. */
    public static final int DEFAULT_LEASE_SECONDS = 30;
    /** The longest lease (a day); 0 is no expiry. */
    public static final int MAX_LEASE_SECONDS = 86_400;
    /** Metadata keys an instance may have. */
    public static final int MAX_METADATA_ENTRIES = 32;
    /** Characters in a metadata value. */
    public static final int MAX_METADATA_VALUE_LENGTH = 256;

    private static final Pattern SERVICE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_./-]{1,63}");
    private static final long NO_EXPIRY = Long.MAX_VALUE;

    /** A registered instance and when its lease runs out ({@link NanoClock} time). */
    private record Lease(ServiceInstance instance, long expiresAtNs)
    {
        boolean isLive(final long nowNs)
        {
            return expiresAtNs > nowNs;
        }
    }

    /** A service's leases by id, and its index; kept when empty, so that its index never goes back. */
    private static final class Service
    {
        final TreeMap<String, Lease> leases = new TreeMap<>();
        long index;
    }

    /** A caller of {@link #watch} waiting for an index above {@code afterIndex}; service null: the registry's. */
    private record Watch(String service, long afterIndex, CompletableFuture<Long> future)
    {
    }

    private final Object lock = new Object();
    private final NanoClock clock;
    private final Executor notifier;
    private final ErrorHandler errorHandler;
    private final TreeMap<String, Service> services = new TreeMap<>();
    private final List<Watch> watches = new ArrayList<>();
    private final List<RegistryListener> listeners = new CopyOnWriteArrayList<>();
    private long index;
    /** No later than the first live lease runs out: exact after an eviction, lowered by registrations since. */
    private long earliestExpiryNs = NO_EXPIRY;

    /**
     * @param clock        the time leases are measured in.
     * @param notifier     where listeners are told and watches completed, one change after the other.
     * @param errorHandler told what a listener throws.
     */
    public ServiceRegistry(final NanoClock clock, final Executor notifier, final ErrorHandler errorHandler)
    {
        this.clock = clock;
        this.notifier = notifier;
        this.errorHandler = errorHandler;
    }

    /**
     * Registers an instance, or replaces the one with its id.
     *
     * @param metadata     null: none.
     * @param leaseSeconds 0..{@link #MAX_LEASE_SECONDS}; 0: no expiry.
     * @param owner        null, or what manages the instance (an id as instance ids are).
     * @return the instance as registered.
     * @throws IllegalArgumentException naming the value that is out of bounds.
     */
    public ServiceInstance register(
        final String service, final String id, final String address, final int port, final Map<String, String> metadata,
        final int leaseSeconds, final String owner)
    {
        checkService(service);
        checkId(id, "instance id");
        if (port < 1 || port > 65_535)
        {
            throw new IllegalArgumentException("invalid port " + port + ": must be 1..65535");
        }
        if (leaseSeconds < 0 || leaseSeconds > MAX_LEASE_SECONDS)
        {
            throw new IllegalArgumentException("invalid lease " + leaseSeconds + " s: must be 1.." + MAX_LEASE_SECONDS +
                ", or 0 for none");
        }
        if (null != owner)
        {
            checkId(owner, "owner");
        }
        final ServiceInstance instance = new ServiceInstance(
            service, id, canonicalAddress(address), port, checkedMetadata(metadata), leaseSeconds, owner);
        synchronized (lock)
        {
            final long now = clock.nanoTime();
            final Service entry = services.computeIfAbsent(service, name -> new Service());
            final long expiresAtNs = expiry(now, leaseSeconds);
            // A lease that ends sooner than any other is a change (an equal instance has the lease it replaces).
            earliestExpiryNs = Math.min(earliestExpiryNs, expiresAtNs);
            final Lease previous = entry.leases.put(id, new Lease(instance, expiresAtNs));
            if (null == previous || !previous.isLive(now) || !previous.instance().equals(instance))
            {
                changed(service, entry, now);
            }
        }
        return instance;
    }

    /**
     * A heartbeat: the instance's lease starts again.
     *
     * @return the instance, or null if the registry has no live instance {@code id} of {@code service}.
     */
    public ServiceInstance renew(final String service, final String id)
    {
        checkService(service);
        checkId(id, "instance id");
        synchronized (lock)
        {
            final long now = clock.nanoTime();
            final Service entry = services.get(service);
            final Lease lease = null == entry ? null : entry.leases.get(id);
            if (null == lease || !lease.isLive(now))
            {
                return null;
            }
            entry.leases.put(id, new Lease(lease.instance(), expiry(now, lease.instance().leaseSeconds())));
            return lease.instance();
        }
    }

    /**
     * Removes an instance.
     *
     * @return the instance removed, or null if the registry had no live instance {@code id} of {@code service}.
     */
    public ServiceInstance deregister(final String service, final String id)
    {
        checkService(service);
        checkId(id, "instance id");
        synchronized (lock)
        {
            final long now = clock.nanoTime();
            final Service entry = services.get(service);
            final Lease lease = null == entry ? null : entry.leases.remove(id);
            if (null == lease)
            {
                return null;
            }
            // One whose lease ran out was not listed, but listeners still have it until it goes.
            changed(service, entry, now);
            return lease.isLive(now) ? lease.instance() : null;
        }
    }

    /**
     * Removes every instance whose lease has run out, as one change of each service that had one.
     *
     * @return how many were removed.
     */
    public int evictExpired()
    {
        synchronized (lock)
        {
            final long now = clock.nanoTime();
            int evicted = 0;
            long earliest = NO_EXPIRY;
            for (final Map.Entry<String, Service> entry : services.entrySet())
            {
                final int before = entry.getValue().leases.size();
                for (final Iterator<Lease> leases = entry.getValue().leases.values().iterator(); leases.hasNext(); )
                {
                    final Lease lease = leases.next();
                    if (lease.isLive(now))
                    {
                        earliest = Math.min(earliest, lease.expiresAtNs());
                    }
                    else
                    {
                        leases.remove();
                    }
                }
                if (entry.getValue().leases.size() != before)
                {
                    evicted += before - entry.getValue().leases.size();
                    changed(entry.getKey(), entry.getValue(), now);
                }
            }
            earliestExpiryNs = earliest;
            return evicted;
        }
    }

    /**
     * When {@link #evictExpired} is next due: no later than the first live lease runs out ({@link NanoClock}
     * time), and exactly then after an eviction (a heartbeat since may have moved it); Long.MAX_VALUE when no
     * instance has a lease. Every registration that makes it earlier is a change, which listeners hear.
     */
    public long nextExpiryNs()
    {
        synchronized (lock)
        {
            return earliestExpiryNs;
        }
    }

    /** @return the live instance {@code id} of {@code service}, or null. */
    public ServiceInstance instance(final String service, final String id)
    {
        checkService(service);
        checkId(id, "instance id");
        synchronized (lock)
        {
            final Service entry = services.get(service);
            final Lease lease = null == entry ? null : entry.leases.get(id);
            return null == lease || !lease.isLive(clock.nanoTime()) ? null : lease.instance();
        }
    }

    /** @return the service's live instances and index; none and index 0 for a service never registered. */
    public ServiceListing service(final String service)
    {
        checkService(service);
        synchronized (lock)
        {
            final Service entry = services.get(service);
            return null == entry ? new ServiceListing(service, 0, List.of()) : listing(service, entry, clock.nanoTime());
        }
    }

    /** @return every service that has live instances, by name. */
    public List<ServiceListing> services()
    {
        synchronized (lock)
        {
            final long now = clock.nanoTime();
            final List<ServiceListing> listings = new ArrayList<>();
            for (final Map.Entry<String, Service> entry : services.entrySet())
            {
                final ServiceListing listing = listing(entry.getKey(), entry.getValue(), now);
                if (!listing.instances().isEmpty())
                {
                    listings.add(listing);
                }
            }
            return listings;
        }
    }

    /** @return the registry's index: how many changes it has seen. */
    public long index()
    {
        synchronized (lock)
        {
            return index;
        }
    }

    /**
     * Waits for a change: completes, with the index then, once the index of {@code service} (or of the registry)
     * is above {@code afterIndex}; at once if it is already. Complete or cancel it to stop waiting (for a
     * timeout, {@link CompletableFuture#completeOnTimeout}): the registry then forgets it.
     *
     * @param service null: any service.
     */
    public CompletableFuture<Long> watch(final String service, final long afterIndex)
    {
        if (null != service)
        {
            checkService(service);
        }
        final CompletableFuture<Long> future = new CompletableFuture<>();
        synchronized (lock)
        {
            final Service entry = null == service ? null : services.get(service);
            final long current = null == service ? index : null == entry ? 0 : entry.index;
            if (current > afterIndex)
            {
                future.complete(current);
                return future;
            }
            watches.add(new Watch(service, afterIndex, future));
        }
        future.whenComplete((value, failure) -> forget(future));
        return future;
    }

    /** Tells {@code listener} of every change from now on, on the notifier. */
    public void addListener(final RegistryListener listener)
    {
        listeners.add(listener);
    }

    /** @throws IllegalArgumentException unless {@code service} is a valid service name, naming the rule. */
    public static void checkService(final String service)
    {
        if (null == service || !SERVICE.matcher(service).matches())
        {
            throw new IllegalArgumentException("invalid service name " + describe(service) + ": a DNS label of 1..63 " +
                "lower-case letters, digits and '-', not starting or ending with '-'");
        }
    }

    private void forget(final CompletableFuture<Long> future)
    {
        synchronized (lock)
        {
            watches.removeIf(watch -> watch.future() == future);
        }
    }

    /** Under the lock: moves the index, wakes the watches it passes and has the listeners told. */
    private void changed(final String service, final Service entry, final long now)
    {
        entry.index = ++index;
        final long changeIndex = index;
        final ServiceListing listing = listing(service, entry, now);
        final List<CompletableFuture<Long>> woken = new ArrayList<>();
        watches.removeIf(watch ->
        {
            final boolean passed = (null == watch.service() || service.equals(watch.service())) &&
                changeIndex > watch.afterIndex();
            if (passed)
            {
                woken.add(watch.future());
            }
            return passed;
        });
        notifier.execute(() ->
        {
            for (final RegistryListener listener : listeners)
            {
                try
                {
                    listener.serviceChanged(listing);
                }
                catch (final RuntimeException ex)
                {
                    errorHandler.onError(ex);
                }
            }
            woken.forEach(future -> future.complete(changeIndex));
        });
    }

    private static ServiceListing listing(final String service, final Service entry, final long now)
    {
        final List<ServiceInstance> live = new ArrayList<>();
        for (final Lease lease : entry.leases.values())
        {
            if (lease.isLive(now))
            {
                live.add(lease.instance());
            }
        }
        return new ServiceListing(service, entry.index, List.copyOf(live));
    }

    private static long expiry(final long now, final int leaseSeconds)
    {
        return 0 == leaseSeconds ? NO_EXPIRY : now + TimeUnit.SECONDS.toNanos(leaseSeconds);
    }

    private static void checkId(final String id, final String what)
    {
        if (null == id || !ID.matcher(id).matches())
        {
            throw new IllegalArgumentException("invalid " + what + " " + describe(id) +
                ": 1..128 letters, digits and '_', '.', ':', '-'");
        }
    }

    /** The address as RFC 5952 (IPv6) or dotted decimal (IPv4) writes it. */
    private static String canonicalAddress(final String address)
    {
        final IpPrefix parsed;
        try
        {
            parsed = null == address || address.indexOf('/') >= 0 ? null : IpPrefix.parse(address);
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalidAddress(address);
        }
        if (null == parsed)
        {
            throw invalidAddress(address);
        }
        final boolean unspecified = 0 == parsed.high() && 0 == parsed.low();
        final boolean multicastOrBroadcast = parsed.isIpv4() ?
            (parsed.low() >>> 28) == 0xE || 0xFFFF_FFFFL == parsed.low() : (parsed.high() >>> 56) == 0xFF;
        if (unspecified || multicastOrBroadcast)
        {
            throw new IllegalArgumentException("invalid address " + address + ": must be unicast and specified");
        }
        return parsed.isIpv4() ? IpPrefix.formatIpv4((int)parsed.low()) : IpPrefix.formatIpv6(parsed.high(), parsed.low());
    }

    private static IllegalArgumentException invalidAddress(final String address)
    {
        return new IllegalArgumentException("invalid address " + describe(address) +
            ": give an IPv4 or IPv6 address, such as 10.0.0.5 or fd00::5 (no name, no prefix length)");
    }

    private static Map<String, String> checkedMetadata(final Map<String, String> metadata)
    {
        if (null == metadata || metadata.isEmpty())
        {
            return Map.of();
        }
        if (metadata.size() > MAX_METADATA_ENTRIES)
        {
            throw new IllegalArgumentException("too much metadata: " + metadata.size() + " keys, at most " +
                MAX_METADATA_ENTRIES);
        }
        final TreeMap<String, String> sorted = new TreeMap<>();
        for (final Map.Entry<String, String> entry : metadata.entrySet())
        {
            final String key = entry.getKey();
            if (null == key || !METADATA_KEY.matcher(key).matches())
            {
                throw new IllegalArgumentException("invalid metadata key " + describe(key) +
                    ": 1..63 letters, digits and '_', '.', '/', '-'");
            }
            final String value = entry.getValue();
            if (null == value || value.length() > MAX_METADATA_VALUE_LENGTH || value.chars().anyMatch(Character::isISOControl))
            {
                throw new IllegalArgumentException("invalid metadata value of " + key + ": a string of up to " +
                    MAX_METADATA_VALUE_LENGTH + " characters, none a control character");
            }
            sorted.put(key, value);
        }
        return Collections.unmodifiableMap(sorted);
    }

    private static String describe(final String value)
    {
        return null == value ? "(none)" : "'" + value + "'";
    }
}
