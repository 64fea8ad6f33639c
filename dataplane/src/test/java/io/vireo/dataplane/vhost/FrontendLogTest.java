package io.vireo.dataplane.vhost;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.vireo.dataplane.vhost.VhostUserMessage.GET_QUEUE_NUM;
import static io.vireo.dataplane.vhost.VhostUserMessage.SET_LOG_BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrontendLogTest
{
    private final Logger logger = Logger.getLogger(VhostUserPort.class.getName());
    private final List<String> lines = new ArrayList<>();
    private final Handler capture = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            lines.add(record.getMessage());
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };
    private long now = 1_000_000_000_000L;

    @TempDir
    Path dir;

    @BeforeEach
    void capture()
    {
        logger.addHandler(capture);
        logger.setUseParentHandlers(false);
    }

    @AfterEach
    void release()
    {
        logger.removeHandler(capture);
        logger.setUseParentHandlers(true);
    }

    @Test
    void aFrontendSendingWhatThePortIgnoresInALoopDoesNotFillTheLog()
    {
        final long start = System.nanoTime();
        final VhostUserPort port = VhostUserPort.server("vm1", dir.resolve("vm1.sock"));
        try (TestFrontend frontend = TestFrontend.connect(port.socket()))
        {
            for (int i = 0; i < 5000; i++)
            {
                frontend.send(SET_LOG_BASE, 0); // ignored with a warning
            }
            assertEquals(1, frontend.request(GET_QUEUE_NUM, 0)); // answered after every one before it
            assertEquals(0, port.violations());
        }
        finally
        {
            port.close();
        }
        // the burst, then one a second at most (and the session's end, which may come after the test looked)
        final long seconds = (System.nanoTime() - start) / FrontendLog.INTERVAL_NANOS;
        assertTrue(lines.size() <= FrontendLog.BURST + seconds + 1, () -> lines.size() + " lines in " + seconds + " s: " + lines);
        assertTrue(lines.stream().anyMatch(line -> line.contains("ignoring SET_LOG_BASE")), lines.toString());
    }

    @Test
    void logsABurstThenOneASecondAndSaysHowManyItLeftOut()
    {
        final FrontendLog log = new FrontendLog("vm1", () -> now);
        for (int i = 0; i < 1000; i++)
        {
            log.log(Level.WARNING, "ignoring request {0}", i);
        }
        assertEquals(FrontendLog.BURST, lines.size());
        assertEquals("port vm1: ignoring request 0", lines.get(0));

        now += FrontendLog.INTERVAL_NANOS - 1;
        log.log(Level.INFO, "frontend session ended: {0}", "frontend disconnected");
        assertEquals(FrontendLog.BURST, lines.size(), "not a second yet");

        now += 1;
        log.log(Level.INFO, "frontend connected on {0}", "/run/vm1.sock");
        log.log(Level.INFO, "features {0}", "VERSION_1");
        assertEquals(List.of("port vm1: frontend connected on /run/vm1.sock (" + (1000 - FrontendLog.BURST + 1) +
            " earlier messages about the frontend left out: over 20 in a row, then one a second)"),
            lines.subList(FrontendLog.BURST, lines.size()));
    }

    @Test
    void aQuietFrontendEarnsItsBurstBack()
    {
        final FrontendLog log = new FrontendLog("vm1", () -> now);
        for (int i = 0; i < FrontendLog.BURST; i++)
        {
            log.log(Level.INFO, "message {0}", i);
        }
        now += 60 * FrontendLog.INTERVAL_NANOS;
        for (int i = 0; i < FrontendLog.BURST + 5; i++)
        {
            log.log(Level.INFO, "message {0}", i);
        }
        assertEquals(2 * FrontendLog.BURST, lines.size());
        assertTrue(lines.stream().noneMatch(line -> line.contains("left out")), lines.toString());
    }
}
