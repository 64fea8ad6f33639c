package io.vireo.dataplane.vhost;

/**
 * Why a frontend was judged hostile or broken. Every kind resets the port: its queues stop, its
 * memory is unmapped and the connection is dropped. Found on the forwarding thread (rings and
 * descriptors) or on the control thread (messages).
 */
enum Violation
{
    AVAIL_INDEX("available index moved by more than the ring size"),
    DESCRIPTOR_INDEX("descriptor index beyond its table"),
    CHAIN_LOOP("descriptor chain longer than its table (a loop)"),
    OUT_OF_MEMORY("descriptor buffer outside the frontend's memory"),
    INDIRECT_NOT_NEGOTIATED("indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC"),
    INDIRECT_MISPLACED("indirect descriptor that is not alone in its chain"),
    INDIRECT_LENGTH("indirect table length not a multiple of 16 between 16 and 16 x ring size"),
    READ_ONLY_BUFFER("device-readable descriptor in a receive chain"),
    SHORT_FRAME("chain shorter than the virtio-net header"),
    OVERSIZED_FRAME("frame longer than 64 KiB and its headers"),
    RING_SIZE("ring size not a power of two between 1 and 32768"),
    RING_ADDRESS("ring outside the frontend's memory or misaligned"),
    MEMORY_TABLE("memory table rejected"),
    QUEUE_INDEX("queue index beyond the queues offered"),
    FEATURES("features not offered, VIRTIO_F_VERSION_1 not accepted, or an offload without the one it needs"),
    NET_HEADER("virtio-net header asking for an offload not negotiated"),
    MESSAGE("malformed message");

    private final String text;

    Violation(final String text)
    {
        this.text = text;
    }

    String text()
    {
        return text;
    }
}
