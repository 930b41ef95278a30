package io.jvirt.cli;

import java.util.List;

/**
 * Every jvirsh command, in {@code help} order. To add a command, write a {@link JvirshCommand}
 * subclass annotated with {@code @Command(name = …)} and list it here.
 */
final class Commands {
    private Commands() {
    }

    /** New instances of every command. */
    static List<Object> all() {
        return List.of(
                new ConnectionCommands.UriCmd(),
                new ConnectionCommands.VersionCmd(),
                new ConnectionCommands.CapabilitiesCmd(),
                new ListCommand(),
                new DefineCommands.DefineCmd(),
                new DefineCommands.UndefineCmd(),
                new DefineCommands.CreateCmd(),
                new LifecycleCommands.StartCmd(),
                new LifecycleCommands.ShutdownCmd(),
                new LifecycleCommands.DestroyCmd(),
                new LifecycleCommands.RebootCmd(),
                new LifecycleCommands.SuspendCmd(),
                new LifecycleCommands.ResumeCmd(),
                new InfoCommands.DominfoCmd(),
                new InfoCommands.DomstateCmd(),
                new InfoCommands.DumpxmlCmd(),
                new InfoCommands.DomidCmd(),
                new InfoCommands.DomuuidCmd(),
                new InfoCommands.DomnameCmd(),
                new InfoCommands.AutostartCmd(),
                new JobCommands.DomjobinfoCmd(),
                new JobCommands.DomjobabortCmd(),
                new AgentCommands.QemuAgentCommandCmd(),
                new QemuCommands.QemuMonitorCommandCmd(),
                new AgentCommands.DomtimeCmd(),
                new AgentCommands.DomfsfreezeCmd(),
                new AgentCommands.DomfsthawCmd(),
                new AgentCommands.DomifaddrCmd(),
                new AgentCommands.GuestinfoCmd(),
                new AgentCommands.SetUserPasswordCmd(),
                new EventCommand());
    }
}
