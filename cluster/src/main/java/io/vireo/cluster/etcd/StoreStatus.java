package io.vireo.cluster.etcd;

import java.net.URI;
import java.util.List;

/**
 * What {@link EtcdClient#status()} found: each endpoint as it answered {@code /v3/maintenance/status}, and
 * the members as the first endpoint that answered {@code /v3/cluster/member/list} listed them (none when
 * no endpoint answered). Member ids are etcd's uint64s in a long's 64 bits: {@link Long#toUnsignedString(long)}
 * shows them as etcd does.
 *
 * @param endpoints the client's endpoints, in its order.
 * @param members   the cluster's members, empty if no endpoint answered.
 */
public record StoreStatus(List<EndpointStatus> endpoints, List<Member> members)
{
    /**
     * One endpoint's status. The figures are 0 and the version empty when it is not reachable.
     *
     * @param url       the endpoint.
     * @param reachable it answered.
     * @param error     why it did not answer ("" when it did).
     * @param version   etcd's version, e.g. {@code 3.4.23}.
     * @param leaderId  the member id of the leader it knows (0: none).
     * @param memberId  its own member id.
     * @param raftTerm  the raft term.
     * @param revision  the store revision it has.
     * @param dbSize    the backend database's size in bytes.
     */
    public record EndpointStatus(
        URI url, boolean reachable, String error, String version, long leaderId, long memberId, long raftTerm,
        long revision, long dbSize)
    {
        /**
         * @return true if it answered and is the leader.
         */
        public boolean isLeader()
        {
            return reachable && leaderId != 0 && leaderId == memberId;
        }
    }

    /**
     * A member of the cluster.
     *
     * @param id         its member id.
     * @param name       its name (empty while a member added has not started).
     * @param peerUrls   the URLs it talks raft on.
     * @param clientUrls the URLs it serves clients on.
     * @param learner    a learner (a member without a vote).
     */
    public record Member(long id, String name, List<String> peerUrls, List<String> clientUrls, boolean learner)
    {
    }

    /**
     * @return the leader's member id as the reachable endpoints see it, or 0 if none does.
     */
    public long leaderId()
    {
        for (final EndpointStatus endpoint : endpoints)
        {
            if (endpoint.reachable() && endpoint.leaderId() != 0)
            {
                return endpoint.leaderId();
            }
        }
        return 0;
    }
}
