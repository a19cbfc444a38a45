package io.pushline.localkafka;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Detects a broker that an earlier run left behind in a data dir, through its pid file and Kafka's lock file. */
final class EarlierBroker {

    private static final Logger log = LoggerFactory.getLogger(EarlierBroker.class);

    private EarlierBroker() {}

    /**
     * Refuses to go on when the data dir is still served by a live broker; clears a stale pid file.
     *
     * @throws LocalBrokerException naming the pid and how to stop it
     */
    static void refuseIfRunning(Path dataDir) {
        Path pidFile = BrokerFiles.pidFile(dataDir);
        OptionalLong pid = readPid(pidFile);
        if (pid.isPresent()) {
            long n = pid.getAsLong();
            Optional<ProcessHandle> process = ProcessHandle.of(n).filter(ProcessHandle::isAlive);
            if (process.isPresent() && isKafkaBroker(process.get())) {
                throw new LocalBrokerException("a broker from an earlier run is still running (pid " + n + ", data dir "
                        + dataDir + "); stop it with `kill " + n + "` or use another --data-dir");
            }
            if (process.isPresent()) {
                log.warn("Stale pid file {}: pid {} is now another process ({}); ignoring it", pidFile, n,
                        process.get().info().command().orElse("unknown command"));
            } else {
                log.warn("Stale pid file {}: the broker of an earlier run (pid {}) is gone; starting a new one", pidFile, n);
            }
            deleteQuietly(pidFile);
        }
        // Kafka locks its log dir while it runs: this catches a live broker whose pid file was lost.
        if (isLocked(BrokerFiles.lockFile(dataDir))) {
            throw new LocalBrokerException("the data dir " + dataDir + " is in use by another process (Kafka's lock file "
                    + BrokerFiles.lockFile(dataDir) + " is held): stop the broker using it or use another --data-dir");
        }
    }

    static void writePid(Path dataDir, long pid) throws IOException {
        Files.writeString(BrokerFiles.pidFile(dataDir), pid + "\n", StandardCharsets.UTF_8);
    }

    /** Deletes the pid file only if it still names {@code pid}: a later broker may have taken the data dir over. */
    static void deletePidFileOf(Path dataDir, long pid) {
        Path pidFile = BrokerFiles.pidFile(dataDir);
        OptionalLong current = readPid(pidFile);
        if (current.isPresent() && current.getAsLong() == pid) {
            deleteQuietly(pidFile);
        }
    }

    static OptionalLong readPid(Path pidFile) {
        if (!Files.exists(pidFile)) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            log.warn("Ignoring unreadable pid file {}: {}", pidFile, e.toString());
            return OptionalLong.empty();
        }
    }

    /** Our children run {@code java ... kafka.Kafka server.properties}; so does {@code kafka-server-start.sh}. */
    static boolean isKafkaBroker(ProcessHandle process) {
        return process.info().commandLine().map(cmd -> cmd.contains(" kafka.Kafka ")).orElse(false);
    }

    private static boolean isLocked(Path lockFile) {
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this very JVM holds it
        } catch (IOException e) {
            log.warn("Could not check Kafka's lock file {}: {}", lockFile, e.toString());
            return false;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("Could not delete {}: {}", file, e.toString());
        }
    }
}
