package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.Events;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code event}: prints domain events as virsh does ({@code event 'lifecycle' for domain 'test':
 * Stopped Destroyed}). Without {@code --loop} it stops after the first event; {@code --timeout}
 * bounds the wait; the last line counts the events received. virsh insists on {@code --event} or
 * {@code --all}; jvirsh defaults to lifecycle events.
 */
@Command(name = "event", description = "domain events")
final class EventCommand extends JvirshCommand {
    /** The event names jvirt emits, in {@code --list} order. */
    static final List<String> NAMES = List.of("lifecycle", "block-job", "balloon-change", "device-removed",
            "agent-lifecycle", "job-completed");

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

    @Option(names = "--domain", paramLabel = "DOMAIN", description = "filter by domain name, id or uuid")
    String domainName;
    @Option(names = "--event", paramLabel = "NAME", description = "which event type to wait for")
    String eventName;
    @Option(names = "--all", description = "wait for all events instead of just one type")
    boolean all;
    @Option(names = "--loop", description = "loop until timeout or interrupt, rather than one-shot")
    boolean loop;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "timeout seconds")
    Integer timeout;
    @Option(names = "--list", description = "list valid event types")
    boolean list;
    @Option(names = "--timestamp", description = "show timestamp for each printed event")
    boolean timestamp;

    @Override
    protected void execute() throws InterruptedException {
        PrintWriter out = out();
        if (list) {
            NAMES.forEach(out::println);
            return;
        }
        if (all && eventName != null) {
            throw new CliException("options --all and --event are mutually exclusive");
        }
        if (eventName != null && !NAMES.contains(eventName)) {
            throw new CliException("unknown event type " + eventName);
        }
        if (timeout != null && timeout < 1) {
            throw new CliException("invalid timeout value " + timeout + ": must be at least 1 second");
        }
        String wanted = all ? null : eventName == null ? "lifecycle" : eventName;
        LinkedBlockingQueue<DomainEvent> queue = new LinkedBlockingQueue<>();
        Events events = conn().events();
        AtomicInteger count = new AtomicInteger();
        AtomicBoolean finished = new AtomicBoolean();
        String ending = null;
        Domain dom = domainName == null ? null : domain(domainName);
        // Ctrl-C ends the loop as in virsh: say so and give the count before the JVM exits
        Thread onInterrupt = new Thread(() -> {
            if (finished.compareAndSet(false, true)) {
                out.println("event loop interrupted");
                out.println("events received: " + count.get());
                out.flush();
            }
        }, "jvirsh-event-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try (Events.Subscription sub = attempt("failed to register for events",
                () -> dom == null ? events.subscribe(queue::add) : events.subscribe(dom.uuid(), queue::add))) {
            long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    ending = "event loop timed out";
                    break;
                }
                DomainEvent e = queue.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                if (e == null || (wanted != null && !wanted.equals(e.eventName()))) {
                    continue;
                }
                out.println((timestamp ? STAMP.format(e.time()) + ": " : "") + e);
                out.flush();
                count.incrementAndGet();
                if (!loop) {
                    break;
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        if (ending != null) {
            out.println(ending);
        }
        out.println("events received: " + count.get());
    }
}
