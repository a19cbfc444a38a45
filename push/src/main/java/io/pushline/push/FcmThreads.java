package io.pushline.push;

import com.google.firebase.FirebaseApp;
import com.google.firebase.ThreadManager;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads our FirebaseApp runs blocking SDK calls on ({@code sendAsync} is a blocking HTTP
 * call on the app's executor). By default the SDK runs them on one unbounded cached pool shared
 * by every app in the JVM; ours is fixed at the provider's concurrency, its threads are daemons
 * named {@code pushline-fcm-N}, and it is shut down when the app is deleted.
 */
final class FcmThreads extends ThreadManager {

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final String prefix = "pushline-fcm-" + POOLS.incrementAndGet() + "-";
    private final AtomicInteger threadNumber = new AtomicInteger();
    private volatile ExecutorService executor;

    FcmThreads(int threads) {
        this.threads = threads;
    }

    @Override
    protected ExecutorService getExecutor(FirebaseApp app) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), getThreadFactory());
        pool.allowCoreThreadTimeOut(true);
        executor = pool;
        return pool;
    }

    @Override
    protected void releaseExecutor(FirebaseApp app, ExecutorService executor) {
        executor.shutdown();
    }

    @Override
    protected ThreadFactory getThreadFactory() {
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Waits for SDK calls still running after the app was deleted. */
    boolean awaitTermination(Duration timeout) throws InterruptedException {
        ExecutorService current = executor;
        return current == null || current.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
