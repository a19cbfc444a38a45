package io.pushline.ingest;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ingest's two bounds on what it holds: requests past their headers and not yet answered, and the bytes they
 * reserved (their declared length, or the limit of their mode when it is not declared). A request beyond either is
 * refused before its body is read, so a slow broker slows publishers down instead of filling the heap.
 *
 * <p>Thread-safe. Whoever was admitted gives back exactly what it reserved, once ({@link #release}); the transport
 * sees to that.
 */
final class Admission {
    private final int maxRequests;
    private final int maxBytes;
    private final Semaphore bytes;
    private final AtomicInteger requests = new AtomicInteger();

    Admission(int maxRequests, int maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        this.bytes = new Semaphore(maxBytes);
    }

    /** Takes a place and {@code reserved} bytes: null if both were free, else why not (the message of a 429). */
    String tryAdmit(int reserved) {
        if (requests.incrementAndGet() > maxRequests) {
            requests.decrementAndGet();
            return "too many requests awaiting the broker; retry later";
        }
        if (!bytes.tryAcquire(reserved)) {
            requests.decrementAndGet();
            return "the ingest is writing as fast as the broker acknowledges; retry later";
        }
        return null;
    }

    /** Gives back {@code n} of the bytes an admitted request reserved and turned out not to need. */
    void releaseBytes(int n) {
        bytes.release(n);
    }

    /** Gives back an admitted request's place and the {@code reserved} bytes it still holds. */
    void release(int reserved) {
        bytes.release(reserved);
        requests.decrementAndGet();
    }

    /** Requests admitted and not yet released. */
    int requestsInFlight() {
        return requests.get();
    }

    /** Bytes reserved by the requests in flight. */
    int bytesInFlight() {
        return maxBytes - bytes.availablePermits();
    }
}
