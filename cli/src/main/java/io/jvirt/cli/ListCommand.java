package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.ListFilter;
import io.jvirt.api.VirtException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code list}: running domains by default; {@code --all} adds inactive ones, {@code --inactive}
 * shows only those. Active domains come first by id, then inactive ones by name, as in virsh.
 */
@Command(name = "list", description = "list domains")
final class ListCommand extends JvirshCommand {
    @Option(names = "--all", description = "list inactive and active domains")
    boolean all;
    @Option(names = "--inactive", description = "list inactive domains")
    boolean inactive;
    @Option(names = "--persistent", description = "list persistent domains")
    boolean persistent;
    @Option(names = "--transient", description = "list transient domains")
    boolean transientOnly;
    @Option(names = "--autostart", description = "list domains with autostart enabled")
    boolean autostart;
    @Option(names = "--no-autostart", description = "list domains with autostart disabled")
    boolean noAutostart;
    @Option(names = "--name", description = "list domain names only")
    boolean nameOnly;
    @Option(names = "--uuid", description = "list UUIDs only")
    boolean uuidOnly;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    /** One listed domain, read once. */
    record Row(int id, String name, String uuid, DomainStatus status, boolean persistent) {
    }

    @Override
    protected void execute() {
        if (nameOnly && uuidOnly) {
            throw new CliException("options --name and --uuid are mutually exclusive");
        }
        List<ListFilter> filters = new ArrayList<>();
        if (inactive) {
            filters.add(ListFilter.INACTIVE);
        } else if (!all) {
            filters.add(ListFilter.ACTIVE);
        }
        if (persistent) {
            filters.add(ListFilter.PERSISTENT);
        }
        if (transientOnly) {
            filters.add(ListFilter.TRANSIENT);
        }
        if (autostart) {
            filters.add(ListFilter.AUTOSTART);
        }
        if (noAutostart) {
            filters.add(ListFilter.NO_AUTOSTART);
        }
        List<Domain> domains = attempt("failed to list domains",
                () -> conn().listDomains(filters.toArray(ListFilter[]::new)));
        List<Row> rows = new ArrayList<>();
        for (Domain d : domains) {
            try {
                rows.add(new Row(d.id(), d.name(), d.uuid().toString(), d.state(), d.isPersistent()));
            } catch (VirtException e) {
                // gone between listing and reading: virsh skips such domains too
            }
        }
        rows.sort(Comparator.comparing((Row r) -> r.id() < 0)
                .thenComparingInt(r -> r.id() < 0 ? 0 : r.id())
                .thenComparing(Row::name));
        PrintWriter out = out();
        if (json) {
            List<Object> list = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> o = Json.object();
                o.put("id", r.id() < 0 ? null : r.id());
                o.put("name", r.name());
                o.put("uuid", r.uuid());
                o.put("state", r.status().state().label());
                o.put("reason", r.status().reason().label());
                o.put("persistent", r.persistent());
                list.add(o);
            }
            out.println(Json.write(list));
        } else if (nameOnly || uuidOnly) {
            for (Row r : rows) {
                out.println(nameOnly ? r.name() : r.uuid());
            }
        } else {
            Table table = new Table("Id", "Name", "State");
            for (Row r : rows) {
                table.row(r.id() < 0 ? "-" : Integer.toString(r.id()), r.name(), r.status().state().label());
            }
            table.print(out);
        }
    }
}
