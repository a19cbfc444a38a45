package io.pushline.localkafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * POSIX signals the JDK cannot send: SIGSTOP and SIGCONT, through the {@code kill} command, to stall a broker (a
 * process that stops answering without closing its sockets, like one in a long GC pause or on a frozen VM) and to
 * resume it. (SIGTERM and SIGKILL go through {@link Process#destroy()} and {@link Process#destroyForcibly()}.)
 */
final class Signals {

    private static final long TIMEOUT_SECONDS = 10;

    private Signals() {}

    static void stop(long pid) {
        send("STOP", pid);
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
