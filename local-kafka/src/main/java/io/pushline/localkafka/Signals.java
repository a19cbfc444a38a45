package io.pushline.localkafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * POSIX signals the JDK cannot send: SIGSTOP and SIGCONT, through the {@code kill} command, to stall a broker (a
 * process that stops answering without closing its sockets, like one in a long GC pause or on a frozen VM) and to
 * resume it. (SIGTERM and SIGKILL go through {@link Process#destroy()} and {@link Process#destroyForcibly()}.)
 */
final class Signals {

    private static final long TIMEOUT_SECONDS = 10;

    private Signals() {}

    /**
     * SIGSTOP, then waits (at most {@value #TIMEOUT_SECONDS}s) until the kernel reports the process stopped: the signal
     * is delivered asynchronously, and a caller that goes on at once (a test checking the stall, a fault that must
     * begin now) could otherwise meet a process still running. Where {@code /proc} is missing it returns after sending.
     */
    static void stop(long pid) {
        send("STOP", pid);
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (Files.isReadable(stat)) {
            char state = processState(stat);
            if (state == 'T' || state == 't' || state == '?') {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new LocalBrokerException("pid " + pid + " still in state " + state + " " + TIMEOUT_SECONDS
                        + "s after SIGSTOP");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** The state letter of {@code /proc/PID/stat} (the field after the command name in parentheses); '?' if unreadable. */
    private static char processState(Path stat) {
        try {
            String text = Files.readString(stat, StandardCharsets.US_ASCII);
            int close = text.lastIndexOf(')');
            return close >= 0 && close + 2 < text.length() ? text.charAt(close + 2) : '?';
        } catch (IOException e) {
            return '?';   // gone meanwhile
        }
    }

    static void resume(long pid) {
        send("CONT", pid);
    }

    private static void send(String signal, long pid) {
        ProcessBuilder builder = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true);
        try {
            Process kill = builder.start();
            if (!kill.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new LocalBrokerException("`kill -" + signal + " " + pid + "` did not finish within " + TIMEOUT_SECONDS + "s");
            }
            if (kill.exitValue() != 0) {
                String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                throw new LocalBrokerException("`kill -" + signal + " " + pid + "` failed (exit code " + kill.exitValue()
                        + "): " + output);
            }
        } catch (IOException e) {
            throw new LocalBrokerException("cannot run `kill -" + signal + " " + pid + "` (SIGSTOP and SIGCONT need a"
                    + " POSIX system with the kill command): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while sending SIG" + signal + " to " + pid, e);
        }
    }
}
