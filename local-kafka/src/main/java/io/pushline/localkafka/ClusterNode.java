package io.pushline.localkafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a {@link LocalCluster}: a child JVM running a Kafka broker and a controller (KRaft combined mode), with
 * its own data dir, client port and controller port on 127.0.0.1. Its id, address and process id say which one to
 * kill by hand; {@link #kill()}, {@link #stall()}, {@link #resume()}, {@link #stop()} and {@link #restart()} do it
 * from code, for failure tests.
 *
 * <p>States, as a table of legal moves: NEW → STARTING → RUNNING; RUNNING ⇄ STALLED (SIGSTOP, SIGCONT); RUNNING or
 * STALLED → DOWN (killed or stopped); DOWN → STARTING (restart; back to DOWN if the start fails); CLOSED from any state,
 * and final. An operation the state does not allow throws {@link IllegalStateException} naming both.
 *
 * <p>Thread-safety: every method may be called from any thread. One operation at a time per node is expected (a test
 * or a user killing one broker); {@link LocalCluster#close()} may interrupt any of them.
 */
public final class ClusterNode {

    /** The node's lifecycle; see the class comment. */
    enum State {
        NEW, STARTING, RUNNING, STALLED, DOWN, CLOSED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case NEW -> next == STARTING || next == CLOSED;
                case STARTING -> next == RUNNING || next == DOWN || next == CLOSED;
                case RUNNING -> next == STALLED || next == DOWN || next == CLOSED;
                case STALLED -> next == RUNNING || next == DOWN || next == CLOSED;
                case DOWN -> next == STARTING || next == CLOSED;
                case CLOSED -> false;
            };
        }

        State moveTo(State next) {
            if (!canMoveTo(next)) {
                throw new IllegalStateException("illegal node state change " + this + " -> " + next);
            }
            return next;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);

    private final int id;
    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final Map<String, String> serverConfig;
    private final String classpath;
    private final Duration startTimeout;
    private final ChildJvm jvm;

    private final Object lock = new Object();
    private State state = State.NEW;
    private Process process;

    ClusterNode(int id, int port, int controllerPort, Path dataDir, Map<String, String> serverConfig, String classpath,
                Path javaExecutable, String heap, Duration startTimeout) {
        this.id = id;
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.serverConfig = Map.copyOf(serverConfig);
        this.classpath = classpath;
        this.startTimeout = startTimeout;
        this.jvm = new ChildJvm(javaExecutable, heap, dataDir, dataDir.resolve("broker.log"));
    }

    /** The node id ({@code node.id}), 1 to N; also its broker id in metadata (partition leaders, ISRs). */
    public int id() {
        return id;
    }

    /** {@code 127.0.0.1:<port>}, the client listener; the same after a restart. */
    public String address() {
        return BrokerFiles.HOST + ":" + port;
    }

    /** The client port. */
    public int port() {
        return port;
    }

    /** The port of the controller listener (the KRaft quorum's). */
    public int controllerPort() {
        return controllerPort;
    }

    /** The process id of the node's current child (or of the last one, when it is down). */
    public long pid() {
        synchronized (lock) {
            if (process == null) {
                throw new IllegalStateException("node " + id + " has not been started");
            }
            return process.pid();
        }
    }

    /** Whether the node's child process is alive (it may be stalled). */
    public boolean isAlive() {
        synchronized (lock) {
            return process != null && process.isAlive();
        }
    }

    /** The exit code of the node's last child, once it has exited (137 after {@link #kill()}: 128 + SIGKILL). */
    OptionalInt exitCode() {
        synchronized (lock) {
            return process == null || process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
        }
    }

    /** Whether the node is stalled by {@link #stall()}, not yet resumed. */
    public boolean isStalled() {
        synchronized (lock) {
            return state == State.STALLED;
        }
    }

    /** The node's absolute data dir (LocalBroker's layout: server.properties, logs/, broker.log, broker.pid). */
    public Path dataDir() {
        return dataDir;
    }

    /** The child's output: warnings, errors and Kafka's "started" line. */
    public Path logFile() {
        return jvm.logFile();
    }

    /**
     * SIGKILL: the node dies at once, with no controlled shutdown, as in a crash; its data dir stays as it was.
     * Returns once the process has exited. Works on a stalled node too.
     *
     * @throws IllegalStateException if the node is not running or stalled
     */
    public void kill() {
        Process child = moveToDown("kill()");
        log.info("Killing node {} (pid {}) with SIGKILL", id, child.pid());
        if (!ChildJvm.kill(child)) {
            log.error("Node {} (pid {}) survived SIGKILL", id, child.pid());
        }
        EarlierBroker.deletePidFileOf(dataDir, child.pid());
    }

    /**
     * SIGSTOP: the node stops answering without closing its connections, like a broker in a long GC pause. After
     * {@code broker.session.timeout.ms} the controllers fence it (it drops out of the ISRs) and, if it was the active
     * controller, the other voters elect another. POSIX only.
     *
     * @throws IllegalStateException if the node is not running
     */
    public void stall() {
        synchronized (lock) {
            requireAlive("stall()");
            state = state.moveTo(State.STALLED);
            log.info("Stalling node {} (pid {}) with SIGSTOP", id, process.pid());
            Signals.stop(process.pid());
        }
    }

    /**
     * SIGCONT: a stalled node carries on; it finds itself fenced, registers again and catches up. This returns at
     * once; wait for the ISRs (or {@link LocalCluster#awaitAllRegistered(Duration)}) to see it back.
     *
     * @throws IllegalStateException if the node is not stalled
     */
    public void resume() {
        synchronized (lock) {
            if (state != State.STALLED) {
                throw new IllegalStateException("resume() needs node " + id + " stalled; it is " + describe(state));
            }
            state = state.moveTo(State.RUNNING);
            log.info("Resuming node {} (pid {}) with SIGCONT", id, process.pid());
            Signals.resume(process.pid());
        }
    }

    /**
     * A clean shutdown (SIGTERM: the broker hands its partitions over first); a forced kill after
     * {@value ChildJvm#SHUTDOWN_TIMEOUT_SECONDS}s. A stalled node is resumed first, so that it can shut down.
     *
     * @throws IllegalStateException if the node is not running or stalled
     */
    public void stop() {
        Process child = moveToDown("stop()");
        ChildJvm.stop(child);
        EarlierBroker.deletePidFileOf(dataDir, child.pid());
    }

    /**
     * Starts the node again on the same data dir and ports, and waits until it is registered and unfenced in the
     * cluster (its partitions then catch up in the background: wait for the ISRs where that matters). A running or
     * stalled node is {@linkplain #stop() stopped} first.
     *
     * @throws LocalBrokerException if it did not come back within the cluster's start timeout (it is killed again)
     * @throws IllegalStateException if the cluster was closed
     */
    public void restart() {
        State now;
        synchronized (lock) {
            now = state;
        }
        if (now == State.RUNNING || now == State.STALLED) {
            stop(); // also when its process died on its own, or was killed from outside: then this returns at once
        }
        long deadline = System.nanoTime() + startTimeout.toNanos();
        prepare(); // the same files again; clears a pid file that a kill from outside left behind
        BrokerReadiness readiness = launch("restart()");
        try {
            readiness.awaitReady(deadline, Set.of(id));
        } catch (RuntimeException e) {
            Process failed = moveToDownIfStarting();
            if (failed != null) {
                ChildJvm.kill(failed);
                EarlierBroker.deletePidFileOf(dataDir, failed.pid());
            }
            throw e;
        }
        markRunning();
        log.info("Node {} is back at {} (pid {})", id, address(), pid());
    }

    // ---- used by LocalCluster ----

    /** Creates the data dir, refuses one an earlier broker still serves, writes the node's files. */
    void prepare() {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot create the data dir " + dataDir + ": " + e, e);
        }
        EarlierBroker.refuseIfRunning(dataDir);
        try {
            BrokerFiles.writeServerProperties(BrokerFiles.serverProperties(dataDir), serverConfig);
            BrokerFiles.writeLoggingConfigs(dataDir);
            BrokerFiles.writeClasspathArgFile(BrokerFiles.classpathArgFile(dataDir), classpath);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write node " + id + "'s files into " + dataDir + ": " + e, e);
        }
    }

    /** Formats the storage as a member of {@code clusterId}'s static quorum, unless it is formatted already. */
    void format(String clusterId, long deadline) {
        jvm.format(clusterId, List.of(), BrokerSecurity.plaintext(), null, startTimeout, deadline);
    }

    /** Launches the child (NEW or DOWN → STARTING); returns what waits for it to be ready. */
    BrokerReadiness launch(String operation) {
        List<String> command = jvm.brokerCommand();
        long logOffset = jvm.appendBanner("starting node " + id + " on " + address());
        Process child;
        synchronized (lock) {
            if (state != State.NEW && state != State.DOWN) {
                throw new IllegalStateException(operation + " needs node " + id + " down; it is " + describe(state));
            }
            state = state.moveTo(State.STARTING);
            child = jvm.spawn(command);
            process = child;
        }
        try {
            EarlierBroker.writePid(dataDir, child.pid());
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the pid file " + BrokerFiles.pidFile(dataDir) + ": " + e, e);
        }
        return new BrokerReadiness(jvm, child, logOffset, port, BrokerSecurity.plaintext(), null, startTimeout);
    }

    /** STARTING → RUNNING. */
    void markRunning() {
        synchronized (lock) {
            if (state != State.STARTING) {
                throw new LocalBrokerException("node " + id + " was closed while it was starting");
            }
            state = state.moveTo(State.RUNNING);
        }
    }

    /**
     * Marks the node closed and returns its child if it is alive, for the cluster to stop with the others; a
     * stalled child is resumed, so that it can act on SIGTERM.
     */
    Process close() {
        synchronized (lock) {
            if (state == State.CLOSED) {
                return null;
            }
            State was = state;
            state = state.moveTo(State.CLOSED);
            if (process == null || !process.isAlive()) {
                return null;
            }
            if (was == State.STALLED) {
                resumeQuietly(process);
            }
            return process;
        }
    }

    /** The last lines of the node's log, when its child has exited; else empty. For start failures. */
    String exitReport() {
        synchronized (lock) {
            if (process == null || process.isAlive()) {
                return "";
            }
            return "node " + id + " exited (code " + process.exitValue() + "); " + LogTail.describe(jvm.logFile(), 0);
        }
    }

    private Process moveToDown(String operation) {
        synchronized (lock) {
            requireAlive(operation);
            State was = state;
            state = state.moveTo(State.DOWN);
            if (was == State.STALLED && operation.equals("stop()")) {
                resumeQuietly(process);
            }
            return process;
        }
    }

    private Process moveToDownIfStarting() {
        synchronized (lock) {
            if (state != State.STARTING) {
                return process != null && process.isAlive() ? process : null;
            }
            state = state.moveTo(State.DOWN);
            return process;
        }
    }

    private void requireAlive(String operation) {
        if (state != State.RUNNING && state != State.STALLED) {
            throw new IllegalStateException(operation + " needs node " + id + " running; it is " + describe(state));
        }
    }

    private static void resumeQuietly(Process child) {
        try {
            Signals.resume(child.pid());
        } catch (LocalBrokerException e) {
            log.warn("Could not resume pid {} before stopping it ({}); it will be killed after the timeout", child.pid(), e.getMessage());
        }
    }

    private static String describe(State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "node " + id + " at " + address() + (process == null ? "" : " (pid " + process.pid() + ")") + " " + describe(state);
        }
    }
}
